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
 * - New agents: distinct agents whose current activation started in the month and that the
 *   company managed at some instant of the month (rule 25: activated and removed within the month
 *   still counts).
 */
import type { Instant } from '../time.js';
import type { AgentMode, VspcLicense } from './licenses.js';
import { DEFAULT_VSPC_LICENSE } from './licenses.js';
import { agentStateAt, COUNTER_TYPES, type AgentEvent, type AgentState, type CounterType, type UnitType } from './vspc.js';

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
