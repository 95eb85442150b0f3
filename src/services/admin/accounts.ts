/**
 * Operations on accounts, their API keys and their sessions (the admin API, and the VSPC face's
 * token revocation). Transactions and audit entries live here; the faces parse and render.
 *
 * Scope rules for accounts (services/scope.ts): reseller roles need a scope naming an existing
 * reseller, company roles one naming an existing company, the other roles may be confined to
 * either; a Portal Administrator refuses a scope. The last enabled Portal Administrator can be
 * neither removed nor demoted nor disabled.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { UserBody } from '../../schemas/admin.js';
import {
  deleteAccount, deleteApiKey, deleteTokenFamily, deleteTokensOf, getAccount, getAccountByUid, insertApiKey, listAccounts, listApiKeys,
  lockAccounts, upsertAccount, type Account, type ApiKey,
} from '../../store/accounts.js';
import { getCompany, getReseller } from '../../store/entities.js';
import type { Database } from '../../store/schema.js';
import { checkAccountChange } from '../accountPolicy.js';
import * as audit from '../audit.js';
import { hasAnyRole, hashToken, newToken, type Role } from '../auth.js';
import type { Caller } from '../caller.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors.js';
import { hashPassword } from '../passwords.js';
import { scopeProblem, unconfined, type ScopeTarget } from '../scope.js';

export type { ApiKey };

export interface AccountView {
  uid: string;
  username: string;
  roles: Role[];
  scopeUid: string | null;
  disabled: boolean;
}

const view = (a: Account): AccountView => ({ uid: a.uid, username: a.username, roles: a.roles as Role[], scopeUid: a.scopeUid, disabled: a.disabled });
const missingUser = (username: string) => new NotFound(`User ${username} does not exist.`);

function isActiveAdministrator(account: Account): boolean {
  return !account.disabled && account.roles.includes('PortalAdministrator');
}

const lastAdministrator = (username: string) =>
  new Conflict(`${username} is the last enabled PortalAdministrator; give another account that role first.`);

/** Called after lockAccounts in the same transaction: no concurrent change (on any node) can remove another administrator in between. */
async function isLastAdministrator(trx: Kysely<Database>, account: Account): Promise<boolean> {
  return isActiveAdministrator(account) &&
    (await listAccounts(trx)).filter((a) => a.username !== account.username && isActiveAdministrator(a)).length === 0;
}

/** What a scope uid names. */
export async function scopeTarget(db: Kysely<Database>, scopeUid: string): Promise<ScopeTarget> {
  if (await getReseller(db, scopeUid)) return 'reseller';
  if (await getCompany(db, scopeUid)) return 'company';
  return 'nothing';
}

/** Throws the domain error of roles that cannot take this scope. */
export async function checkScope(db: Kysely<Database>, roles: readonly Role[], scopeUid: string | null): Promise<void> {
  const problem = scopeProblem(roles, scopeUid, scopeUid === null ? 'nothing' : await scopeTarget(db, scopeUid));
  if (!problem) return;
  if (problem.kind === 'invalid') throw new Invalid(problem.message, [{ field: 'scopeUid', message: problem.message }]);
  throw new Conflict(problem.message);
}

/** Accounts are administered by unconfined callers only: a scoped account could otherwise widen its own scope. */
function mustAdminister(caller: Caller): void {
  if (!unconfined(caller.principal)) throw new Forbidden('An account confined to a scope cannot administer accounts.');
}

export class AccountOperations {
  constructor(private readonly ctx: { store: { db: Kysely<Database> } }) {}

  private get db(): Kysely<Database> {
    return this.ctx.store.db;
  }

  async list(caller: Caller): Promise<AccountView[]> {
    mustAdminister(caller);
    return (await listAccounts(this.db)).map(view);
  }

  async get(caller: Caller, username: string): Promise<AccountView> {
    mustAdminister(caller);
    const account = await getAccount(this.db, username);
    if (!account) throw missingUser(username);
    return view(account);
  }

  async put(caller: Caller, rawUsername: string, body: UserBody): Promise<AccountView> {
    mustAdminister(caller);
    // The name normalised and free of look-alikes, the password policy (services/accountPolicy.ts).
    const policy = await checkAccountChange(this.db, rawUsername, body.password);
    if (!policy.ok) {
      const message = `The ${policy.field} is refused: ${policy.message}.`;
      throw policy.status === 400 ? new Invalid(message, [{ field: policy.field, message: policy.message }]) : new Conflict(message);
    }
    const username = policy.name;
    const needsPassword = () => new Invalid('A new user needs a password.', [{ field: 'password', message: 'is required for a new user' }]);
    if (body.password === undefined && !(await getAccount(this.db, username))) throw needsPassword();
    const scopeUid = body.scopeUid?.toLowerCase() ?? null;
    await checkScope(this.db, body.roles, scopeUid);
    // Hashing takes a while: before the transaction, so that the lock is held briefly.
    const passwordHash = body.password !== undefined ? await hashPassword(body.password) : undefined;
    const keepsAdministering = body.roles.includes('PortalAdministrator') && !body.disabled;
    const stored = await this.db.transaction().execute(async (trx) => {
      await lockAccounts(trx);
      const existing = await getAccount(trx, username);
      if (!existing && passwordHash === undefined) throw needsPassword();
      if (existing && !keepsAdministering && (await isLastAdministrator(trx, existing))) throw lastAdministrator(username);
      const account = await upsertAccount(trx, {
        username,
        passwordHash: passwordHash ?? existing!.passwordHash,
        roles: body.roles,
        scopeUid,
        disabled: body.disabled ?? false,
      }, Date.now());
      // A new password or a disabled account ends the account's sessions, refresh tokens included.
      const sessionsEnded = existing && (passwordHash !== undefined || account.disabled) ? await deleteTokensOf(trx, username) : 0;
      for (const change of accountChanges(existing, account, passwordHash !== undefined, sessionsEnded)) {
        await audit.record(trx, caller, change);
      }
      return account;
    });
    return view(stored);
  }

  async remove(caller: Caller, username: string): Promise<void> {
    mustAdminister(caller);
    await this.db.transaction().execute(async (trx) => {
      await lockAccounts(trx);
      const existing = await getAccount(trx, username);
      if (!existing) throw missingUser(username);
      if (await isLastAdministrator(trx, existing)) throw lastAdministrator(username);
      await deleteAccount(trx, existing.username);
      await audit.record(trx, caller, {
        action: 'account.delete',
        target: `account/${existing.username}`,
        details: { uid: existing.uid, roles: existing.roles, scopeUid: existing.scopeUid },
      });
    });
  }

  // -- API keys --------------------------------------------------------------------------------

  /** A new key of the account, with its secret (shown once: only its hash is stored). */
  async createApiKey(caller: Caller, username: string, input: { name: string; readOnly?: boolean | undefined }): Promise<ApiKey & { key: string }> {
    mustAdminister(caller);
    const secret = newToken();
    const key = await this.db.transaction().execute(async (trx) => {
      if (!(await getAccount(trx, username))) throw missingUser(username);
      const created = await insertApiKey(trx, {
        id: randomUUID(),
        username,
        name: input.name,
        key_hash: hashToken(secret),
        read_only: input.readOnly ? 1 : 0,
        created_at: Date.now(),
      });
      await audit.record(trx, caller, {
        action: 'apikey.create',
        target: `account/${username}`,
        details: { keyId: created.id, name: created.name, readOnly: created.readOnly },
      });
      return created;
    });
    return { ...key, key: secret };
  }

  async listApiKeys(caller: Caller, username: string): Promise<ApiKey[]> {
    mustAdminister(caller);
    if (!(await getAccount(this.db, username))) throw missingUser(username);
    return listApiKeys(this.db, username);
  }

  async deleteApiKey(caller: Caller, username: string, id: string): Promise<void> {
    mustAdminister(caller);
    const removed = await this.db.transaction().execute(async (trx) => {
      const key = await deleteApiKey(trx, username, id.toLowerCase());
      if (key) await audit.record(trx, caller, { action: 'apikey.delete', target: `account/${username}`, details: { keyId: key.id, name: key.name } });
      return key;
    });
    if (!removed) throw new NotFound(`User ${username} has no API key ${id}.`);
  }

  // -- sessions --------------------------------------------------------------------------------

  /** Ends every session of an account (Portal Administrators). */
  async revokeTokens(caller: Caller, username: string): Promise<void> {
    mustAdminister(caller);
    await this.db.transaction().execute(async (trx) => {
      const account = await getAccount(trx, username);
      if (!account) throw missingUser(username);
      const revoked = await deleteTokensOf(trx, username);
      await audit.record(trx, caller, { action: 'token.revoke', target: `account/${username}`, details: { uid: account.uid, tokensRevoked: revoked, scope: 'all' } });
    });
  }

  /**
   * VSPC's logout of a user by its uid: the user itself or a Portal Administrator. Decided before
   * any lookup, so that the answer to anyone else says nothing about other uids.
   */
  async revokeTokensByUid(caller: Caller, rawUid: string, userLoginId?: number): Promise<void> {
    const uid = rawUid.toLowerCase();
    if (caller.principal.uid !== uid && !hasAnyRole(caller.principal, ['PortalAdministrator'])) {
      throw new Forbidden('Access denied: your role does not allow this operation.');
    }
    await this.db.transaction().execute(async (trx) => {
      const account = await getAccountByUid(trx, uid);
      if (!account) throw new NotFound(`User with UID ${rawUid} does not exist.`);
      const count = await deleteTokensOf(trx, account.username);
      await audit.record(trx, caller, {
        action: 'token.revoke',
        target: `account/${account.username}`,
        details: { uid, tokensRevoked: count, scope: 'all', ...(userLoginId !== undefined ? { userLoginId } : {}) },
      });
    });
  }

  /** The logout: ends the session (token family) the caller authenticated with. */
  async endSession(caller: Caller): Promise<void> {
    const principal = caller.principal;
    if (principal.credential.kind !== 'token' || principal.credential.familyId === null) {
      throw new Conflict(principal.credential.kind === 'apiKey'
        ? 'An API key is not a session; delete the key through /tally/v1/users/{username}/apikeys/{id}.'
        : 'This token was issued before sessions were tracked; revoke the account\'s tokens instead.');
    }
    const familyId = principal.credential.familyId;
    await this.db.transaction().execute(async (trx) => {
      const revoked = await deleteTokenFamily(trx, familyId);
      await audit.record(trx, caller, { action: 'token.revoke', target: `account/${principal.username}`, details: { uid: principal.uid, tokensRevoked: revoked, scope: 'session' } });
    });
  }
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
