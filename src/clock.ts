/**
 * The instant every answer is computed at. The system clock by default; with `--clock` a fixed
 * instant that `PUT /tally/v1/clock` moves (time travel for month rollovers and the 31-day release).
 */
import type { Instant } from './time.js';

export interface Clock {
  readonly fixed: boolean;
  now(): Instant;
  /** Moves a fixed clock; throws ClockNotMovableError on the system clock. */
  set(at: Instant): void;
}

export class ClockNotMovableError extends Error {
  constructor() {
    super('the clock follows the system time; start the server with --clock to travel in time');
  }
}

export function systemClock(): Clock {
  return {
    fixed: false,
    now: () => Date.now(),
    set: () => {
      throw new ClockNotMovableError();
    },
  };
}

export function fixedClock(start: Instant): Clock {
  let current = start;
  return {
    fixed: true,
    now: () => current,
    set: (at) => {
      current = at;
    },
  };
}
