/**
 * Accounts, roles and bearer tokens. Tokens are 256-bit random strings; the database holds only
 * their SHA-256, so a stolen database does not yield usable tokens and several server nodes can
 * share them. Token lifetimes follow the system clock, never the time-travel clock.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { deleteExpiredTokens, deleteToken, findToken, findTokenWithAccount, getAccount, insertToken } from '../store/accounts.js';
import type { Database } from '../store/schema.js';
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
  roles: Role[];
  scopeUid: string | null;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  issuedAt: number;
  expiresAt: number;
  expiresIn: number;
  username: string;
}

export type Authentication =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'missing' | 'malformed' | 'invalid' | 'expired' | 'disabled' };

export interface AuthOptions {
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
}

export const DEFAULT_AUTH_OPTIONS: AuthOptions = {
  accessTokenSeconds: 3600,
  refreshTokenSeconds: 14 * 24 * 3600,
};

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

// Expired tokens are deleted at most this often, piggybacking on logins.
const CLEANUP_INTERVAL_MS = 60_000;

export class AuthService {
  private lastCleanup = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: AuthOptions = DEFAULT_AUTH_OPTIONS,
    private readonly wallClock: () => number = Date.now,
  ) {
    // Computed now so that the first login of an unknown user is not measurably slower.
    void dummyPasswordHash();
  }

  /** Password grant: tokens for a valid, enabled account; null otherwise (no reason leaks out). */
  async login(username: string, password: string): Promise<IssuedTokens | null> {
    const account = await getAccount(this.db, username);
    const valid = await verifyPassword(password, account?.passwordHash ?? (await dummyPasswordHash()));
    if (!account || !valid || account.disabled) return null;
    return this.issue(account.username);
  }

  /** Refresh grant: a refresh token is spent once and answered with a new pair. */
  async refresh(refreshToken: string): Promise<IssuedTokens | null> {
    const hash = hashToken(refreshToken);
    const row = await findToken(this.db, hash);
    if (!row || row.kind !== 'refresh') return null;
    const spent = await deleteToken(this.db, hash);
    if (!spent || row.expires_at <= this.wallClock()) return null;
    const account = await getAccount(this.db, row.username);
    if (!account || account.disabled) return null;
    return this.issue(account.username);
  }

  /** Checks an `Authorization` header value. */
  async authenticate(header: string | undefined): Promise<Authentication> {
    if (header === undefined || header === '') return { ok: false, reason: 'missing' };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return { ok: false, reason: 'malformed' };
    const found = await findTokenWithAccount(this.db, hashToken(match[1]!));
    if (!found || found.token.kind !== 'access') return { ok: false, reason: 'invalid' };
    if (found.token.expires_at <= this.wallClock()) return { ok: false, reason: 'expired' };
    const account = found.account;
    if (!account || account.disabled) return { ok: false, reason: 'disabled' };
    return {
      ok: true,
      principal: { username: account.username, roles: account.roles as Role[], scopeUid: account.scopeUid },
    };
  }

  private async issue(username: string): Promise<IssuedTokens> {
    const issuedAt = this.wallClock();
    if (issuedAt - this.lastCleanup > CLEANUP_INTERVAL_MS) {
      this.lastCleanup = issuedAt;
      await deleteExpiredTokens(this.db, issuedAt);
    }
    const accessToken = newToken();
    const refreshToken = newToken();
    const expiresAt = issuedAt + this.options.accessTokenSeconds * 1000;
    await insertToken(this.db, { token_hash: hashToken(accessToken), kind: 'access', username, issued_at: issuedAt, expires_at: expiresAt });
    await insertToken(this.db, {
      token_hash: hashToken(refreshToken),
      kind: 'refresh',
      username,
      issued_at: issuedAt,
      expires_at: issuedAt + this.options.refreshTokenSeconds * 1000,
    });
    return { accessToken, refreshToken, issuedAt, expiresAt, expiresIn: this.options.accessTokenSeconds, username };
  }
}

export function hasAnyRole(principal: Principal, roles: readonly Role[]): boolean {
  return principal.roles.some((role) => roles.includes(role));
}
