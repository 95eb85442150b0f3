/**
 * The instant every answer is computed at. The system clock by default; with `--clock` a fixed
 * instant that `PUT /tally/v1/clock` moves (time travel for month rollovers and the 31-day release).
 * The fixed instant lives in the database, so every server node on one database answers at the
 * same instant and a move on one node is seen by all.
 */
import type { Kysely } from 'kysely';
import { deleteSetting, getSetting, putSetting } from './store/settings.js';
import type { Database } from './store/schema.js';
import type { Instant } from './time.js';

export interface Clock {
  readonly fixed: boolean;
  /**
   * The current instant. With the `config` change counter the caller read (store/generation.ts),
   * a fixed clock kept in the database is read from the database only when the counter moved.
   */
  now(config?: number): Promise<Instant>;
  /**
   * The current instant if it is known without waiting under the `config` counter `config`: always
   * for the system clock; for a fixed clock kept in the database, once `now(config)` read it.
   */
  peek(config: number): Instant | undefined;
  /** Moves a fixed clock; throws ClockNotMovableError on the system clock. */
  set(at: Instant): Promise<void>;
}

export class ClockNotMovableError extends Error {
  constructor() {
    super('the clock follows the system time; start the server with --clock to travel in time');
  }
}

export function systemClock(): Clock {
  return {
    fixed: false,
    now: async () => Date.now(),
    peek: () => Date.now(),
    set: async () => {
      throw new ClockNotMovableError();
    },
  };
}

/** A fixed clock held in memory (one process, e.g. a verification run). */
export function fixedClock(start: Instant): Clock {
  let current = start;
  return {
    fixed: true,
    now: async () => current,
    peek: () => current,
    set: async (at) => {
      current = at;
    },
  };
}

const CLOCK_KEY = 'clock.now';

/** A fixed clock kept in the database and shared by every node; `start` (from --clock) resets it. */
export async function sharedFixedClock(db: Kysely<Database>, start: Instant): Promise<Clock> {
  await putSetting(db, CLOCK_KEY, String(start));
  const read = async () => Number((await getSetting(db, CLOCK_KEY)) ?? start);
  // Moving the clock writes a setting, which raises the `config` counter: the instant read under
  // one value of the counter holds while the counter does (it was read after the counter).
  let kept: { config: number; at: Instant } | undefined;
  return {
    fixed: true,
    now: async (config) => {
      if (config === undefined) return read();
      if (kept?.config === config) return kept.at;
      const at = await read();
      kept = { config, at };
      return at;
    },
    peek: (config) => (kept?.config === config ? kept.at : undefined),
    set: (at) => putSetting(db, CLOCK_KEY, String(at)),
  };
}

const TIME_ZONE_KEY = 'installation.timeZone';

/**
 * What every command must agree on with the server: its clock and the time zone of its month
 * boundaries. `tally serve` records both when it starts (the fixed clock as above, or none for the
 * system clock; the zone always); `tally report`, `tally status` and `tally migrate` read them back,
 * so that no command freezes a month in another zone or at another instant than the server's.
 */
export interface Installation {
  /** The fixed clock's instant, or undefined when the server follows the system clock. */
  fixedClock: Instant | undefined;
  /** The zone recorded by `tally serve`; undefined on a database no recent server started on. */
  timeZone: string | undefined;
}

/** Called by `tally serve` at start-up (after the fixed clock, if any, was stored). */
export async function recordInstallation(db: Kysely<Database>, fixed: boolean, timeZone: string): Promise<void> {
  if (!fixed) await deleteSetting(db, CLOCK_KEY);
  await putSetting(db, TIME_ZONE_KEY, timeZone);
}

export async function readInstallation(db: Kysely<Database>): Promise<Installation> {
  const clock = await getSetting(db, CLOCK_KEY);
  return { fixedClock: clock === undefined ? undefined : Number(clock), timeZone: await getSetting(db, TIME_ZONE_KEY) };
}
