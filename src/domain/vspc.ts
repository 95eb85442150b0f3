/**
 * VSPC console licensing engine: the state of each managed agent at an instant, replayed from its
 * events, and the per-company console counters. Pure functions, no I/O.
 *
 * Decisions (contract §5, rules 12–16 and 24):
 * - an agent counts from activation until deactivation; events dated after `now` are ignored;
 * - re-activation of an agent that is still active moves it to the new company and keeps its
 *   original activation time (a move never makes an agent new again);
 * - its mode is its latest mode at `now`; points follow the mode;
 * - Rental: activated in the current month → new, else used; unit type points;
 *   other license types: all used, unit type instances; units = count × weight(mode).
 */
import { startOfMonth, type Instant } from '../time.js';
import { DEFAULT_VSPC_LICENSE, type AgentMode, type VspcLicense } from './licenses.js';

export type AgentEvent =
  | { id: string; at: Instant; type: 'activated'; companyUid: string; mode: AgentMode; name: string }
  | { id: string; at: Instant; type: 'modeChanged'; mode: AgentMode }
  | { id: string; at: Instant; type: 'deactivated' };

export interface AgentState {
  agentUid: string;
  name: string;
  companyUid: string;
  mode: AgentMode;
  activatedAt: Instant;
}

// Events at the same millisecond apply in this order, then by id, so that replay is deterministic
// whatever order they arrived in.
const SAME_INSTANT_ORDER = { activated: 0, modeChanged: 1, deactivated: 2 } as const;

function compareAgentEvents(a: AgentEvent, b: AgentEvent): number {
  return (
    a.at - b.at ||
    SAME_INSTANT_ORDER[a.type] - SAME_INSTANT_ORDER[b.type] ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** Replays one agent's events up to `now`; null when the agent is not managed at `now`. */
export function agentStateAt(agentUid: string, events: readonly AgentEvent[], now: Instant): AgentState | null {
  const ordered = events.filter((e) => e.at <= now).sort(compareAgentEvents);
  return ordered.reduce<AgentState | null>((state, event) => {
    switch (event.type) {
      case 'activated':
        return state
          ? { ...state, companyUid: event.companyUid, mode: event.mode, name: event.name }
          : { agentUid, name: event.name, companyUid: event.companyUid, mode: event.mode, activatedAt: event.at };
      case 'modeChanged':
        return state ? { ...state, mode: event.mode } : null;
      case 'deactivated':
        return null;
    }
  }, null);
}

export const COUNTER_TYPES = ['VAC_Server_Agent', 'VAC_Workstation_Agent'] as const;
export type CounterType = (typeof COUNTER_TYPES)[number];
export type UnitType = 'Points' | 'Instances';

export interface ConsoleLicenseCounter {
  type: CounterType;
  unitType: UnitType;
  usedUnits: number;
  usedCount: number;
  newUnits: number;
  newCount: number;
}

const COUNTER_MODE: Record<CounterType, AgentMode> = {
  VAC_Server_Agent: 'server',
  VAC_Workstation_Agent: 'workstation',
};

/** The instant from which an activation counts as new at `now`: the month start under Rental (rule 13), else none. */
export function newAgentsSince(license: VspcLicense | null, now: Instant, zone: string): Instant | null {
  return (license ?? DEFAULT_VSPC_LICENSE).type === 'Rental' ? startOfMonth(now, zone) : null;
}

/** Whether the agent is in the rental "new" bucket at `now`. */
export function isNewAgent(agent: AgentState, license: VspcLicense | null, now: Instant, zone: string): boolean {
  const since = newAgentsSince(license, now, zone);
  return since !== null && agent.activatedAt >= since;
}

/** Managed agents at `now`, counted by mode and by new/used. */
export type AgentBuckets = Record<AgentMode, { used: number; new: number }>;

export function emptyBuckets(): AgentBuckets {
  return { server: { used: 0, new: 0 }, workstation: { used: 0, new: 0 } };
}

export function bucketAgents(
  agents: Iterable<AgentState>,
  license: VspcLicense | null,
  now: Instant,
  zone: string,
  into: AgentBuckets = emptyBuckets(),
): AgentBuckets {
  for (const agent of agents) {
    const bucket = into[agent.mode];
    if (isNewAgent(agent, license, now, zone)) bucket.new++;
    else bucket.used++;
  }
  return into;
}

/**
 * The console counters: always both counter types, server first, zero or not; units are
 * count × weight(mode); Rental counts points, other types instances.
 */
export function countersFromBuckets(buckets: AgentBuckets, license: VspcLicense | null): ConsoleLicenseCounter[] {
  const terms = license ?? DEFAULT_VSPC_LICENSE;
  const unitType: UnitType = terms.type === 'Rental' ? 'Points' : 'Instances';
  return COUNTER_TYPES.map((type) => {
    const mode = COUNTER_MODE[type];
    const weight = terms.weights[mode];
    const { used, new: fresh } = buckets[mode];
    return { type, unitType, usedUnits: used * weight, usedCount: used, newUnits: fresh * weight, newCount: fresh };
  });
}

/** The console counters for a set of agents managed at `now`. */
export function consoleCounters(
  agents: Iterable<AgentState>,
  license: VspcLicense | null,
  now: Instant,
  zone: string,
): ConsoleLicenseCounter[] {
  return countersFromBuckets(bucketAgents(agents, license, now, zone), license);
}

/** Buckets of several companies added up (the installation's console usage). */
export function sumBuckets(all: Iterable<AgentBuckets>): AgentBuckets {
  const total = emptyBuckets();
  for (const buckets of all) {
    for (const mode of ['server', 'workstation'] as const) {
      total[mode].used += buckets[mode].used;
      total[mode].new += buckets[mode].new;
    }
  }
  return total;
}
