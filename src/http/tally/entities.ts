/**
 * Entity upserts and reads: resellers, companies, organizations, licenses and accounts. Every change
 * is recorded in the audit log, in the change's own transaction where the store lets it.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { requireRoles } from '../auth/guard.js';
import { tallyRefusals, sendError } from './errors.js';
import {
  CompanyBody, IdParams, OrganizationBody, ResellerBody, UidParams, UserBody, UsernameParams,
  Vb365LicenseBody, VspcLicenseBody,
} from '../../schemas/admin.js';
import {
  deleteLicense, getCompany, getLicenseTerms, getOrganization, getReseller, listCompanies,
  listOrganizations, listResellers, putLicenseTerms, TenantTakenError, upsertCompany,
  upsertOrganization, upsertReseller,
} from '../../store/entities.js';
import { deleteAccount, deleteTokensOf, getAccount, listAccounts, lockAccounts, upsertAccount, type Account } from '../../store/accounts.js';
import type { Database } from '../../store/schema.js';
import { checkAccountChange } from '../../services/accountPolicy.js';
import * as audit from '../../services/audit.js';
import { hashPassword } from '../../services/passwords.js';
import { companyFromBody, organizationFromBody } from '../../services/entities.js';

function isActiveAdministrator(account: Account): boolean {
  return !account.disabled && account.roles.includes('PortalAdministrator');
}

export function entityRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const db = ctx.store.db;
    app.addHook('onRequest', requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals));

    app.get('/resellers', async () => listResellers(db));
    app.get('/resellers/:uid', { schema: { params: UidParams } }, async (request, reply) => {
      const found = await getReseller(db, request.params.uid.toLowerCase());
      return found ?? sendError(reply, 404, `Reseller ${request.params.uid} does not exist.`);
    });
    app.put('/resellers/:uid', { schema: { params: UidParams, body: ResellerBody } }, async (request) => {
      const reseller = { uid: request.params.uid.toLowerCase(), name: request.body.name };
      await db.transaction().execute(async (trx) => {
        await upsertReseller(trx, reseller);
        await audit.record(trx, request, { action: 'reseller.upsert', target: `reseller/${reseller.uid}`, details: { name: reseller.name } });
      });
      return reseller;
    });

    app.get('/companies', async () => listCompanies(db));
    app.get('/companies/:uid', { schema: { params: UidParams } }, async (request, reply) => {
      const found = await getCompany(db, request.params.uid.toLowerCase());
      return found ?? sendError(reply, 404, `Company ${request.params.uid} does not exist.`);
    });
    app.put('/companies/:uid', { schema: { params: UidParams, body: CompanyBody } }, async (request, reply) => {
      const company = companyFromBody(request.params.uid, request.body);
      try {
        await upsertCompany(db, company);
      } catch (error) {
        if (error instanceof TenantTakenError) return sendError(reply, 409, error.message);
        throw error;
      }
      // upsertCompany commits in its own transaction (its tenant check needs one).
      await audit.recordCommitted(db, request, { action: 'company.upsert', target: `company/${company.uid}`, details: { ...company } });
      return company;
    });

    app.get('/organizations', async () => listOrganizations(db));
    app.get('/organizations/:id', { schema: { params: IdParams } }, async (request, reply) => {
      const found = await getOrganization(db, request.params.id.toLowerCase());
      return found ?? sendError(reply, 404, `Organization ${request.params.id} does not exist.`);
    });
    app.put('/organizations/:id', { schema: { params: IdParams, body: OrganizationBody } }, async (request) => {
      const organization = organizationFromBody(request.params.id, request.body);
      await db.transaction().execute(async (trx) => {
        await upsertOrganization(trx, organization);
        await audit.record(trx, request, { action: 'organization.upsert', target: `organization/${organization.id}`, details: { ...organization } });
      });
      return organization;
    });

    for (const product of ['vb365', 'vspc'] as const) {
      const body = product === 'vb365' ? Vb365LicenseBody : VspcLicenseBody;
      app.get(`/licenses/${product}`, async (_request, reply) => {
        const terms = await getLicenseTerms(db, product);
        return terms ?? sendError(reply, 404, `No ${product} license is installed.`);
      });
      app.put(`/licenses/${product}`, { schema: { body } }, async (request) => {
        await db.transaction().execute(async (trx) => {
          await putLicenseTerms(trx, product, request.body);
          await audit.record(trx, request, { action: 'license.put', target: `license/${product}`, details: { ...request.body } });
        });
        return request.body;
      });
      app.delete(`/licenses/${product}`, async (request, reply) => {
        const removed = await db.transaction().execute(async (trx) => {
          const done = await deleteLicense(trx, product);
          if (done) await audit.record(trx, request, { action: 'license.delete', target: `license/${product}` });
          return done;
        });
        return removed ? reply.code(204).send() : sendError(reply, 404, `No ${product} license is installed.`);
      });
    }

    const view = (a: Account) => ({ uid: a.uid, username: a.username, roles: a.roles, scopeUid: a.scopeUid, disabled: a.disabled });
    const lastAdministratorMessage = (username: string) =>
      `${username} is the last enabled PortalAdministrator; give another account that role first.`;
    // Called after lockAccounts in the same transaction: no concurrent change (on any node) can
    // remove another administrator between this check and the caller's write.
    const lastAdministrator = async (trx: Kysely<Database>, account: Account) =>
      isActiveAdministrator(account) &&
      (await listAccounts(trx)).filter((a) => a.username !== account.username && isActiveAdministrator(a)).length === 0;

    app.get('/users', async () => (await listAccounts(db)).map(view));

    app.delete('/users/:username', { schema: { params: UsernameParams } }, async (request, reply) => {
      const outcome = await db.transaction().execute(async (trx) => {
        await lockAccounts(trx);
        const existing = await getAccount(trx, request.params.username);
        if (!existing) return 'missing' as const;
        if (await lastAdministrator(trx, existing)) return 'last-administrator' as const;
        await deleteAccount(trx, existing.username);
        await audit.record(trx, request, {
          action: 'account.delete',
          target: `account/${existing.username}`,
          details: { uid: existing.uid, roles: existing.roles, scopeUid: existing.scopeUid },
        });
        return 'deleted' as const;
      });
      if (outcome === 'missing') return sendError(reply, 404, `User ${request.params.username} does not exist.`);
      if (outcome === 'last-administrator') return sendError(reply, 409, lastAdministratorMessage(request.params.username));
      return reply.code(204).send();
    });

    app.get('/users/:username', { schema: { params: UsernameParams } }, async (request, reply) => {
      const account = await getAccount(db, request.params.username);
      if (!account) return sendError(reply, 404, `User ${request.params.username} does not exist.`);
      return view(account);
    });
    app.put('/users/:username', { schema: { params: UsernameParams, body: UserBody } }, async (request, reply) => {
      // The name normalised and free of look-alikes, the password policy (services/accountPolicy.ts).
      const policy = await checkAccountChange(db, request.params.username, request.body.password);
      if (!policy.ok) {
        const code = policy.status === 400 ? 'validation_failed' : 'conflict';
        return sendError(reply, policy.status, `The ${policy.field} is refused: ${policy.message}.`, [{ field: policy.field, message: policy.message }], code);
      }
      const username = policy.name;
      const needsPassword = () =>
        sendError(reply, 400, 'A new user needs a password.', [{ field: 'password', message: 'is required for a new user' }], 'validation_failed');
      if (request.body.password === undefined && !(await getAccount(db, username))) return needsPassword();
      // Hashing takes a while: before the transaction, so that the lock is held briefly.
      const passwordHash = request.body.password !== undefined ? await hashPassword(request.body.password) : undefined;
      const keepsAdministering = request.body.roles.includes('PortalAdministrator') && !request.body.disabled;
      const outcome = await db.transaction().execute(async (trx) => {
        await lockAccounts(trx);
        const existing = await getAccount(trx, username);
        if (!existing && passwordHash === undefined) return { kind: 'needs-password' as const };
        if (existing && !keepsAdministering && (await lastAdministrator(trx, existing))) return { kind: 'last-administrator' as const };
        const stored = await upsertAccount(trx, {
          username,
          passwordHash: passwordHash ?? existing!.passwordHash,
          roles: request.body.roles,
          scopeUid: request.body.scopeUid?.toLowerCase() ?? null,
          disabled: request.body.disabled ?? false,
        }, Date.now());
        // A new password or a disabled account ends the account's sessions, refresh tokens included.
        const sessionsEnded = existing && (passwordHash !== undefined || stored.disabled) ? await deleteTokensOf(trx, username) : 0;
        for (const change of accountChanges(existing, stored, passwordHash !== undefined, sessionsEnded)) {
          await audit.record(trx, request, change);
        }
        return { kind: 'stored' as const, account: stored };
      });
      if (outcome.kind === 'needs-password') return needsPassword();
      if (outcome.kind === 'last-administrator') return sendError(reply, 409, lastAdministratorMessage(username));
      return view(outcome.account);
    });
  };
}

/** The audit entries of one account PUT: what changed, one entry per kind of change. */
function accountChanges(before: Account | undefined, after: Account, passwordSet: boolean, sessionsEnded: number): audit.Change[] {
  const target = `account/${after.username}`;
  if (!before) {
    return [{ action: 'account.create', target, details: { uid: after.uid, roles: after.roles, scopeUid: after.scopeUid, disabled: after.disabled } }];
  }
  const changes: audit.Change[] = [];
  const fields: Record<string, { from: unknown; to: unknown }> = {};
  if (JSON.stringify(before.roles) !== JSON.stringify(after.roles)) fields.roles = { from: before.roles, to: after.roles };
  if (before.scopeUid !== after.scopeUid) fields.scopeUid = { from: before.scopeUid, to: after.scopeUid };
  if (Object.keys(fields).length > 0) changes.push({ action: 'account.update', target, details: { uid: after.uid, changes: fields } });
  if (!before.disabled && after.disabled) changes.push({ action: 'account.disable', target, details: { uid: after.uid, sessionsEnded } });
  if (before.disabled && !after.disabled) changes.push({ action: 'account.enable', target, details: { uid: after.uid } });
  // The entry says that the password changed, never what it is.
  if (passwordSet) changes.push({ action: 'account.password_reset', target, details: { uid: after.uid, sessionsEnded } });
  return changes;
}
