/**
 * The part of the OAuth 2.0 token endpoint that both faces share: reading the grant from a form or
 * JSON body and running the password or refresh_token grant.
 */
import { clientText, type RefusalSink } from '../services/audit.js';
import type { AuthService, IssuedTokens } from '../services/auth.js';
import type { LoginThrottle } from '../services/throttle.js';
import { normaliseUsername } from '../services/usernames.js';

export type GrantOutcome =
  | { ok: true; tokens: IssuedTokens }
  | { ok: false; error: 'invalid_request' | 'invalid_grant' | 'unsupported_grant_type'; description: string }
  | { ok: false; error: 'throttled'; description: string; retryAfter: number };

/**
 * What an account name can be (the admin API's and `tally user add`'s rule). A name outside it
 * names no account and is not looked up: PostgreSQL refuses NUL in text and cannot index keys of
 * thousands of characters, so such a name would otherwise answer 500. Its failures still count
 * against the client address, under one stand-in account key that no real name can take.
 */
const POSSIBLE_USERNAME = /^[^\s/\u0000-\u001f\u007f]{1,200}$/;
const IMPOSSIBLE_ACCOUNT = '(not a user name)';

function field(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

/** Runs the grant a token request asks for. Unknown fields are ignored, as real clients send extras. */
export async function runGrant(
  auth: AuthService,
  throttle: LoginThrottle,
  body: unknown,
  clientAddress: string | undefined,
  refused: RefusalSink = async () => {},
): Promise<GrantOutcome> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: 'invalid_request', description: 'The request body must be a form or a JSON object with grant_type.' };
  }
  const form = body as Record<string, unknown>;
  const grantType = field(form, 'grant_type');
  switch (grantType) {
    case 'password': {
      const username = field(form, 'username');
      const password = field(form, 'password');
      if (!username || password === undefined) {
        return { ok: false, error: 'invalid_request', description: 'The password grant needs username and password.' };
      }
      // Account names are stored in NFC; a client may send another normal form of the same name.
      const normal = normaliseUsername(username);
      const possible = POSSIBLE_USERNAME.test(username) && normal.ok;
      const accountKey = possible && normal.ok ? normal.name : IMPOSSIBLE_ACCOUNT;
      // The audit log keeps the name as given (escaped and cut to 200 characters).
      const given = { username: clientText(username) };
      const target = `account/${given.username}`;
      const verdict = await throttle.check(accountKey, clientAddress);
      if (verdict.wait > 0) {
        await refused({ action: 'login.throttled', target, details: { ...given, scope: verdict.scope, retryAfter: verdict.wait } });
        return { ok: false, error: 'throttled', description: `Too many failed logins; try again in ${verdict.wait} seconds.`, retryAfter: verdict.wait };
      }
      const attempt = possible ? await auth.attemptLogin(accountKey, password) : ({ ok: false, reason: 'impossible-name' } as const);
      if (!attempt.ok) {
        await throttle.recordFailure(accountKey, clientAddress);
        await refused({ action: 'login.failed', target, details: { ...given, reason: attempt.reason } });
        return { ok: false, error: 'invalid_grant', description: 'The user name or password is incorrect.' };
      }
      await throttle.recordSuccess(accountKey, clientAddress);
      return { ok: true, tokens: attempt.tokens };
    }
    case 'refresh_token': {
      const refreshToken = field(form, 'refresh_token');
      if (!refreshToken) {
        return { ok: false, error: 'invalid_request', description: 'The refresh_token grant needs refresh_token.' };
      }
      // A reused (already spent) token has revoked its whole family; the client is told no more than for any invalid token.
      const outcome = await auth.refresh(refreshToken, clientAddress);
      return outcome.ok
        ? { ok: true, tokens: outcome.tokens }
        : { ok: false, error: 'invalid_grant', description: 'The refresh token is invalid, expired or already used.' };
    }
    case undefined:
      return { ok: false, error: 'invalid_request', description: 'grant_type is required.' };
    default:
      return { ok: false, error: 'unsupported_grant_type', description: `The grant type ${JSON.stringify(grantType)} is not supported.` };
  }
}
