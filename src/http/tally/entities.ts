/** Entity upserts and reads: resellers, companies, organizations, licenses and accounts. */
import type { FastifyPluginAsync } from 'fastify';
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
import { deleteAccount, deleteTokensOf, getAccount, listAccounts, upsertAccount, type Account } from '../../store/accounts.js';
import { hashPassword } from '../../services/passwords.js';
import { companyFromBody, organizationFromBody } from '../../services/entities.js';

function isActiveAdministrator(account: Account): boolean {
  return !account.disabled && account.roles.includes('PortalAdministrator');
}

export function entityRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const db = ctx.store.db;
    app.addHook('preHandler', requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals));

    app.get('/resellers', async () => listResellers(db));
    app.get('/resellers/:uid', { schema: { params: UidParams } }, async (request, reply) => {
      const found = await getReseller(db, request.params.uid.toLowerCase());
      return found ?? sendError(reply, 404, `Reseller ${request.params.uid} does not exist.`);
    });
    app.put('/resellers/:uid', { schema: { params: UidParams, body: ResellerBody } }, async (request) => {
      const reseller = { uid: request.params.uid.toLowerCase(), name: request.body.name };
      await upsertReseller(db, reseller);
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
      return company;
    });

    app.get('/organizations', async () => listOrganizations(db));
    app.get('/organizations/:id', { schema: { params: IdParams } }, async (request, reply) => {
      const found = await getOrganization(db, request.params.id.toLowerCase());
      return found ?? sendError(reply, 404, `Organization ${request.params.id} does not exist.`);
    });
    app.put('/organizations/:id', { schema: { params: IdParams, body: OrganizationBody } }, async (request) => {
      const organization = organizationFromBody(request.params.id, request.body);
      await upsertOrganization(db, organization);
      return organization;
    });

    for (const product of ['vb365', 'vspc'] as const) {
      const body = product === 'vb365' ? Vb365LicenseBody : VspcLicenseBody;
      app.get(`/licenses/${product}`, async (_request, reply) => {
        const terms = await getLicenseTerms(db, product);
        return terms ?? sendError(reply, 404, `No ${product} license is installed.`);
      });
      app.put(`/licenses/${product}`, { schema: { body } }, async (request) => {
        await putLicenseTerms(db, product, request.body);
        return request.body;
      });
      app.delete(`/licenses/${product}`, async (_request, reply) => {
        const removed = await deleteLicense(db, product);
        return removed ? reply.code(204).send() : sendError(reply, 404, `No ${product} license is installed.`);
      });
    }

    const view = (a: Account) => ({ username: a.username, roles: a.roles, scopeUid: a.scopeUid, disabled: a.disabled });
    const lastAdministrator = async (account: Account) =>
      isActiveAdministrator(account) &&
      (await listAccounts(db)).filter((a) => a.username !== account.username && isActiveAdministrator(a)).length === 0;

    app.get('/users', async () => (await listAccounts(db)).map(view));

    app.delete('/users/:username', { schema: { params: UsernameParams } }, async (request, reply) => {
      const existing = await getAccount(db, request.params.username);
      if (!existing) return sendError(reply, 404, `User ${request.params.username} does not exist.`);
      if (await lastAdministrator(existing)) {
        return sendError(reply, 409, `${existing.username} is the last enabled PortalAdministrator; give another account that role first.`);
      }
      await deleteAccount(db, existing.username);
      return reply.code(204).send();
    });

    app.get('/users/:username', { schema: { params: UsernameParams } }, async (request, reply) => {
      const account = await getAccount(db, request.params.username);
      if (!account) return sendError(reply, 404, `User ${request.params.username} does not exist.`);
      return view(account);
    });
    app.put('/users/:username', { schema: { params: UsernameParams, body: UserBody } }, async (request, reply) => {
      const existing = await getAccount(db, request.params.username);
      if (!existing && request.body.password === undefined) {
        return sendError(reply, 400, 'A new user needs a password.', [{ field: 'password', message: 'is required for a new user' }], 'validation_failed');
      }
      const keepsAdministering = request.body.roles.includes('PortalAdministrator') && !request.body.disabled;
      if (existing && !keepsAdministering && (await lastAdministrator(existing))) {
        return sendError(reply, 409, `${existing.username} is the last enabled PortalAdministrator; give another account that role first.`);
      }
      const account = {
        username: request.params.username,
        passwordHash: request.body.password !== undefined ? await hashPassword(request.body.password) : existing!.passwordHash,
        roles: request.body.roles,
        scopeUid: request.body.scopeUid?.toLowerCase() ?? null,
        disabled: request.body.disabled ?? false,
      };
      await upsertAccount(db, account, Date.now());
      // A new password or a disabled account ends the account's sessions, refresh tokens included.
      if (existing && (request.body.password !== undefined || account.disabled)) await deleteTokensOf(db, account.username);
      return view(account);
    });
  };
}
