/**
 * The VSPC month-end report (rule 20): per company and agent type, the maximum number of agents
 * managed at the same time during the month, and the agents new that month. Pure functions.
 *
 * Decisions:
 * - Rental: agents activated before the month are reported (they consume); agents activated in
 *   the month are listed as new and not reported (they consume from the next month, rule 13).
 *   Other license types: every agent is reported, none is new.
 * - "At the same time": the maximum over the month of the number of agents managed at one
 *   instant, counted per agent type at that instant (an agent that changes mode counts where it
 *   is at each instant).
 * - Only managed agents (reference §2.3, §2.4, §2.9): at each instant the agents count with the
 *   statuses `classifyAgents` gives them then, the same function as the live counters: Licensed
 *   and Licensed by exceed are reported, New listed as new, Unlicensed agents nowhere, and nothing
 *   from the end of the expiry grace on (`managedMonthCounters`). `companyMonthCounters` counts
 *   every agent: it is the report whenever the consuming agents fit in the license all month and
 *   the grace does not end in it (`peakConsumingUnits`), which is what the store's fast path uses.
 * - New agents: distinct agents whose current activation started in the month and that were New
 *   (managed) at some instant of the month (rule 25: activated and removed within the month still
 *   counts), not a peak.
 */
import { startOfMonth, type Instant } from '../time.js';
import type { AgentMode, AgentWeights, VspcLicense } from './licenses.js';
import { DEFAULT_VSPC_LICENSE, vspcLicensingEndsAt } from './licenses.js';
import {
  agentStateAt, compareFifo, COUNTER_TYPES, newAgentsSince, overLimitPeriods, poolLimits, rentalExceedEndsAt, reportWindowChangesAt, unitsOf,
  type AgentEvent, type OverLimitPeriod, type AgentState, type CounterType, type UnitType,
} from './vspc.js';

/** One stretch of time during which an agent's state did not change. */
export interface AgentSegment {
  from: Instant;
  /** Exclusive; Infinity while the state lasts. */
  to: Instant;
  state: AgentState;
}

/** The agent's managed stretches, from its events (all of them, in any order). */
export function agentSegments(agentUid: string, events: readonly AgentEvent[]): AgentSegment[] {
  const instants = [...new Set(events.map((e) => e.at))].sort((a, b) => a - b);
  const segments: AgentSegment[] = [];
  instants.forEach((at, i) => {
    const state = agentStateAt(agentUid, events, at);
    if (state) segments.push({ from: at, to: instants[i + 1] ?? Infinity, state });
  });
  return segments;
}

/**
 * The segments that overlap [start, end), grouped by the company that managed the agent in each:
 * one pass over every segment, so that the report costs O(segments), not O(companies × segments).
 */
export function segmentsByCompany(segmentsByAgent: Iterable<readonly AgentSegment[]>, start: Instant, end: Instant): Map<string, AgentSegment[]> {
  const grouped = new Map<string, AgentSegment[]>();
  for (const segments of segmentsByAgent) {
    for (const segment of segments) {
      if (segment.to <= start || segment.from >= end) continue;
      const list = grouped.get(segment.state.companyUid);
      if (list) list.push(segment);
      else grouped.set(segment.state.companyUid, [segment]);
    }
  }
  return grouped;
}

export interface ReportCounter {
  type: CounterType;
  unitType: UnitType;
  reportedCount: number;
  reportedUnits: number;
  newCount: number;
  newUnits: number;
}

const MODE_OF: Record<CounterType, AgentMode> = { VAC_Server_Agent: 'server', VAC_Workstation_Agent: 'workstation' };

/**
 * Agents already counted outside the segments: `reported` were managed during the whole month (a
 * floor under its maximum), `fresh` are distinct new agents. The store counts these in SQL so that
 * only the stretches that change within the month are read as rows.
 */
export interface CountedAgents {
  reported: Record<AgentMode, number>;
  fresh: Record<AgentMode, number>;
}

const NONE_COUNTED: CountedAgents = { reported: { server: 0, workstation: 0 }, fresh: { server: 0, workstation: 0 } };

/** A company's report counters for the month [start, end). */
export function companyMonthCounters(
  companyUid: string,
  segmentsByAgent: Iterable<readonly AgentSegment[]>,
  license: VspcLicense | null,
  start: Instant,
  end: Instant,
  counted: CountedAgents = NONE_COUNTED,
): ReportCounter[] {
  const terms = license ?? DEFAULT_VSPC_LICENSE;
  const rental = terms.type === 'Rental';
  const changes: Record<AgentMode, { at: Instant; delta: number }[]> = { server: [], workstation: [] };
  const fresh: Record<AgentMode, Set<string>> = { server: new Set(), workstation: new Set() };
  for (const segments of segmentsByAgent) {
    for (const { from, to, state } of segments) {
      if (state.companyUid !== companyUid || to <= start || from >= end) continue;
      if (rental && state.activatedAt >= start) {
        fresh[state.mode].add(state.agentUid);
        continue;
      }
      changes[state.mode].push({ at: Math.max(from, start), delta: 1 }, { at: Math.min(to, end), delta: -1 });
    }
  }
  return COUNTER_TYPES.map((type) => {
    const mode = MODE_OF[type];
    // Ends before starts at the same instant: a hand-over is not two agents at once.
    const sweep = changes[mode].sort((a, b) => a.at - b.at || a.delta - b.delta);
    let current = 0;
    let max = 0;
    for (const change of sweep) {
      current += change.delta;
      max = Math.max(max, current);
    }
    max += counted.reported[mode];
    const weight = terms.weights[mode];
    const newCount = fresh[mode].size + counted.fresh[mode];
    return {
      type,
      unitType: rental ? ('Points' as const) : ('Instances' as const),
      reportedCount: max,
      reportedUnits: max * weight,
      newCount,
      newUnits: newCount * weight,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Only managed agents (reference §2.3, §2.4, §2.9): the pool applied at every instant of the month

/** The first instant at which the console manages no agent any more (past the expiry grace); null when never. */
export function managementEndsAt(license: VspcLicense | null): Instant | null {
  const end = license ? vspcLicensingEndsAt(license) : null;
  return end === null ? null : end + 1;
}

/**
 * The instants of (start, end) other than agent events at which `classifyAgents` may answer
 * differently, from the same rule-side functions the live pool's cache uses
 * (`reportWindowChangesAt`, `rentalExceedEndsAt`): the usage report entering and leaving its
 * 30-day window (the doubled allowance) and, under Rental, the end of the allowance of every
 * over-limit period (`overLimitPeriods`: 60 days after demand first exceeded the license, one
 * clock per license). The month start and the end of the expiry grace are the caller's bounds. A
 * superset is harmless: between two instants where nothing changes the answer is the same.
 */
export function poolChangeInstants(license: VspcLicense | null, periods: Iterable<OverLimitPeriod>, start: Instant, end: Instant): Instant[] {
  if (!license) return [];
  const instants = new Set<Instant>();
  const sent = license.lastReportSentAt ?? null;
  for (let at = reportWindowChangesAt(sent, start); at !== null && at < end; at = reportWindowChangesAt(sent, at)) instants.add(at);
  for (const period of periods) {
    const ends = rentalExceedEndsAt(license, period.from);
    if (ends !== null && ends > start && ends < end && ends < period.to) instants.add(ends);
  }
  return [...instants];
}

/**
 * The highest number of units the consuming agents of the installation used at one instant of
 * [start, end): `floor` agents consumed all along, `partial` are the other consuming stretches.
 * When it stays within the license every consuming agent was Licensed at every instant (the FIFO
 * walk of `classifyAgents` never passes `units`), so the report may count them without the pool.
 */
export function peakConsumingUnits(floor: Record<AgentMode, number>, partial: Iterable<AgentSegment>, weights: AgentWeights, start: Instant, end: Instant): number {
  const changes: { at: Instant; delta: number }[] = [];
  for (const { from, to, state } of partial) {
    if (to <= start || from >= end) continue;
    const units = weights[state.mode];
    changes.push({ at: Math.max(from, start), delta: units }, { at: Math.min(to, end), delta: -units });
  }
  // Ends before starts at the same instant, as in the report's own sweep.
  changes.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = unitsOf(floor, weights);
  let peak = current;
  for (const change of changes) {
    current += change.delta;
    peak = Math.max(peak, current);
  }
  return peak;
}

/**
 * Every company's report counters for [start, end), counting at each instant only the agents the
 * console managed then: the statuses are those of `classifyAgents` (the live counters' function)
 * at that instant, Licensed and Licensed by exceed reported, New listed as new, Unlicensed
 * nowhere, and nothing from the end of the expiry grace on. `segments` are every stretch of every
 * agent of the installation that begins before `end` (the pool is shared by all companies): the
 * ones before the month time the Rental allowance (one clock per license, `overLimitPeriods`).
 *
 * A sweep over the instants where something may change (agent events, the month start, the pool
 * change instants; the grace end cuts the month): between two of them the statuses are constant.
 * The consuming stretches of the month are placed once in FIFO order (activation, agent uid: an
 * agent has one stretch at a time), and prefix counts per mode (Fenwick trees) give at every
 * instant the first agent beyond a number of units in O(log n): `poolLimits`, the rule
 * `classifyAgents` applies, then says where Licensed by exceed ends. The agents beyond that
 * boundary are the Unlicensed ones; the sweep keeps their count per company and moves the
 * boundary agent by agent, so the cost follows the stretches of the month and how far the
 * boundary moves, not the agents times the instants.
 *
 * New agents are distinct: an agent counts once per company and mode in which it was New at some
 * instant of the month (docs/licensing.md).
 */
export function managedMonthCounters(
  segments: Iterable<AgentSegment>,
  license: VspcLicense | null,
  start: Instant,
  end: Instant,
  zone: string,
): Map<string, ReportCounter[]> {
  const terms = license ?? DEFAULT_VSPC_LICENSE;
  const stop = Math.min(end, managementEndsAt(license) ?? Infinity);
  const all = [...segments];
  const relevant = all.filter((s) => s.to > start && s.from < stop && start < stop);
  const since = newAgentsSince(license, start, zone);
  const consuming = (s: AgentSegment) => since === null || s.state.activatedAt < since;

  const startsAt = new Map<Instant, AgentSegment[]>();
  const endsAt = new Map<Instant, AgentSegment[]>();
  const push = (map: Map<Instant, AgentSegment[]>, at: Instant, s: AgentSegment) => {
    const list = map.get(at);
    if (list) list.push(s);
    else map.set(at, [s]);
  };
  const instants = new Set<Instant>(relevant.length > 0 ? [start] : []);
  for (const s of relevant) {
    const from = Math.max(s.from, start);
    push(startsAt, from, s);
    instants.add(from);
    if (s.to < stop) {
      push(endsAt, s.to, s);
      instants.add(s.to);
    }
  }
  // One clock per license: the over-limit periods from every stretch given, those before the month too.
  const periods = license ? overLimitPeriods(license, zone, all, stop - 1) : [];
  for (const t of poolChangeInstants(license, periods, start, stop)) instants.add(t);
  let period = 0;
  /** When the over-limit period containing `t` began; `t` only grows along the sweep. */
  const overSinceAt = (t: Instant): Instant | null => {
    while (period < periods.length && periods[period]!.to <= t) period++;
    const p = periods[period];
    return p !== undefined && p.from <= t ? p.from : null;
  };

  // The consuming stretches in FIFO order, and prefix counts per mode over the active ones.
  const queue = relevant.filter(consuming).sort((a, b) => compareFifo(a.state, b.state) || a.from - b.from);
  const position = new Map(queue.map((s, i) => [s, i]));
  const prefix = new PrefixCounts(queue.length);
  const active = new Uint8Array(queue.length);
  /** The first position whose prefix units exceed `limit` (queue.length when none does). */
  const beyond = (limit: number) => prefix.firstAbove((counts) => unitsOf(counts, terms.weights) > limit);
  let boundary = queue.length; // active positions from here on are Unlicensed

  const zero = () => ({ server: 0, workstation: 0 });
  const running = new Map<string, Record<AgentMode, number>>();
  const unlicensed = new Map<string, Record<AgentMode, number>>();
  const peak = new Map<string, Record<AgentMode, number>>();
  const fresh = new Map<string, Record<AgentMode, Set<string>>>();
  const add = (map: Map<string, Record<AgentMode, number>>, { companyUid, mode }: AgentState, delta: number) => {
    const counts = map.get(companyUid) ?? zero();
    counts[mode] += delta;
    map.set(companyUid, counts);
  };
  for (const t of [...instants].sort((a, b) => a - b)) {
    const touched = new Set<string>();
    // A stretch is [from, to): those ending at t are gone before those beginning at t count.
    const apply = (s: AgentSegment, delta: 1 | -1) => {
      const at = position.get(s)!;
      active[at] = delta > 0 ? 1 : 0;
      prefix.add(at, s.state.mode, delta);
      add(running, s.state, delta);
      if (at >= boundary) add(unlicensed, s.state, delta);
      touched.add(s.state.companyUid);
    };
    for (const s of endsAt.get(t) ?? []) if (consuming(s)) apply(s, -1);
    for (const s of startsAt.get(t) ?? []) {
      if (consuming(s)) {
        apply(s, 1);
        continue;
      }
      // New whatever the pool holds until the grace ends (rule 18), and t < stop here.
      const { companyUid, mode, agentUid } = s.state;
      const sets = fresh.get(companyUid) ?? { server: new Set<string>(), workstation: new Set<string>() };
      sets[mode].add(agentUid);
      fresh.set(companyUid, sets);
    }
    if (license !== null) {
      const { usable } = poolLimits(license, t, overSinceAt(t));
      const next = beyond(usable);
      for (let at = Math.min(boundary, next); at < Math.max(boundary, next); at++) {
        if (!active[at]) continue;
        add(unlicensed, queue[at]!.state, next < boundary ? 1 : -1);
        touched.add(queue[at]!.state.companyUid);
      }
      boundary = next;
    }
    // A company's managed count changes only when its own agents or the boundary among them do.
    for (const company of touched) {
      const all = running.get(company) ?? zero();
      const out = unlicensed.get(company) ?? zero();
      const best = peak.get(company) ?? zero();
      best.server = Math.max(best.server, all.server - out.server);
      best.workstation = Math.max(best.workstation, all.workstation - out.workstation);
      peak.set(company, best);
    }
  }

  const unitType: UnitType = terms.type === 'Rental' ? 'Points' : 'Instances';
  const result = new Map<string, ReportCounter[]>();
  for (const company of new Set([...peak.keys(), ...fresh.keys()])) {
    const reported = peak.get(company) ?? zero();
    const sets = fresh.get(company);
    if (reported.server + reported.workstation + (sets?.server.size ?? 0) + (sets?.workstation.size ?? 0) === 0) continue;
    result.set(
      company,
      COUNTER_TYPES.map((type) => {
        const mode = MODE_OF[type];
        const weight = terms.weights[mode];
        const newCount = sets?.[mode].size ?? 0;
        return { type, unitType, reportedCount: reported[mode], reportedUnits: reported[mode] * weight, newCount, newUnits: newCount * weight };
      }),
    );
  }
  return result;
}

/** Counts per mode over positions 0..n−1 (a Fenwick tree per mode): add at a position, find the first prefix past a limit. */
class PrefixCounts {
  private readonly server: Int32Array;
  private readonly workstation: Int32Array;
  private readonly top: number;

  constructor(private readonly n: number) {
    this.server = new Int32Array(n + 1);
    this.workstation = new Int32Array(n + 1);
    let top = 1;
    while (top * 2 <= n) top *= 2;
    this.top = top;
  }

  add(position: number, mode: AgentMode, delta: number): void {
    const tree = this[mode];
    for (let i = position + 1; i <= this.n; i += i & -i) tree[i]! += delta;
  }

  /** The first position whose prefix (itself included) satisfies `past`, which must be monotone; n when none does. */
  firstAbove(past: (counts: Record<AgentMode, number>) => boolean): number {
    let at = 0;
    const counts = { server: 0, workstation: 0 };
    if (this.n === 0) return 0;
    for (let step = this.top; step > 0; step >>= 1) {
      const next = at + step;
      if (next > this.n) continue;
      const tentative = { server: counts.server + this.server[next]!, workstation: counts.workstation + this.workstation[next]! };
      if (past(tentative)) continue;
      at = next;
      counts.server = tentative.server;
      counts.workstation = tentative.workstation;
    }
    return at;
  }
}
