/**
 * The month-end report recomputed plainly from the raw events, for the property tests: at every
 * instant of the month where an answer may change (the month start, every event, the end of the
 * expiry grace, the usage report entering and leaving its window, 60 days after every over-limit
 * period began), each agent is replayed with `agentStateAt`, the whole installation is classified
 * with `classifyAgents` (the live counters' function) given `plainOverSince` (the allowance's
 * clock, recomputed from the raw events) and the managed agents counted:
 * Licensed and Licensed by exceed reported (the maximum over the instants), New listed (distinct
 * agents), Unlicensed nowhere. No segments, no sweep, no shortcut within the license.
 */
import { DEFAULT_VSPC_LICENSE, vspcLicensingEndsAt, type AgentMode, type VspcLicense } from '../../src/domain/licenses.js';
import type { ReportCounter } from '../../src/domain/monthlyReport.js';
import { agentStateAt, classifyAgents, isNewAgent, type AgentEvent, type AgentState } from '../../src/domain/vspc.js';
import { startOfNextMonth } from '../../src/time.js';

const DAY = 86_400_000;

/** Demand at `t` from the raw events: the units of every agent managed then and not new (rules 13, 15). */
export function plainDemandAt(eventsByAgent: ReadonlyMap<string, readonly AgentEvent[]>, license: VspcLicense, t: number, zone: string): number {
  let units = 0;
  for (const [uid, events] of eventsByAgent) {
    const state = agentStateAt(uid, events, t);
    if (state && !isNewAgent(state, license, t, zone)) units += license.weights[state.mode];
  }
  return units;
}

/**
 * The Rental allowance's clock at `t`, recomputed plainly: demand is constant between the events
 * and month starts, so walking those instants back from `t` while demand stays above the license
 * finds when the over-limit period began; null when demand fits at `t`.
 */
export function plainOverSince(eventsByAgent: ReadonlyMap<string, readonly AgentEvent[]>, license: VspcLicense, t: number, zone: string): number | null {
  if (plainDemandAt(eventsByAgent, license, t, zone) <= license.units) return null;
  const candidates = new Set<number>();
  for (const events of eventsByAgent.values()) for (const e of events) if (e.at <= t) candidates.add(e.at);
  const first = Math.min(...candidates);
  for (let m = startOfNextMonth(first, zone); m <= t; m = startOfNextMonth(m, zone)) candidates.add(m);
  let since = t;
  for (const c of [...candidates].sort((a, b) => b - a)) {
    if (c > t) continue;
    if (plainDemandAt(eventsByAgent, license, c, zone) <= license.units) break;
    since = c;
  }
  return since;
}

export function managedReportFromEvents(
  eventsByAgent: ReadonlyMap<string, readonly AgentEvent[]>,
  license: VspcLicense | null,
  start: number,
  end: number,
  zone: string,
): Map<string, ReportCounter[]> {
  const instants = new Set<number>([start]);
  for (const events of eventsByAgent.values()) {
    for (const e of events) instants.add(e.at);
  }
  // Every over-limit period overlapping the month holds the month start or begins at an event in it.
  if (license?.type === 'Rental') {
    for (const t of [...instants].filter((i) => i >= start && i < end)) {
      const since = plainOverSince(eventsByAgent, license, t, zone);
      if (since !== null) instants.add(since + 60 * DAY);
    }
  }
  const graceEnd = license ? vspcLicensingEndsAt(license) : null;
  if (graceEnd !== null) instants.add(graceEnd + 1);
  const sent = license?.lastReportSentAt ?? null;
  if (sent !== null) instants.add(sent).add(sent + 30 * DAY);

  const peak = new Map<string, Record<AgentMode, number>>();
  const fresh = new Map<string, Record<AgentMode, Set<string>>>();
  for (const t of [...instants].filter((i) => i >= start && i < end)) {
    const states: AgentState[] = [];
    for (const [uid, events] of eventsByAgent) {
      const state = agentStateAt(uid, events, t);
      if (state) states.push(state);
    }
    const now = new Map<string, Record<AgentMode, number>>();
    const overSince = license ? plainOverSince(eventsByAgent, license, t, zone) : null;
    for (const agent of classifyAgents(states, license, t, zone, overSince)) {
      if (agent.status === 'New') {
        const sets = fresh.get(agent.companyUid) ?? { server: new Set<string>(), workstation: new Set<string>() };
        sets[agent.mode].add(agent.agentUid);
        fresh.set(agent.companyUid, sets);
      } else if (agent.status !== 'Unlicensed') {
        const counts = now.get(agent.companyUid) ?? { server: 0, workstation: 0 };
        counts[agent.mode]++;
        now.set(agent.companyUid, counts);
      }
    }
    for (const [company, counts] of now) {
      const best = peak.get(company) ?? { server: 0, workstation: 0 };
      peak.set(company, { server: Math.max(best.server, counts.server), workstation: Math.max(best.workstation, counts.workstation) });
    }
  }
  const terms = license ?? DEFAULT_VSPC_LICENSE;
  const unitType = terms.type === 'Rental' ? ('Points' as const) : ('Instances' as const);
  const result = new Map<string, ReportCounter[]>();
  for (const company of new Set([...peak.keys(), ...fresh.keys()])) {
    const counters = (['server', 'workstation'] as const).map((mode): ReportCounter => {
      const reportedCount = peak.get(company)?.[mode] ?? 0;
      const newCount = fresh.get(company)?.[mode].size ?? 0;
      return {
        type: mode === 'server' ? 'VAC_Server_Agent' : 'VAC_Workstation_Agent',
        unitType,
        reportedCount,
        reportedUnits: reportedCount * terms.weights[mode],
        newCount,
        newUnits: newCount * terms.weights[mode],
      };
    });
    if (counters.some((c) => c.reportedCount > 0 || c.newCount > 0)) result.set(company, counters);
  }
  return result;
}
