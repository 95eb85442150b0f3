/**
 * Accounts, roles, bearer tokens and API keys. Tokens are 256-bit random strings; the database holds
 * only their SHA-256, so a stolen database does not yield usable tokens and several server nodes
 * share them. Token lifetimes follow the system clock, never the time-travel clock (moving the
 * clock in a test scenario must not log everybody out).
 *
 * Each login starts a token family. A refresh spends its refresh token and issues a new pair in the
 * same family; presenting a spent refresh token again (a stolen copy, or the client's own replay)
 * revokes the whole family, access and refresh tokens alike (OAuth 2.0 Security BCP §4.14.2).
 */
import { recordRefusal, type Change, type RefusalLimiter, type RefusalWho } from './audit.js';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  deleteExpiredTokens, deleteTokenFamily, findApiKeyWithAccount, findToken, findTokenWithAccount, getAccount,
  insertToken, spendRefreshToken, type Account,
} from '../store/accounts.js';
import { GenerationsReader } from '../store/generation.js';
import type { Database } from '../store/schema.js';
import * as audit from './audit.js';
import { dummyPasswordHash, verifyPassword } from './passwords.js';

export const ROLES = [
  'PortalAdministrator',
  'ServiceProviderGlobalAdministrator',
  'ServiceProviderAdministrator',
  'ServiceProviderOperator',
  'ServiceProviderUser',
  'ServiceProviderInvoiceAuditor',
  'CompanyOwner',
  'CompanyAdministrator',
  'CompanyInvoiceAuditor',
  'ReadOnlyUser',
  'Vb365Administrator',
  'Ingest',
] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  username: string;
  /** The account's stable uid (VSPC `userUid`). */
  uid: string;
  roles: Role[];
  scopeUid: string | null;
  /** A read-only API key: GET (and HEAD) only. */
  readOnly: boolean;
  /** How the request authenticated: a token of a login (with its family) or an API key (with its id). */
  credential: { kind: 'token'; familyId: string | null } | { kind: 'apiKey'; id: string };
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  issuedAt: number;
  expiresAt: number;
  expiresIn: number;
  username: string;
}

/** The outcome of a refresh grant; `reused` means a spent token came back and its family was revoked. */
export type LoginAttempt =
  | { ok: true; tokens: IssuedTokens }
  | { ok: false; reason: 'unknown-account' | 'wrong-password' | 'disabled' };

export type RefreshOutcome =
  | { ok: true; tokens: IssuedTokens }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'reused'; username: string; familyId: string; revoked: number };

export type Authentication =
  /** `expiresAt`: when the credential stops being valid (system clock; Infinity for an API key). */
  | { ok: true; principal: Principal; expiresAt: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'invalid' | 'expired' | 'disabled' };

export interface AuthOptions {
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
}

export const DEFAULT_AUTH_OPTIONS: AuthOptions = {
  accessTokenSeconds: 3600,
  refreshTokenSeconds: 14 * 24 * 3600,
};

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

// Expired tokens are deleted at most this often, piggybacking on logins.
const CLEANUP_INTERVAL_MS = 60_000;

/** Credentials kept per process under one `auth` counter (one per client, typically). */
const MAX_CHECKED = 10_000;

export class AuthService {
  private lastCleanup = 0;
  /** Successful checks under `checkedGeneration`, by the presented token or key (see authenticate). */
  private readonly checked = new Map<string, { result: Authentication; expiresAt: number }>();
  private checkedGeneration: number | undefined;
  /** The change counters, read once per request by the guard (and handed on to the handler). */
  readonly generations: GenerationsReader;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: AuthOptions = DEFAULT_AUTH_OPTIONS,
    private readonly wallClock: () => number = Date.now,
  ) {
    this.generations = new GenerationsReader(db);
    // Computed now so that the first login of an unknown user is not measurably slower.
    void dummyPasswordHash();
  }

  /** Records a refusal (or an API key's use) in the audit log, rate-limited (services/audit.ts, "Refusals"). */
  refused(who: RefusalWho, change: Change, options?: { limitKey?: string; limiter?: RefusalLimiter }): Promise<void> {
    return recordRefusal(this.db, who, change, options);
  }

  /** Password grant: tokens of a new family for a valid, enabled account; null otherwise (no reason leaks out). */
  async login(username: string, password: string): Promise<IssuedTokens | null> {
    const attempt = await this.attemptLogin(username, password);
    return attempt.ok ? attempt.tokens : null;
  }

  /** The password grant with the reason of a refusal, for the audit log only (clients are told no more than by `login`). */
  async attemptLogin(username: string, password: string): Promise<LoginAttempt> {
    const account = await getAccount(this.db, username);
    const valid = await verifyPassword(password, account?.passwordHash ?? (await dummyPasswordHash()));
    if (!account) return { ok: false, reason: 'unknown-account' };
    if (!valid) return { ok: false, reason: 'wrong-password' };
    if (account.disabled) return { ok: false, reason: 'disabled' };
    await this.cleanup();
    return { ok: true, tokens: await this.issue(this.db, account.username, randomUUID()) };
  }

  /**
   * Refresh grant: spends the refresh token and issues a new pair in its family, in one transaction
   * (a concurrent reuse on another node waits for it and then revokes the new pair too). A token
   * that was already spent revokes its family.
   */
  async refresh(refreshToken: string, clientAddress?: string): Promise<RefreshOutcome> {
    const hash = hashToken(refreshToken);
    const now = this.wallClock();
    await this.cleanup();
    const rotated = await this.db.transaction().execute(async (trx): Promise<RefreshOutcome | 'spent'> => {
      if (!(await spendRefreshToken(trx, hash, now))) return 'spent';
      const row = (await findToken(trx, hash))!;
      if (row.expires_at <= now) return { ok: false, reason: 'invalid' };
      const account = await getAccount(trx, row.username);
      if (!account || account.disabled) return { ok: false, reason: 'invalid' };
      // Tokens issued before families existed start one now.
      return { ok: true, tokens: await this.issue(trx, account.username, row.family_id ?? randomUUID(), now) };
    });
    if (rotated !== 'spent') return rotated;
    const row = await findToken(this.db, hash);
    if (!row || row.kind !== 'refresh' || row.spent_at === null || row.family_id === null) return { ok: false, reason: 'invalid' };
    const revoked = await deleteTokenFamily(this.db, row.family_id);
    // The presenter is not authenticated (it may be a thief): the entry names the address and the family's account.
    await audit.recordCommitted(this.db, { actor: 'anonymous', actorUid: null, clientAddress: clientAddress ?? null }, {
      action: 'token.reuse_detected',
      target: `account/${row.username}`,
      details: { familyId: row.family_id, tokensRevoked: revoked },
    });
    return { ok: false, reason: 'reused', username: row.username, familyId: row.family_id, revoked };
  }

  /**
   * Checks an `Authorization` header value: an access token, or an API key. With the `auth` change
   * counter the caller read before (store/generation.ts), a credential already checked under the
   * same counter is not looked up again: every change that could revoke it (a token removed, an
   * account changed, disabled or deleted, a key changed or removed) moves the counter on every
   * node. An access token's own expiry is checked on every use.
   */
  async authenticate(header: string | undefined, authGeneration?: number): Promise<Authentication> {
    if (header === undefined || header === '') return { ok: false, reason: 'missing' };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return { ok: false, reason: 'malformed' };
    // Kept by the presented credential itself: hashing it costs more than the rest of the check.
    const credential = match[1]!;
    if (authGeneration !== undefined) {
      if (authGeneration !== this.checkedGeneration) {
        this.checked.clear();
        this.checkedGeneration = authGeneration;
      }
      const kept = this.checked.get(credential);
      if (kept && kept.expiresAt > this.wallClock()) return kept.result;
    }
    const { result, expiresAt } = await this.lookUp(hashToken(credential));
    if (authGeneration !== undefined && result.ok && authGeneration === this.checkedGeneration) {
      if (this.checked.size >= MAX_CHECKED) this.checked.delete(this.checked.keys().next().value!);
      this.checked.set(credential, { result, expiresAt });
    }
    return result;
  }

  private async lookUp(hash: string): Promise<{ result: Authentication; expiresAt: number }> {
    const found = await findTokenWithAccount(this.db, hash);
    if (found) {
      const expiresAt = found.token.expires_at;
      if (found.token.kind !== 'access') return { result: { ok: false, reason: 'invalid' }, expiresAt };
      if (expiresAt <= this.wallClock()) return { result: { ok: false, reason: 'expired' }, expiresAt };
      if (!found.account || found.account.disabled) return { result: { ok: false, reason: 'disabled' }, expiresAt };
      return { result: { ok: true, principal: principalOf(found.account, false, { kind: 'token', familyId: found.token.family_id }), expiresAt }, expiresAt };
    }
    // VSPC clients send an API key as the bearer token itself.
    const key = await findApiKeyWithAccount(this.db, hash);
    if (!key) return { result: { ok: false, reason: 'invalid' }, expiresAt: 0 };
    if (!key.account || key.account.disabled) return { result: { ok: false, reason: 'disabled' }, expiresAt: 0 };
    return { result: { ok: true, principal: principalOf(key.account, key.key.readOnly, { kind: 'apiKey', id: key.key.id }), expiresAt: Infinity }, expiresAt: Infinity };
  }

  private async cleanup(): Promise<void> {
    const now = this.wallClock();
    if (now - this.lastCleanup > CLEANUP_INTERVAL_MS) {
      this.lastCleanup = now;
      await deleteExpiredTokens(this.db, now);
    }
  }

  private async issue(db: Kysely<Database>, username: string, familyId: string, issuedAt = this.wallClock()): Promise<IssuedTokens> {
    const accessToken = newToken();
    const refreshToken = newToken();
    const expiresAt = issuedAt + this.options.accessTokenSeconds * 1000;
    const common = { username, issued_at: issuedAt, family_id: familyId, spent_at: null };
    await insertToken(db, { ...common, token_hash: hashToken(accessToken), kind: 'access', expires_at: expiresAt });
    await insertToken(db, {
      ...common,
      token_hash: hashToken(refreshToken),
      kind: 'refresh',
      expires_at: issuedAt + this.options.refreshTokenSeconds * 1000,
    });
    return { accessToken, refreshToken, issuedAt, expiresAt, expiresIn: this.options.accessTokenSeconds, username };
  }
}

function principalOf(account: Account, readOnly: boolean, credential: Principal['credential']): Principal {
  return { username: account.username, uid: account.uid, roles: account.roles as Role[], scopeUid: account.scopeUid, readOnly, credential };
}

export function hasAnyRole(principal: Principal, roles: readonly Role[]): boolean {
  return principal.roles.some((role) => roles.includes(role));
}
