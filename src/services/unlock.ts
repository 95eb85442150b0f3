/**
 * Lifting the login locks of an account (services/throttle.ts says which): through the admin API
 * (`POST /tally/v1/users/{username}/unlock`, Portal Administrators) or on the server's machine
 * (`tally user unlock NAME`, which needs no login: the last Portal Administrator can always
 * recover from the console). Recorded as `account.unlock`.
 */
import type { Kysely } from 'kysely';
import { getAccount } from '../store/accounts.js';
import type { Database } from '../store/schema.js';
import * as audit from './audit.js';
import type { LoginThrottle } from './throttle.js';

export type UnlockOutcome = { ok: true; username: string; cleared: number } | { ok: false; reason: 'missing' };

export async function unlockAccount(db: Kysely<Database>, throttle: LoginThrottle, who: audit.Who, username: string): Promise<UnlockOutcome> {
  const account = await getAccount(db, username.normalize('NFC'));
  if (!account) return { ok: false, reason: 'missing' };
  const cleared = await throttle.unlock(account.username);
  await audit.recordCommitted(db, who, { action: 'account.unlock', target: `account/${account.username}`, details: { uid: account.uid, cleared } });
  return { ok: true, username: account.username, cleared };
}
