/**
 * Login throttling: after too many failed password logins for one account, or from one client
 * address, within a window, further attempts are refused until the window ends, whatever the
 * password. The counters live in the database so that every node enforces them together.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export interface ThrottleOptions {
  windowMs: number;
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  windowMs: 15 * 60_000,
  maxFailuresPerAccount: 5,
  maxFailuresPerAddress: 20,
};

const accountKey = (username: string) => `account:${username.toLowerCase()}`;
const addressKey = (address: string) => `address:${address}`;

export class LoginThrottle {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly wallClock: () => number = Date.now,
  ) {}

  /** Seconds to wait when this login may not be tried now; 0 when it may. */
  async retryAfter(username: string, address: string | undefined): Promise<number> {
    const now = this.wallClock();
    const limits: [string, number][] = [[accountKey(username), this.options.maxFailuresPerAccount]];
    if (address) limits.push([addressKey(address), this.options.maxFailuresPerAddress]);
    const rows = await this.db.selectFrom('login_attempts').selectAll().where('key', 'in', limits.map(([key]) => key)).execute();
    let wait = 0;
    for (const row of rows) {
      const limit = limits.find(([key]) => key === row.key)![1];
      const end = Number(row.window_start) + this.options.windowMs;
      if (end > now && row.failures >= limit) wait = Math.max(wait, Math.ceil((end - now) / 1000));
    }
    return wait;
  }

  async recordFailure(username: string, address: string | undefined): Promise<void> {
    const now = this.wallClock();
    const expired = now - this.options.windowMs;
    for (const key of [accountKey(username), ...(address ? [addressKey(address)] : [])]) {
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

  /** A successful login clears the account's count (the address keeps its own). */
  async recordSuccess(username: string): Promise<void> {
    await this.db.deleteFrom('login_attempts').where('key', '=', accountKey(username)).execute();
  }
}
