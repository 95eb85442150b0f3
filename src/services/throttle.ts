/**
 * Login throttling that an attacker cannot turn against an account's owner.
 *
 * Failed password logins are counted, within a window (15 minutes), under three keys:
 *
 * - **(account, address)**: 5 failures lock that account *from that address* for the rest of the
 *   window. This is what stops one client guessing one account's password.
 * - **address**: 20 failures, whatever the accounts, lock the address for every account (one
 *   client spraying many accounts).
 * - **account**: 5 failures from any addresses lock the account for the rest of the window, but
 *   **only for addresses the account has never logged in from** (in the last 90 days). An
 *   address the account logged in from successfully before (a *known address*) is exempt from the
 *   account-wide lock, and still bound by its own (account, address) and address counters. So five
 *   wrong passwords from five addresses lock `admin` out of new places (distributed guessing) but
 *   not out of the operator's usual desk.
 *
 * A successful login clears that (account, address) count and records the address as known; it
 * does not clear the account-wide count (that would let a distributed guesser start again each
 * time the owner logs in; the owner, at a known address, does not need it cleared).
 *
 * `unlock` (the admin endpoint `POST /tally/v1/users/{username}/unlock`, and `tally user unlock
 * NAME` on the server's machine, which needs no login and so always works for the last Portal
 * Administrator) clears the account's counts and the address counts of its known addresses.
 *
 * The counters live in the database (`login_attempts`, keys `account:`, `pair:`, `address:`,
 * `known:`) so that every node enforces them together. Account names are keyed in their
 * normalised form (NFC, case-folded), so `ADMIN` and `admin` share a count.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { usernameKey } from './usernames.js';

export interface ThrottleOptions {
  windowMs: number;
  /** Failures of one account from one address. */
  maxFailuresPerAccountAddress: number;
  /** Failures of one account from all addresses (binds addresses it never logged in from). */
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  /** How long an address stays known to an account after its last successful login. */
  knownAddressMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  windowMs: 15 * 60_000,
  maxFailuresPerAccountAddress: 5,
  maxFailuresPerAccount: 5,
  maxFailuresPerAddress: 20,
  knownAddressMs: 90 * 86_400_000,
};

/** Why a login may not be tried now (for the audit log). */
export type ThrottleScope = 'account' | 'account-address' | 'address';

export interface ThrottleVerdict {
  /** Seconds to wait; 0 when the login may be tried. */
  wait: number;
  scope?: ThrottleScope;
}

const accountKey = (username: string) => `account:${usernameKey(username)}`;
const pairKey = (username: string, address: string) => `pair:${usernameKey(username)}|${address}`;
const knownKey = (username: string, address: string) => `known:${usernameKey(username)}|${address}`;
const addressKey = (address: string) => `address:${address}`;

const CLEANUP_INTERVAL_MS = 10 * 60_000;

export class LoginThrottle {
  private lastCleanup = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly wallClock: () => number = Date.now,
  ) {}

  /** Seconds to wait when this login may not be tried now; 0 when it may. */
  async retryAfter(username: string, address: string | undefined): Promise<number> {
    return (await this.check(username, address)).wait;
  }

  /** Whether this login may be tried now and, if not, which counter refuses it. */
  async check(username: string, address: string | undefined): Promise<ThrottleVerdict> {
    const now = this.wallClock();
    const limits: [string, number, ThrottleScope][] = [[accountKey(username), this.options.maxFailuresPerAccount, 'account']];
    if (address) {
      limits.push([pairKey(username, address), this.options.maxFailuresPerAccountAddress, 'account-address']);
      limits.push([addressKey(address), this.options.maxFailuresPerAddress, 'address']);
    }
    const keys = [...limits.map(([key]) => key), ...(address ? [knownKey(username, address)] : [])];
    const rows = await this.db.selectFrom('login_attempts').selectAll().where('key', 'in', keys).execute();
    const known = address !== undefined && rows.some((row) => row.key === knownKey(username, address) && Number(row.window_start) + this.options.knownAddressMs > now);
    const verdict: ThrottleVerdict = { wait: 0 };
    for (const row of rows) {
      const limit = limits.find(([key]) => key === row.key);
      if (!limit) continue;
      if (limit[2] === 'account' && known) continue;
      const end = Number(row.window_start) + this.options.windowMs;
      if (end > now && row.failures >= limit[1]) {
        const wait = Math.ceil((end - now) / 1000);
        if (wait > verdict.wait) Object.assign(verdict, { wait, scope: limit[2] });
      }
    }
    return verdict;
  }

  async recordFailure(username: string, address: string | undefined): Promise<void> {
    const now = this.wallClock();
    const expired = now - this.options.windowMs;
    await this.cleanup(now);
    const keys = [accountKey(username), ...(address ? [pairKey(username, address), addressKey(address)] : [])];
    for (const key of keys) {
      // One statement, so that concurrent failures on several nodes all count.
      await this.db
        .insertInto('login_attempts')
        .values({ key, window_start: now, failures: 1 })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            failures: sql`CASE WHEN login_attempts.window_start <= ${expired} THEN 1 ELSE login_attempts.failures + 1 END`,
            window_start: sql`CASE WHEN login_attempts.window_start <= ${expired} THEN ${now} ELSE login_attempts.window_start END`,
          }),
        )
        .execute();
    }
  }

  /** A successful login clears the (account, address) count and makes the address known to the account. */
  async recordSuccess(username: string, address?: string): Promise<void> {
    if (!address) return;
    const now = this.wallClock();
    await this.db.deleteFrom('login_attempts').where('key', '=', pairKey(username, address)).execute();
    await this.db
      .insertInto('login_attempts')
      .values({ key: knownKey(username, address), window_start: now, failures: 0 })
      .onConflict((oc) => oc.column('key').doUpdateSet({ window_start: now }))
      .execute();
  }

  /**
   * Lifts every lock on the account: its account-wide count, its (account, address) counts, and
   * the counts of the addresses it logged in from before (so that its owner can log in from
   * there at once). Returns how many counters were cleared.
   */
  async unlock(username: string): Promise<number> {
    const name = usernameKey(username);
    const knownPrefix = `known:${name}|`;
    const pairPrefix = `pair:${name}|`;
    const known = await this.db
      .selectFrom('login_attempts')
      .select('key')
      .where(sql<boolean>`substr(key, 1, ${knownPrefix.length}) = ${knownPrefix}`)
      .execute();
    const addresses = known.map((row) => addressKey(row.key.slice(knownPrefix.length)));
    let cleared = 0;
    // substr rather than LIKE: names may hold `_` and `%`.
    const pairs = await this.db.deleteFrom('login_attempts').where(sql<boolean>`substr(key, 1, ${pairPrefix.length}) = ${pairPrefix}`).executeTakeFirst();
    cleared += Number(pairs.numDeletedRows);
    const keys = [accountKey(username), ...addresses];
    const rest = await this.db.deleteFrom('login_attempts').where('key', 'in', keys).where('failures', '>', 0).executeTakeFirst();
    cleared += Number(rest.numDeletedRows);
    return cleared;
  }

  /** Drops counters whose window ended and known addresses past their time, now and then. */
  private async cleanup(now: number): Promise<void> {
    if (now - this.lastCleanup < CLEANUP_INTERVAL_MS) return;
    this.lastCleanup = now;
    await this.db
      .deleteFrom('login_attempts')
      .where((eb) =>
        eb.or([
          eb.and([eb(sql`substr(key, 1, 6)`, '<>', 'known:'), eb('window_start', '<=', now - this.options.windowMs)]),
          eb.and([eb(sql`substr(key, 1, 6)`, '=', 'known:'), eb('window_start', '<=', now - this.options.knownAddressMs)]),
        ]),
      )
      .execute();
  }
}
