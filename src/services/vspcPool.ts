/**
 * The VSPC console pool at an instant: every company's managed agents with the console license
 * applied (rules 13, 17, 18 and the expiry grace), answered from the store.
 *
 * Within the license (the usual case) one GROUP BY counts each company's agents; agents with
 * events dated after `now` are replayed by the engine (src/domain/vspc.ts) from their own events;
 * only when the installation is over its license is the pool walked from its newest consuming
 * agent back to the license boundary. Every answer says until when it holds (`Timed.until`),
 * computed by the domain (`vspcPoolChangesAt`); the cache decorator (answerCache.ts) keeps it
 * that long. A property test checks cached against recomputed answers.
 */
import type { Kysely } from 'kysely';
import type { VspcLicense } from '../domain/licenses.js';
import { vspcLicenseExpired, vspcLicenseLapsed, vspcLicensingEndsAt } from '../domain/licenses.js';
import {
  agentStateAt, bucketAgents, compareFifo, countersFromBuckets, emptyBuckets, isNewAgent, newAgentsSince, overLimitSince, rentalExceedEndsAt,
  sumBuckets, unitsOf, usableUnits, vspcPoolChangesAt, type AgentBuckets, type AgentLicenseStatus, type AgentState, type ConsoleLicenseCounter,
} from '../domain/vspc.js';
import { segmentsBefore } from '../store/agentSegments.js';
import { agentBucketsByCompany, consumingAgentPagesNewestFirst, type PoolAgent } from '../store/agentCounts.js';
import type { Dialect } from '../store/dialect.js';
import type { Generations } from '../store/generation.js';
import { agentEvents } from '../store/readModels.js';
import type { Database } from '../store/schema.js';
import { formatInstant } from '../time.js';
import type { Timed } from './answerCache.js';

/**
 * The installation's managed agents at `now` with the VSPC license applied: each company's
 * buckets count Licensed and Licensed-by-exceed agents as used and New ones as new; Unlicensed
 * agents are counted apart only.
 */
export interface AgentPool {
  byCompany: Map<string, AgentBuckets>;
  licensedByExceed: number;
  unlicensed: number;
  /** Past the expiry grace: the license licenses nothing. */
  lapsed: boolean;
  /** Rental over its license: when the allowance ends (60 days after demand first exceeded the license, `overLimitSince`); null otherwise. */
  exceedEndsAt: number | null;
  /** Agents with events dated after `now` were replayed: the pool holds for this instant only. */
  replayed: boolean;
}

/** What the pool depends on besides the ledger: the instant, the license applied, and the counters read. */
export interface VspcMoment {
  now: number;
  license: VspcLicense | null;
  generations: Generations;
}

/** The question of the VSPC pool family; the cache decorator implements the same one. */
export interface VspcPoolAnswers {
  pool(at: VspcMoment): Promise<Timed<AgentPool>>;
}

/** A company's console counters from the pool (companies without agents count zero). */
export function companyCountersFromPool(pool: AgentPool, companyUid: string, license: VspcLicense | null): ConsoleLicenseCounter[] {
  return countersFromBuckets(pool.byCompany.get(companyUid) ?? emptyBuckets(), license);
}

export class VspcPool implements VspcPoolAnswers {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly timeZone: string,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  async pool({ now, license }: VspcMoment): Promise<Timed<AgentPool>> {
    const pool = await this.compute(now, license);
    return {
      value: pool,
      until: vspcPoolChangesAt({ license, now, zone: this.timeZone, exceedEndsAt: pool.exceedEndsAt, replayed: pool.replayed }),
    };
  }

  /** The states at `now` of agents whose history reaches past `now`, replayed from their own events. */
  private async replayedStates(agentUids: string[], now: number): Promise<AgentState[]> {
    if (agentUids.length === 0) return [];
    const states: AgentState[] = [];
    for (const [agentUid, events] of await agentEvents(this.db, agentUids)) {
      const state = agentStateAt(agentUid, events, now);
      if (state) states.push(state);
    }
    return states;
  }

  private async compute(now: number, license: VspcLicense | null): Promise<AgentPool> {
    const { byCompany, replay } = await agentBucketsByCompany(this.db, now, newAgentsSince(license, now, this.timeZone));
    const replayed = await this.replayedStates(replay, now);
    for (const state of replayed) {
      const buckets = byCompany.get(state.companyUid) ?? emptyBuckets();
      bucketAgents([state], license, now, this.timeZone, buckets);
      byCompany.set(state.companyUid, buckets);
    }
    const pool: AgentPool = { byCompany, licensedByExceed: 0, unlicensed: 0, lapsed: false, exceedEndsAt: null, replayed: replay.length > 0 };
    if (!license) return pool;
    if (vspcLicenseLapsed(license, now)) {
      for (const buckets of byCompany.values()) {
        pool.unlicensed += buckets.server.used + buckets.server.new + buckets.workstation.used + buckets.workstation.new;
      }
      return { ...pool, byCompany: new Map([...byCompany.keys()].map((uid) => [uid, emptyBuckets()])), licensedByExceed: 0, lapsed: true };
    }
    const beyond = await this.agentsBeyondLicense(now, license, sumBuckets(byCompany.values()), replayed);
    pool.exceedEndsAt = beyond.exceedEndsAt;
    for (const agent of beyond.agents) {
      if (agent.status === 'LicensedByExceed') {
        pool.licensedByExceed++;
      } else {
        pool.unlicensed++;
        byCompany.get(agent.companyUid)![agent.mode].used--;
      }
    }
    return pool;
  }

  /**
   * Rule 17 at `now`: the consuming agents beyond the license units, each Licensed by exceed or
   * Unlicensed. Walks the pool newest first (read model rows merged with the replayed agents);
   * the cumulative units of an agent's FIFO prefix are the installation's consuming totals less
   * the agents after it, so the walk stops at the first agent within the license.
   */
  private async agentsBeyondLicense(
    now: number,
    license: VspcLicense,
    total: AgentBuckets,
    replayed: readonly AgentState[],
  ): Promise<{ agents: (PoolAgent & { status: AgentLicenseStatus })[]; exceedEndsAt: number | null }> {
    const prefix = { server: total.server.used, workstation: total.workstation.used };
    if (unitsOf(prefix, license.weights) <= license.units) return { agents: [], exceedEndsAt: null };
    const extra = replayed
      .filter((state) => !isNewAgent(state, license, now, this.timeZone))
      .sort((a, b) => compareFifo(b, a));
    const pages = consumingAgentPagesNewestFirst(this.db, this.dialect, now, newAgentsSince(license, now, this.timeZone));
    const beyond: { agent: PoolAgent; units: number }[] = [];
    /** Takes the next agent of the walk; false once it is within the license (and so is every earlier one). */
    const visit = (agent: PoolAgent): boolean => {
      const units = unitsOf(prefix, license.weights);
      if (units <= license.units) return false;
      beyond.push({ agent, units });
      prefix[agent.mode]--;
      return true;
    };
    // The stored rows and the replayed agents, merged newest first.
    let next = 0;
    let walking = true;
    for await (const page of pages) {
      for (const agent of page) {
        while (walking && next < extra.length && compareFifo(extra[next]!, agent) > 0) walking = visit(extra[next++]!);
        if (walking) walking = visit(agent);
        if (!walking) break;
      }
      if (!walking) break;
    }
    while (walking && next < extra.length) walking = visit(extra[next++]!);
    // One clock per license: from when demand first went over, read from every agent's stretches.
    const overSince = overLimitSince(license, this.timeZone, await segmentsBefore(this.db, now + 1), now);
    const usable = usableUnits(license, now, overSince);
    return {
      agents: beyond.map(({ agent, units }) => ({ ...agent, status: units <= usable ? 'LicensedByExceed' : 'Unlicensed' })),
      exceedEndsAt: rentalExceedEndsAt(license, overSince),
    };
  }
}

export type ConsoleLicenseStatus = { status: 'Unknown' | 'Valid' | 'Warning' | 'Expired'; statusMessage: string | null };

/**
 * `status` and `statusMessage` of `GET /api/v3/licensing/console`: `Expired` once `now` is past
 * the expiration date (also while the expiry grace runs, which the message tells), `Warning`
 * while agents are beyond the license (Licensed by exceed or Unlicensed), else `Valid`. `pool`
 * is asked only when the license is in force.
 */
export async function consoleLicenseStatus(now: number, license: VspcLicense | null, pool: () => Promise<AgentPool>): Promise<ConsoleLicenseStatus> {
  if (!license) return { status: 'Unknown', statusMessage: 'No license is installed.' };
  if (vspcLicenseExpired(license, now)) {
    const expired = formatInstant(license.expirationDate!);
    const end = formatInstant(vspcLicensingEndsAt(license)!);
    return vspcLicenseLapsed(license, now)
      ? { status: 'Expired', statusMessage: `The license expired on ${expired} and its grace period ended on ${end}: no agent is licensed.` }
      : { status: 'Expired', statusMessage: `The license expired on ${expired}; agents stay licensed during the grace period, until ${end}.` };
  }
  const { licensedByExceed, unlicensed } = await pool();
  if (licensedByExceed + unlicensed === 0) return { status: 'Valid', statusMessage: null };
  return {
    status: 'Warning',
    statusMessage: `The license is exceeded: ${licensedByExceed} agent(s) licensed by exceed, ${unlicensed} agent(s) unlicensed.`,
  };
}
