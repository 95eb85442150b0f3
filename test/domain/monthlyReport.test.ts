import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultAgentWeights, type VspcLicense } from '../../src/domain/licenses.js';
import fc from 'fast-check';
import { agentSegments, companyMonthCounters, managedMonthCounters, segmentsByCompany } from '../../src/domain/monthlyReport.js';
import { managedReportFromEvents } from '../support/managedReport.js';
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

describe('the report counts only managed agents (reference §2.3, §2.4, §2.9)', () => {
  const JAN = Date.UTC(2027, 0, 1);
  const FEB = Date.UTC(2027, 1, 1);
  const MAR = Date.UTC(2027, 2, 1);
  const license = (terms: Partial<VspcLicense> & Pick<VspcLicense, 'type' | 'units'>): VspcLicense => ({
    edition: null,
    expirationDate: Date.UTC(2030, 0, 1),
    weights: defaultAgentWeights(terms.type),
    ...terms,
  });
  /** Counters of company c1 over [start, end) as [type, reported, units, new, new units], both from the sweep and from a plain replay. */
  function managed(agents: Record<string, AgentEvent[]>, terms: VspcLicense, start: number, end: number, company = 'c1') {
    const segments = Object.entries(agents).flatMap(([uid, events]) => agentSegments(uid, events));
    const swept = managedMonthCounters(segments, terms, start, end, 'UTC').get(company);
    const replayed = managedReportFromEvents(new Map(Object.entries(agents)), terms, start, end, 'UTC').get(company);
    assert.deepEqual(swept, replayed, 'the sweep over the stretches = classifyAgents at every instant of the raw events');
    return (swept ?? []).map((c) => [c.type, c.reportedCount, c.reportedUnits, c.newCount, c.newUnits]);
  }
  const servers = (reported: number, fresh = 0, weight = 1) => [['VAC_Server_Agent', reported, reported * weight, fresh, fresh * weight], ['VAC_Workstation_Agent', 0, 0, 0, 0]];

  test('over the limit: an Evaluation license for 1 instance, A and B activated on 5 and 6 January: February reports 1, not 2, at its first and last millisecond', () => {
    const terms = license({ type: 'Evaluation', units: 1 });
    const agents = { A: [on(JAN + 4 * D, 'c1')], B: [on(JAN + 5 * D, 'c1')] };
    assert.deepEqual(managed(agents, terms, FEB, MAR), servers(1));
    assert.deepEqual(managed(agents, terms, FEB, FEB + 1), servers(1), 'the first millisecond');
    assert.deepEqual(managed(agents, terms, MAR - 1, MAR), servers(1), 'the last millisecond');
    assert.deepEqual(managed(agents, terms, JAN, FEB), servers(1), 'B was Unlicensed from its activation');
    // Reading every agent without the pool said 2: what the report said before.
    const all = companyMonthCounters('c1', Object.entries(agents).map(([uid, events]) => agentSegments(uid, events)), terms, FEB, MAR);
    assert.equal(all[0]!.reportedCount, 2);
  });

  test('over the limit: when A leaves, B takes its license at that instant; never two at once', () => {
    const terms = license({ type: 'Evaluation', units: 1 });
    const agents = { A: [on(JAN + 4 * D, 'c1'), off(FEB + 10 * D)], B: [on(JAN + 5 * D, 'c2')] };
    assert.deepEqual(managed(agents, terms, FEB, MAR, 'c1'), servers(1));
    assert.deepEqual(managed(agents, terms, FEB, FEB + 10 * D, 'c2'), [], 'B unmanaged while A holds the license');
    assert.deepEqual(managed(agents, terms, FEB + 10 * D, MAR, 'c2'), servers(1), 'from the instant A leaves');
  });

  test('past the grace: an Evaluation license expiring 31 January: the agent of 5 January is in January, not in February', () => {
    const terms = license({ type: 'Evaluation', units: 10, expirationDate: Date.UTC(2027, 0, 31) });
    const agents = { A: [on(JAN + 4 * D, 'c1')] };
    assert.deepEqual(managed(agents, terms, FEB, MAR), []);
    assert.deepEqual(managed(agents, terms, FEB, FEB + 1), [], 'the first millisecond of February');
    assert.deepEqual(managed(agents, terms, JAN, FEB), servers(1));
    assert.deepEqual(managed(agents, terms, FEB - 1, FEB), [], 'the last millisecond of January is past 31 January 00:00 (no grace)');
  });

  test('past the grace: a Subscription grace ending inside the month counts up to its last millisecond and nothing from the next', () => {
    const expiration = Date.UTC(2027, 0, 20);
    const terms = license({ type: 'Subscription', units: 10, expirationDate: expiration });
    const graceEnd = expiration + 30 * D; // 19 February 00:00: the last instant that still licenses
    const agents = {
      A: [on(JAN + 4 * D, 'c1')],
      atEnd: [on(graceEnd, 'c1')],
      afterEnd: [on(graceEnd + 1, 'c1', 'workstation')],
    };
    assert.deepEqual(managed(agents, terms, FEB, MAR), servers(2));
    assert.deepEqual(managed(agents, terms, graceEnd, graceEnd + 1), servers(2), 'the instant the grace ends');
    assert.deepEqual(managed(agents, terms, graceEnd + 1, MAR), [], 'one millisecond later');
  });

  test('past the grace under Rental: agents activated after the grace ends are not New', () => {
    const expiration = Date.UTC(2026, 11, 15);
    const terms = license({ type: 'Rental', units: 1000, expirationDate: expiration });
    const graceEnd = expiration + 60 * D; // 13 February 00:00
    const agents = { old: [on(JAN + 4 * D, 'c1')], n1: [on(graceEnd, 'c1')], n2: [on(graceEnd + 1, 'c1')] };
    assert.deepEqual(managed(agents, terms, FEB, MAR), servers(1, 1, 11));
  });

  test('the instant an agent falls outside the allowance: the doubled allowance ends 30 days after the usage report', () => {
    // Subscription of 10 instances: allowance 1, doubled to 2 while the report of 20 January is recent.
    const sent = Date.UTC(2027, 0, 20);
    const terms = license({ type: 'Subscription', units: 10, autoUpdate: true, lastReportSentAt: sent });
    const agents = Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`a${String(i).padStart(2, '0')}`, [on(JAN - 10 * D + i, 'c1')]]));
    const ends = sent + 30 * D; // 19 February 00:00: not recent any more
    assert.deepEqual(managed(agents, terms, FEB, ends), servers(12), '10 Licensed + 2 by exceed');
    assert.deepEqual(managed(agents, terms, ends - 1, ends), servers(12), 'the last millisecond of the doubled allowance');
    assert.deepEqual(managed(agents, terms, ends, MAR), servers(11), 'from that instant the 12th agent is Unlicensed');
    assert.deepEqual(managed(agents, terms, FEB, MAR), servers(12));
    assert.deepEqual(managed(agents, terms, MAR - 1, MAR), servers(11), 'the last millisecond of February');
  });

  test('the instant an agent falls outside the allowance: the Rental exceed allowance ends 60 days after the episode began', () => {
    // 40 points = 10 workstations, allowance 8 points = 2 more; 12 activated in November consume from 1 December.
    const terms = license({ type: 'Rental', units: 40 });
    const NOV_ = Date.UTC(2026, 10, 1);
    const agents = Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`w${String(i).padStart(2, '0')}`, [on(NOV_ + 2 * D + i, 'c1', 'workstation')]]));
    const ends = Date.UTC(2026, 11, 1) + 60 * D; // 30 January 00:00
    const ws = (reported: number) => [['VAC_Server_Agent', 0, 0, 0, 0], ['VAC_Workstation_Agent', reported, reported * 4, 0, 0]];
    assert.deepEqual(managed(agents, terms, JAN, JAN + 1), ws(12), 'the first millisecond of January: 10 + 2 by exceed, the 13th Unlicensed');
    assert.deepEqual(managed(agents, terms, ends - 1, ends), ws(12));
    assert.deepEqual(managed(agents, terms, ends, FEB), ws(10), 'from the instant the allowance ends');
    assert.deepEqual(managed(agents, terms, FEB - 1, FEB), ws(10), 'the last millisecond of January');
    assert.deepEqual(managed(agents, terms, JAN, FEB), ws(12));
  });

  test('Rental: agents new in the month are New whatever the pool holds; in the next month they join the queue after the older ones', () => {
    const terms = license({ type: 'Rental', units: 11 });
    const agents = { old: [on(DEC - 10 * D, 'c1')], n1: [on(DEC + 2 * D, 'c1')], n2: [on(DEC + 3 * D, 'c1'), off(DEC + 4 * D)] };
    assert.deepEqual(managed(agents, terms, DEC, Date.UTC(2027, 0, 1)), servers(1, 2, 11));
    // January: 11 points for old, n1 would need 11 more; the allowance (20 % = 2 points) is not enough.
    assert.deepEqual(managed(agents, terms, Date.UTC(2027, 0, 1), Date.UTC(2027, 1, 1)), servers(1, 0, 11));
  });
});

test('property: the sweep over the stretches = classifyAgents at every instant of the raw events; within the license and its grace = every agent', () => {
  const event = fc.oneof(
    fc.record({ at: fc.integer({ min: -60, max: 40 }), kind: fc.constant('on' as const), company: fc.constantFrom('c1', 'c2', 'c3'), mode: fc.constantFrom('server' as const, 'workstation' as const) }),
    fc.record({ at: fc.integer({ min: -60, max: 40 }), kind: fc.constant('off' as const) }),
    fc.record({ at: fc.integer({ min: -60, max: 40 }), kind: fc.constant('mode' as const), mode: fc.constantFrom('server' as const, 'workstation' as const) }),
  );
  const licenseArb = fc.option(
    fc.record({
      type: fc.constantFrom('Rental' as const, 'Subscription' as const, 'Evaluation' as const, 'NFR' as const, 'Perpetual' as const),
      units: fc.constantFrom(0, 1, 3, 4, 11, 15, 22, 40, 1000),
      expiration: fc.constantFrom(-90, -40, -20, 0, 10, 29, 400),
      autoUpdate: fc.boolean(),
      sent: fc.option(fc.constantFrom(-45, -20, -1, 5, 20), { nil: null }),
    }),
    { nil: null },
  );
  const at = (days: number) => NOV + days * D + (days % 3 === 0 ? 0 : days % 3 === 1 ? 1 : -1);
  fc.assert(
    fc.property(fc.array(fc.array(event, { minLength: 1, maxLength: 5 }), { maxLength: 12 }), licenseArb, (agents, spec) => {
      const license: VspcLicense | null = spec && {
        type: spec.type,
        edition: null,
        units: spec.units,
        expirationDate: NOV + spec.expiration * D,
        weights: defaultAgentWeights(spec.type),
        autoUpdate: spec.autoUpdate,
        lastReportSentAt: spec.sent === null ? null : NOV + spec.sent * D,
      };
      const byAgent = new Map(
        agents.map((events, i) => [`a${i}`, events.map((e) => (e.kind === 'on' ? on(at(e.at), e.company, e.mode) : e.kind === 'off' ? off(at(e.at)) : mode(at(e.at), e.mode)))]),
      );
      const segments = [...byAgent].flatMap(([uid, events]) => agentSegments(uid, events));
      const swept = managedMonthCounters(segments, license, NOV, DEC, 'UTC');
      assert.deepEqual(swept, managedReportFromEvents(byAgent, license, NOV, DEC, 'UTC'));
      // 12 agents never need 1000 units: within the license and its grace the report is every agent, as before.
      if (license === null || (license.units >= 1000 && license.expirationDate! > DEC + 60 * D)) {
        for (const company of ['c1', 'c2', 'c3']) {
          const all = companyMonthCounters(company, segments.length ? [segments] : [], license, NOV, DEC);
          assert.deepEqual(swept.get(company), all.some((c) => c.reportedCount > 0 || c.newCount > 0) ? all : undefined, company);
        }
      }
    }),
    { numRuns: 300, seed: 20261208 },
  );
});
