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
 *
 * Over the license (rules 17–18, `classifyAgents`): the agents that consume are ranked
 * installation-wide by activation (ties: agent uid); walking that order with cumulative units,
 * those within the license are Licensed, the next ones within the allowance Licensed by exceed
 * (still counted as used), the rest Unlicensed (counted nowhere). The Rental allowance's 60 days
 * run on one clock per license (`overLimitSince`): from the instant demand first exceeded the
 * license, restarting once demand fits again — not from when some agent joined the pool. `consoleCounters` alone counts
 * a set of agents without that limit.
 */
import { DateTime } from 'luxon';
import { DAY_MS, startOfMonth, startOfNextMonth, type Instant } from '../time.js';
import {
  DEFAULT_VSPC_LICENSE, vspcLicenseChangesAt, vspcLicenseLapsed, type AgentMode, type AgentWeights, type VspcLicense,
} from './licenses.js';

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

/** The console counters for a set of agents managed at `now`, every one counted (no license limit applied). */
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

// ---------------------------------------------------------------------------------------------
// Rules 17–18: the license pool, the exceed allowance and the expiry grace

/** A usage report counts for the doubled allowance when submitted within this window before `now`. */
export const REPORT_WINDOW_MS = 30 * DAY_MS;
/** Rental: how long agents beyond the license may stay Licensed by exceed (VCSP guide: 60 days). */
export const RENTAL_EXCEED_GRACE_MS = 60 * DAY_MS;

/**
 * Rule 17: the allowance on top of the license, in the license's units: Rental 20 %, Subscription
 * 10 % (floor), doubled (40 %, 20 %) when auto-update is on and a usage report was submitted in
 * (now − 30 days, now]; Evaluation, NFR and Perpetual none.
 */
export function exceedAllowance(license: VspcLicense, now: Instant): number {
  const percent = license.type === 'Rental' ? 20 : license.type === 'Subscription' ? 10 : 0;
  const sent = license.lastReportSentAt ?? null;
  const reportRecent = sent !== null && sent <= now && sent > now - REPORT_WINDOW_MS;
  const factor = license.autoUpdate === true && reportRecent ? 2 : 1;
  return Math.floor((license.units * percent * factor) / 100);
}

/** When an agent began to consume: under Rental from the month after its activation (rule 18), else at activation. */
export function consumesFrom(activatedAt: Instant, license: VspcLicense, zone: string): Instant {
  return license.type === 'Rental' ? DateTime.fromMillis(activatedAt, { zone }).startOf('month').plus({ months: 1 }).toMillis() : activatedAt;
}

/**
 * The units an installation may use at `now` before agents become Unlicensed: the license, plus
 * the allowance while it lasts. `overSince` is when the installation's current over-limit period
 * began (`overLimitSince`: demand above the license without a break since then), null when demand
 * fits the license. Under Rental the allowance ends 60 days after `overSince`. Pure.
 */
export function usableUnits(license: VspcLicense, now: Instant, overSince: Instant | null): number {
  const expired = license.type === 'Rental' && overSince !== null && now >= overSince + RENTAL_EXCEED_GRACE_MS;
  return license.units + (expired ? 0 : exceedAllowance(license, now));
}

/** A stretch [from, to) during which an agent was managed in one mode (the read model's rows, or replayed). */
export interface DemandStretch {
  from: Instant;
  /** Exclusive; Infinity while it lasts. */
  to: Instant;
  state: Pick<AgentState, 'mode' | 'activatedAt'>;
}

/** A period [from, to) during which the consuming agents' units exceeded the license without a break. */
export interface OverLimitPeriod {
  from: Instant;
  /** Exclusive; Infinity when still over at the end of the sweep. */
  to: Instant;
}

/**
 * Rules 9, 17 and 18, one clock per license: the periods up to `until` (inclusive) during which
 * demand exceeded the license. Demand at an instant is the units (weight of the mode then) of
 * every agent consuming then: managed, and under Rental from the month after its activation
 * (`consumesFrom`); Licensed by exceed and Unlicensed agents are demand too. A period begins at
 * the instant demand first goes above `license.units` and ends at the instant it fits again; the
 * next time demand goes above, the clock starts again from zero. The current license's units and
 * weights are applied to the whole history (the license in force is the one whose clock runs).
 */
export function overLimitPeriods(license: VspcLicense, zone: string, stretches: Iterable<DemandStretch>, until: Instant): OverLimitPeriod[] {
  const changes = new Map<Instant, number>();
  const bump = (at: Instant, delta: number) => changes.set(at, (changes.get(at) ?? 0) + delta);
  // consumesFrom is calendar arithmetic: once per activation month, not once per stretch.
  const months = new Map<Instant, Instant>();
  const begins = (activatedAt: Instant): Instant => {
    if (license.type !== 'Rental') return activatedAt;
    for (const [from, to] of months) if (activatedAt >= from && activatedAt < to) return to;
    const from = startOfMonth(activatedAt, zone);
    const to = consumesFrom(activatedAt, license, zone);
    months.set(from, to);
    return to;
  };
  for (const { from, to, state } of stretches) {
    const start = Math.max(from, begins(state.activatedAt));
    if (start >= to || start > until) continue;
    const units = license.weights[state.mode];
    bump(start, units);
    if (to <= until) bump(to, -units);
  }
  const periods: OverLimitPeriod[] = [];
  let demand = 0;
  for (const at of [...changes.keys()].sort((a, b) => a - b)) {
    const before = demand > license.units;
    demand += changes.get(at)!;
    const after = demand > license.units;
    if (!before && after) periods.push({ from: at, to: Infinity });
    else if (before && !after) periods[periods.length - 1]!.to = at;
  }
  return periods;
}

/** When the over-limit period containing `now` began (`overLimitPeriods`), null when demand fits the license at `now`. */
export function overLimitSince(license: VspcLicense, zone: string, stretches: Iterable<DemandStretch>, now: Instant): Instant | null {
  const last = overLimitPeriods(license, zone, stretches, now).at(-1);
  return last !== undefined && last.to === Infinity ? last.from : null;
}

/**
 * The history the agents managed at `now` imply when nothing else is known: each one managed in
 * its present mode since its activation. Callers that hold the stretches (the pool, the report)
 * pass them instead; this is the reading for callers that have only states.
 */
export function stretchesOfStates(agents: Iterable<Pick<AgentState, 'mode' | 'activatedAt'>>): DemandStretch[] {
  return [...agents].map((state) => ({ from: state.activatedAt, to: Infinity, state }));
}

/** Units of so many agents per mode: count × weight(mode), the same sum wherever it is computed. */
export function unitsOf(counts: Record<AgentMode, number>, weights: AgentWeights): number {
  return counts.server * weights.server + counts.workstation * weights.workstation;
}

/** FIFO order of the pool: activation time, then agent uid (byte-wise). */
export function compareFifo(a: Pick<AgentState, 'activatedAt' | 'agentUid'>, b: Pick<AgentState, 'activatedAt' | 'agentUid'>): number {
  return a.activatedAt - b.activatedAt || (a.agentUid < b.agentUid ? -1 : a.agentUid > b.agentUid ? 1 : 0);
}

/** An agent's license status (reference §2.3). */
export type AgentLicenseStatus = 'New' | 'Licensed' | 'LicensedByExceed' | 'Unlicensed';

export interface ClassifiedAgent extends AgentState {
  status: AgentLicenseStatus;
}

/**
 * Rule 17's limits at `now` for a pool whose consuming agents are walked in FIFO order with
 * cumulative units: up to `license.units` they are Licensed, up to `usable` Licensed by exceed,
 * beyond Unlicensed. `overSince` is when the current over-limit period began (`overLimitSince`).
 * `classifyAgents`, the live pool and the month-end report's sweep all read the rule here.
 */
export function poolLimits(license: VspcLicense, now: Instant, overSince: Instant | null): { licensed: number; usable: number } {
  return { licensed: license.units, usable: usableUnits(license, now, overSince) };
}

/**
 * Every managed agent of the installation at `now` with its license status (rules 13, 17, 18 and
 * the expiry grace). `agents` must be all of the installation's managed agents: the pool is shared.
 * - no license installed: nothing limits usage (new or Licensed);
 * - past the expiry grace: every agent Unlicensed, the new ones too;
 * - otherwise the new agents (Rental, activated this month) are New whatever the pool holds, and
 *   the consuming ones are walked in FIFO order with cumulative units (count × weight): while the
 *   sum is within `units` Licensed, then within the allowance Licensed by exceed, then Unlicensed.
 *   The walk is a strict prefix: once an agent does not fit, no later one does, even a lighter one
 *   ("registered first are included first").
 * `overSince` is when the current over-limit period began (`overLimitSince` over the agents'
 * stretches); omitted, it is read from the states alone (`stretchesOfStates`).
 */
export function classifyAgents(
  agents: Iterable<AgentState>,
  license: VspcLicense | null,
  now: Instant,
  zone: string,
  overSince?: Instant | null,
): ClassifiedAgent[] {
  const all = [...agents];
  if (license && vspcLicenseLapsed(license, now)) return all.map((a) => ({ ...a, status: 'Unlicensed' }));
  const fresh: ClassifiedAgent[] = [];
  const consuming: AgentState[] = [];
  for (const a of all) {
    if (isNewAgent(a, license, now, zone)) fresh.push({ ...a, status: 'New' });
    else consuming.push(a);
  }
  if (!license) return [...fresh, ...consuming.map((a): ClassifiedAgent => ({ ...a, status: 'Licensed' }))];
  consuming.sort(compareFifo);
  const counts = { server: 0, workstation: 0 };
  const cumulative = consuming.map((a) => {
    counts[a.mode]++;
    return unitsOf(counts, license.weights);
  });
  const since = overSince !== undefined ? overSince : overLimitSince(license, zone, stretchesOfStates(consuming), now);
  const { usable } = poolLimits(license, now, since);
  return [
    ...fresh,
    ...consuming.map((a, i): ClassifiedAgent => {
      const units = cumulative[i]!;
      return { ...a, status: units <= license.units ? 'Licensed' : units <= usable ? 'LicensedByExceed' : 'Unlicensed' };
    }),
  ];
}

/** The console counters of classified agents: used = Licensed + Licensed by exceed, new = New, Unlicensed nowhere. */
export function countersOfClassified(agents: Iterable<ClassifiedAgent>, license: VspcLicense | null): ConsoleLicenseCounter[] {
  const buckets = emptyBuckets();
  for (const agent of agents) {
    if (agent.status === 'New') buckets[agent.mode].new++;
    else if (agent.status !== 'Unlicensed') buckets[agent.mode].used++;
  }
  return countersFromBuckets(buckets, license);
}

// ---------------------------------------------------------------------------------------------
// When the pool can change with no new event. Each rule says, beside it, the next instant at
// which its outcome can differ; the answer cache keeps the pool until the earliest of them
// (src/services/answerCache.ts), so the cache holds no copy of the rules. Earlier is always safe.

/** Rule 13: agents activated this month (Rental) stop being new and join the ranking at the next month start. */
export function newAgentsConsumeAt(now: Instant, zone: string): Instant {
  return startOfNextMonth(now, zone);
}

/** Rule 17: the next instant at which a usage report sent at `sentAt` becomes recent or stops being recent (30 days later). */
export function reportWindowChangesAt(sentAt: Instant | null, now: Instant): Instant | null {
  if (sentAt === null) return null;
  if (sentAt > now) return sentAt;
  return sentAt + REPORT_WINDOW_MS > now ? sentAt + REPORT_WINDOW_MS : null;
}

/** Rule 18, Rental: the allowance of an installation over its license since `overSince` (`overLimitSince`) ends 60 days later. */
export function rentalExceedEndsAt(license: VspcLicense, overSince: Instant | null): Instant | null {
  return license.type === 'Rental' && overSince !== null ? overSince + RENTAL_EXCEED_GRACE_MS : null;
}

/**
 * Until when (exclusive) the pool at `now` holds if no event arrives: the next month start, the
 * license's expiry and the end of its grace, the instants at which the usage report becomes or
 * stops being recent, and the end of the rental exceed allowance (`exceedEndsAt`, from
 * `rentalExceedEndsAt`). With agents replayed from events dated after `now`, this instant only.
 */
export function vspcPoolChangesAt(input: {
  license: VspcLicense | null;
  now: Instant;
  zone: string;
  exceedEndsAt: Instant | null;
  replayed: boolean;
}): Instant {
  const { license, now, zone } = input;
  if (input.replayed) return now + 1;
  const candidates = [newAgentsConsumeAt(now, zone)];
  if (license) {
    candidates.push(
      ...[vspcLicenseChangesAt(license, now), reportWindowChangesAt(license.lastReportSentAt ?? null, now), input.exceedEndsAt]
        .filter((at): at is Instant => at !== null && at > now),
    );
  }
  return Math.min(...candidates);
}
