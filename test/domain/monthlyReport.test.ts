import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultAgentWeights, type VspcLicense } from '../../src/domain/licenses.js';
import fc from 'fast-check';
import { agentSegments, companyMonthCounters, segmentsByCompany } from '../../src/domain/monthlyReport.js';
import type { AgentEvent } from '../../src/domain/vspc.js';

const NOV = Date.UTC(2026, 10, 1);
const DEC = Date.UTC(2026, 11, 1);
const D = 86_400_000;
const RENTAL: VspcLicense = { type: 'Rental', edition: null, units: 1000, expirationDate: null, weights: defaultAgentWeights('Rental') };
const SUBSCRIPTION: VspcLicense = { type: 'Subscription', edition: null, units: 1000, expirationDate: null, weights: defaultAgentWeights('Subscription') };
let n = 0;
const on = (at: number, companyUid: string, mode: 'server' | 'workstation' = 'server'): AgentEvent => ({ id: `e${n++}`, at, type: 'activated', companyUid, mode, name: 'a' });
const off = (at: number): AgentEvent => ({ id: `e${n++}`, at, type: 'deactivated' });
const mode = (at: number, m: 'server' | 'workstation'): AgentEvent => ({ id: `e${n++}`, at, type: 'modeChanged', mode: m });

function report(agents: Record<string, AgentEvent[]>, company = 'c1', license: VspcLicense | null = RENTAL) {
  const segments = Object.entries(agents).map(([uid, events]) => agentSegments(uid, events));
  return companyMonthCounters(company, segments, license, NOV, DEC).map((c) => [c.type, c.reportedCount, c.reportedUnits, c.newCount, c.newUnits]);
}

describe('VSPC month-end report (rule 20)', () => {
  test('the maximum managed at the same time, not every agent ever seen', () => {
    // a1, a2 and a3 were all managed from Nov 1 to Nov 5: three at once; `gone` left in October.
    const r = report({
      a1: [on(NOV - 40 * D, 'c1'), off(NOV + 10 * D)],
      a2: [on(NOV - 20 * D, 'c1')],
      a3: [on(NOV - 10 * D, 'c1'), off(NOV + 5 * D)],
      gone: [on(NOV - 90 * D, 'c1'), off(NOV - D)],
    });
    assert.deepEqual(r, [['VAC_Server_Agent', 3, 33, 0, 0], ['VAC_Workstation_Agent', 0, 0, 0, 0]]);
  });

  test('one leaving as another arrives at the same instant is not two at once', () => {
    const r = report({ a1: [on(NOV - 40 * D, 'c1'), off(NOV + 10 * D)], a2: [on(NOV - 40 * D, 'c2'), on(NOV + 10 * D, 'c1')] });
    // a2 moves into c1 exactly when a1 leaves: at most one of them at a time in c1.
    assert.deepEqual(r[0], ['VAC_Server_Agent', 1, 11, 0, 0]);
  });

  test('agents activated in the month are new (rental), also when removed again within the month', () => {
    const r = report({
      n1: [on(NOV + 2 * D, 'c1', 'workstation')],
      n2: [on(NOV + 3 * D, 'c1', 'workstation'), off(NOV + 4 * D)],
      later: [on(DEC + D, 'c1')],
    });
    assert.deepEqual(r, [['VAC_Server_Agent', 0, 0, 0, 0], ['VAC_Workstation_Agent', 0, 0, 2, 8]]);
  });

  test('a move counts in each company while it is there; a mode change counts where the agent is at each instant', () => {
    const agents = { m: [on(NOV - 40 * D, 'c1'), on(NOV + 10 * D, 'c2'), mode(NOV + 20 * D, 'workstation')] };
    assert.deepEqual(report(agents, 'c1')[0], ['VAC_Server_Agent', 1, 11, 0, 0]);
    assert.deepEqual(report(agents, 'c2'), [['VAC_Server_Agent', 1, 11, 0, 0], ['VAC_Workstation_Agent', 1, 4, 0, 0]]);
  });

  test('subscription: everything is reported in instances, nothing is new', () => {
    const r = report({ a: [on(NOV + 2 * D, 'c1')], b: [on(NOV - 2 * D, 'c1', 'workstation')] }, 'c1', SUBSCRIPTION);
    assert.deepEqual(r, [['VAC_Server_Agent', 1, 1, 0, 0], ['VAC_Workstation_Agent', 1, 1, 0, 0]]);
  });
});

test('grouping segments by company first gives every company the same counters as scanning all agents', () => {
  const event = fc.oneof(
    fc.record({ at: fc.integer({ min: -60, max: 40 }), kind: fc.constant('on' as const), company: fc.constantFrom('c1', 'c2', 'c3'), mode: fc.constantFrom('server' as const, 'workstation' as const) }),
    fc.record({ at: fc.integer({ min: -60, max: 40 }), kind: fc.constant('off' as const) }),
    fc.record({ at: fc.integer({ min: -60, max: 40 }), kind: fc.constant('mode' as const), mode: fc.constantFrom('server' as const, 'workstation' as const) }),
  );
  fc.assert(
    fc.property(fc.array(fc.array(event, { minLength: 1, maxLength: 5 }), { maxLength: 12 }), fc.constantFrom(RENTAL, SUBSCRIPTION), (agents, license) => {
      const segments = agents.map((events, i) =>
        agentSegments(`a${i}`, events.map((e) => (e.kind === 'on' ? on(NOV + e.at * D, e.company, e.mode) : e.kind === 'off' ? off(NOV + e.at * D) : mode(NOV + e.at * D, e.mode)))),
      );
      const grouped = segmentsByCompany(segments, NOV, DEC);
      for (const company of ['c1', 'c2', 'c3']) {
        assert.deepEqual(companyMonthCounters(company, [grouped.get(company) ?? []], license, NOV, DEC), companyMonthCounters(company, segments, license, NOV, DEC));
      }
    }),
    { numRuns: 300, seed: 20261124 },
  );
});
