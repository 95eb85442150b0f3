/**
 * Answers computed from the read models, kept until something they depend on changes:
 * - the ledger (its generation, raised by every committed batch on any node),
 * - the inputs the caller names in the key's `terms` (the license, for instance),
 * - time: every answer says from which instant (`now` when computed) until which instant
 *   (exclusive) it holds; an answer is reused only for a `now` in that range. The end is the next
 *   instant at which the rules could change it even if no event arrived: a month start, the
 *   31-day release of the oldest backup still counted, the end of a grace period, … computed
 *   conservatively (earlier is always safe).
 * Time travel backwards falls outside the range and recomputes.
 */
export interface Validity {
  /** Exclusive end of the answer's validity; `now + 1` for an answer good for this instant only. */
  until: number;
}

/**
 * Collects the instants between which every answer a request used holds (the intersection), for
 * a caller that keeps what it built from them (the response replay, http/replay.ts).
 */
export interface ValidityRange {
  from: number;
  until: number;
}

export function unbounded(): ValidityRange {
  return { from: -Infinity, until: Infinity };
}

interface Entry {
  value: unknown;
  generation: number;
  terms: string;
  from: number;
  until: number;
}

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 10_000) {}

  async get<T>(
    key: string,
    at: { generation: number; terms: string; now: number },
    compute: () => Promise<{ value: T } & Validity>,
    range?: ValidityRange,
  ): Promise<T> {
    let entry = this.entries.get(key);
    if (!(entry && entry.generation === at.generation && entry.terms === at.terms && entry.from <= at.now && at.now < entry.until)) {
      const { value, until } = await compute();
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.delete(key);
      entry = { value, generation: at.generation, terms: at.terms, from: at.now, until: Math.max(until, at.now + 1) };
      this.entries.set(key, entry);
    }
    if (range) {
      range.from = Math.max(range.from, entry.from);
      range.until = Math.min(range.until, entry.until);
    }
    return entry.value as T;
  }

  clear(): void {
    this.entries.clear();
  }
}
