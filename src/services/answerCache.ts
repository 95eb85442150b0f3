/**
 * The answer cache, and the decorators that put it around the licensing services (VB365 usage,
 * the VSPC pool) without changing their questions.
 *
 * Answers computed from the read models, kept until something they depend on changes:
 * - the ledger (its generation, raised by every committed batch on any node),
 * - the inputs the caller names in the key's `terms` (the license, for instance),
 * - time: every answer says from which instant (`now` when computed) until which instant
 *   (exclusive) it holds; an answer is reused only for a `now` in that range. The end is the next
 *   instant at which the rules could change it even if no event arrived: a month start, the
 *   31-day release of the oldest backup still counted, the end of a grace period, … The service
 *   reports it, computed by the domain beside each rule (`vb365UsageChangesAt`,
 *   `vspcPoolChangesAt`): the cache holds no copy of the rules. Earlier is always safe.
 * Time travel backwards falls outside the range and recomputes.
 */
import type { OrganizationLicensingInformation } from '../domain/vb365.js';
import type { Generations } from '../store/generation.js';
import type { Vb365LicenseUsage, Vb365Moment, Vb365UsageAnswers } from './vb365Usage.js';
import type { AgentPool, VspcMoment, VspcPoolAnswers } from './vspcPool.js';

export interface Validity {
  /** Exclusive end of the answer's validity; `now + 1` for an answer good for this instant only. */
  until: number;
}

/** An answer and until when (exclusive) it holds if no event arrives; `from` is set by the cache (the instant it was computed at). */
export interface Timed<T> extends Validity {
  value: T;
  from?: number;
}

interface Entry {
  value: unknown;
  generation: number;
  terms: string;
  from: number;
  until: number;
}

/** Process-wide lookups of every AnswerCache, read by `GET /metrics` (tally_answer_cache_*). */
export const answerCacheStats = { hits: 0, misses: 0 };

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  /** Computations under way, by key (see `timed`). */
  private readonly pending = new Map<string, { generation: number; terms: string; now: number; entry: Promise<Entry> }>();

  constructor(private readonly maxEntries = 10_000) {}

  async get<T>(
    key: string,
    at: { generation: number; terms: string; now: number },
    compute: () => Promise<{ value: T } & Validity>,
  ): Promise<T> {
    const { value } = await this.timed(key, at, compute);
    return value;
  }

  /** As `get`, with the range the kept answer holds for. */
  async timed<T>(
    key: string,
    at: { generation: number; terms: string; now: number },
    compute: () => Promise<{ value: T } & Validity>,
  ): Promise<Timed<T>> {
    const kept = this.entries.get(key);
    const hit = kept !== undefined && holds(kept, at);
    if (hit) answerCacheStats.hits++;
    else answerCacheStats.misses++;
    if (hit) return timedOf<T>(kept);
    // One computation per answer at a time: the requests that miss while it runs wait for it
    // (single flight). Where the computation is asynchronous (PostgreSQL), every poll arriving
    // after a batch would otherwise start the same query, and they would crowd the pool and the
    // cores that ingestion needs. An answer computed at an earlier instant serves a later one
    // that its validity covers, exactly as a kept answer does.
    const flight = this.pending.get(key);
    if (flight && flight.generation === at.generation && flight.terms === at.terms && flight.now <= at.now) {
      const entry = await flight.entry;
      if (holds(entry, at)) return timedOf<T>(entry);
    }
    const entry = compute().then(({ value, until }): Entry => {
      const made = { value, generation: at.generation, terms: at.terms, from: at.now, until: Math.max(until, at.now + 1) };
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.delete(key);
      this.entries.set(key, made);
      return made;
    });
    this.pending.set(key, { generation: at.generation, terms: at.terms, now: at.now, entry });
    try {
      return timedOf<T>(await entry);
    } finally {
      if (this.pending.get(key)?.entry === entry) this.pending.delete(key);
    }
  }

  /**
   * A commit moved the ledger's counter from `before` to `after` (and nothing else moved it): the
   * answers computed at `before` that the commit cannot change (`unchanged` says so of a key) hold
   * at `after` too, and are kept instead of recomputed.
   */
  advance(before: number, after: number, unchanged: (key: string) => boolean): void {
    for (const [key, entry] of this.entries) if (entry.generation === before && unchanged(key)) entry.generation = after;
  }

  /** Drops the answers whose key `touched` names (see `answerKeys`): for invalidating only what a batch changed. */
  forget(touched: (key: string) => boolean): void {
    for (const key of [...this.entries.keys()]) if (touched(key)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.pending.clear();
  }
}

function holds(entry: Entry, at: { generation: number; terms: string; now: number }): boolean {
  return entry.generation === at.generation && entry.terms === at.terms && entry.from <= at.now && at.now < entry.until;
}

function timedOf<T>(entry: Entry): Timed<T> {
  return { value: entry.value as T, from: entry.from, until: entry.until };
}

/**
 * The keys answers are kept under, one family per prefix, so that an invalidation can name what
 * a batch touched. Beware: an organization's VB365 answer also depends on the installation-wide
 * FIFO ranking when the installation is over its license, and a company's counters on the whole
 * pool (the pool is one answer for that reason).
 */
export const answerKeys = {
  vb365Organization: (organizationId: string) => `vb365:organization:${organizationId}`,
  vb365Installation: () => 'vb365:installation',
  vspcPool: () => 'vspc:pool',
} as const;

/** The JSON text of license objects (licenses are kept per config counter, so the text is made once per license object). */
const licenseTexts = new WeakMap<object, string>();

/** What an answer is checked against besides the ledger: the configuration counter and the license applied. */
function termsOf(generations: Generations, license: object | null): string {
  if (license === null) return `${generations.config}|null`;
  let text = licenseTexts.get(license);
  if (text === undefined) licenseTexts.set(license, (text = JSON.stringify(license)));
  return `${generations.config}|${text}`;
}

function stamp(at: { now: number; license: object | null; generations: Generations }) {
  return { generation: at.generations.ledger, terms: termsOf(at.generations, at.license), now: at.now };
}

/**
 * The cache around the VB365 usage service: same questions, answers kept per organization and
 * for the installation until the ledger, the configuration, the license or the instant the
 * domain named (`vb365UsageChangesAt`) moves them.
 */
export class CachedVb365Usage implements Vb365UsageAnswers {
  constructor(private readonly inner: Vb365UsageAnswers, private readonly cache: AnswerCache) {}

  organizationUsage(organizationId: string, at: Vb365Moment): Promise<Timed<OrganizationLicensingInformation>> {
    return this.cache.timed(answerKeys.vb365Organization(organizationId), stamp(at), () => this.inner.organizationUsage(organizationId, at));
  }

  installationUsage(at: Vb365Moment): Promise<Timed<Vb365LicenseUsage>> {
    return this.cache.timed(answerKeys.vb365Installation(), stamp(at), () => this.inner.installationUsage(at));
  }
}

/** The cache around the VSPC pool service: the pool kept until the domain's `vspcPoolChangesAt`, a batch, or a license change. */
export class CachedVspcPool implements VspcPoolAnswers {
  constructor(private readonly inner: VspcPoolAnswers, private readonly cache: AnswerCache) {}

  pool(at: VspcMoment): Promise<Timed<AgentPool>> {
    return this.cache.timed(answerKeys.vspcPool(), stamp(at), () => this.inner.pool(at));
  }
}

