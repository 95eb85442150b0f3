/**
 * The month-end report recomputed plainly from the raw events, for the property tests: at every
 * instant of the month where an answer may change (the month start, every event, the end of the
 * expiry grace, the usage report entering and leaving its window, the end of every possible
 * Rental exceed episode), each agent is replayed with `agentStateAt`, the whole installation is
 * classified with `classifyAgents` (the live counters' function) and the managed agents counted:
 * Licensed and Licensed by exceed reported (the maximum over the instants), New listed (distinct
 * agents), Unlicensed nowhere. No segments, no sweep, no shortcut within the license.
 */
import { DateTime } from 'luxon';
import { DEFAULT_VSPC_LICENSE, vspcLicensingEndsAt, type AgentMode, type VspcLicense } from '../../src/domain/licenses.js';
import type { ReportCounter } from '../../src/domain/monthlyReport.js';
import { agentStateAt, classifyAgents, type AgentEvent, type AgentState } from '../../src/domain/vspc.js';

const DAY = 86_400_000;

export function managedReportFromEvents(
  eventsByAgent: ReadonlyMap<string, readonly AgentEvent[]>,
  license: VspcLicense | null,
  start: number,
  end: number,
  zone: string,
): Map<string, ReportCounter[]> {
  const instants = new Set<number>([start]);
  for (const events of eventsByAgent.values()) {
    for (const e of events) {
      instants.add(e.at);
      if (e.type === 'activated' && license?.type === 'Rental') {
        const consumesFrom = DateTime.fromMillis(e.at, { zone }).startOf('month').plus({ months: 1 }).toMillis();
        instants.add(consumesFrom + 60 * DAY);
      }
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
    for (const agent of classifyAgents(states, license, t, zone)) {
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
