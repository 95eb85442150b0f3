/**
 * The VSPC engine against contract §5 and rules 12–16, 24: replaying an agent's events
 * (agentStateAt) and the console counters (consoleCounters).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_VSPC_LICENSE, defaultAgentWeights, type AgentMode, type VspcLicense, type VspcLicenseType } from '../../src/domain/licenses.js';
import { agentStateAt, consoleCounters, isNewAgent, type AgentEvent, type AgentState, type ConsoleLicenseCounter } from '../../src/domain/vspc.js';

const DAY = 86_400_000;
const at = (iso: string): number => {
  const ms = Date.parse(iso);
  assert.ok(Number.isFinite(ms), `bad test instant ${iso}`);
  return ms;
};

const AGENT = 'a0000000-0000-4000-8000-000000000001';
const C1 = 'c1000000-0000-4000-8000-000000000001';
const C2 = 'c2000000-0000-4000-8000-000000000002';
const NOW = at('2026-11-15T12:00:00.000Z');
const MONTH_START = at('2026-11-01T00:00:00.000Z');

const activated = (id: string, when: number, companyUid = C1, mode: AgentMode = 'server', name = 'agent-1'): AgentEvent => ({
  id,
  at: when,
  type: 'activated',
  companyUid,
  mode,
  name,
});
const modeChanged = (id: string, when: number, mode: AgentMode): AgentEvent => ({ id, at: when, type: 'modeChanged', mode });
const deactivated = (id: string, when: number): AgentEvent => ({ id, at: when, type: 'deactivated' });

function vspcLicense(type: VspcLicenseType, weights?: { server: number; workstation: number }): VspcLicense {
  return { type, edition: null, units: 1000, expirationDate: null, weights: weights ?? defaultAgentWeights(type) };
}
const RENTAL = vspcLicense('Rental');
const SUBSCRIPTION = vspcLicense('Subscription');

function agent(uid: string, mode: AgentMode, activatedAt: number, companyUid = C1): AgentState {
  return { agentUid: uid, name: uid, companyUid, mode, activatedAt };
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  const out: T[][] = [];
  items.forEach((item, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([item, ...rest]);
  });
  return out;
}

/** agentStateAt must give the same answer for every arrival order of the events. */
function stateInEveryOrder(events: AgentEvent[], now: number): AgentState | null {
  const all = permutations(events).map((order) => agentStateAt(AGENT, order, now));
  for (const state of all) assert.deepEqual(state, all[0]);
  return all[0] ?? null;
}

describe('agentStateAt: activation and deactivation (rule 12)', () => {
  test('no events → not managed', () => {
    assert.equal(agentStateAt(AGENT, [], NOW), null);
  });

  test('an activated agent is managed with its company, mode, name and activation time', () => {
    const when = at('2026-11-03T08:00:00Z');
    assert.deepEqual(agentStateAt(AGENT, [activated('e1', when, C1, 'workstation', 'pc-01')], NOW), {
      agentUid: AGENT,
      name: 'pc-01',
      companyUid: C1,
      mode: 'workstation',
      activatedAt: when,
    });
  });

  test('an activation exactly at now counts; one at now + 1 ms does not yet', () => {
    assert.equal(agentStateAt(AGENT, [activated('e1', NOW)], NOW)?.activatedAt, NOW);
    assert.equal(agentStateAt(AGENT, [activated('e1', NOW + 1)], NOW), null);
  });

  test('deactivation stops counting at once (at its instant), not before', () => {
    const events = [activated('e1', at('2026-10-01T00:00:00Z')), deactivated('e2', NOW)];
    assert.equal(agentStateAt(AGENT, events, NOW), null);
    assert.notEqual(agentStateAt(AGENT, events, NOW - 1), null);
  });

  test('a deactivation dated after now has no effect yet', () => {
    const events = [activated('e1', at('2026-10-01T00:00:00Z')), deactivated('e2', NOW + 1)];
    assert.equal(agentStateAt(AGENT, events, NOW)?.companyUid, C1);
    assert.equal(agentStateAt(AGENT, events, NOW + 1), null);
  });

  test('a deactivation without activation, or a second deactivation, leaves the agent unmanaged', () => {
    assert.equal(agentStateAt(AGENT, [deactivated('e1', NOW - DAY)], NOW), null);
    assert.equal(agentStateAt(AGENT, [activated('e1', NOW - 3 * DAY), deactivated('e2', NOW - 2 * DAY), deactivated('e3', NOW - DAY)], NOW), null);
  });

  test('re-activation after deactivation gets a NEW activation time (and may be new again)', () => {
    const events = [
      activated('e1', at('2026-09-01T00:00:00Z')),
      deactivated('e2', at('2026-10-01T00:00:00Z')),
      activated('e3', at('2026-11-03T00:00:00Z'), C2, 'workstation'),
    ];
    const state = stateInEveryOrder(events, NOW);
    assert.equal(state?.activatedAt, at('2026-11-03T00:00:00Z'));
    assert.equal(state?.companyUid, C2);
    assert.equal(state?.mode, 'workstation');
    assert.equal(isNewAgent(state!, RENTAL, NOW, 'UTC'), true);
    // Between deactivation and re-activation it was not managed.
    assert.equal(agentStateAt(AGENT, events, at('2026-10-15T00:00:00Z')), null);
  });

  test('re-activation while still active moves the company and keeps the original activation time (a move is never new)', () => {
    const events = [
      activated('e1', at('2026-09-01T00:00:00Z'), C1, 'server', 'old-name'),
      activated('e2', at('2026-11-03T00:00:00Z'), C2, 'server', 'new-name'),
    ];
    const state = stateInEveryOrder(events, NOW);
    assert.deepEqual(state, { agentUid: AGENT, name: 'new-name', companyUid: C2, mode: 'server', activatedAt: at('2026-09-01T00:00:00Z') });
    assert.equal(isNewAgent(state!, RENTAL, NOW, 'UTC'), false);
    // Before the move it was in C1.
    assert.equal(agentStateAt(AGENT, events, at('2026-11-02T00:00:00Z'))?.companyUid, C1);
  });

  test('a move takes the mode given with the re-activation', () => {
    const events = [activated('e1', at('2026-09-01T00:00:00Z'), C1, 'server'), activated('e2', at('2026-11-03T00:00:00Z'), C2, 'workstation')];
    assert.equal(agentStateAt(AGENT, events, NOW)?.mode, 'workstation');
  });
});

describe('agentStateAt: mode (rules 14–15)', () => {
  test('the mode is the latest mode at now', () => {
    const events = [
      activated('e1', at('2026-09-01T00:00:00Z'), C1, 'server'),
      modeChanged('e2', at('2026-10-01T00:00:00Z'), 'workstation'),
      modeChanged('e3', at('2026-11-01T00:00:00Z'), 'server'),
      modeChanged('e4', NOW + 1, 'workstation'),
    ];
    assert.equal(stateInEveryOrder(events, NOW)?.mode, 'server');
    assert.equal(agentStateAt(AGENT, events, at('2026-10-15T00:00:00Z'))?.mode, 'workstation');
    assert.equal(agentStateAt(AGENT, events, NOW + 1)?.mode, 'workstation');
  });

  test('a mode change keeps the activation time and the company', () => {
    const state = agentStateAt(AGENT, [activated('e1', at('2026-09-01T00:00:00Z'), C2), modeChanged('e2', NOW, 'workstation')], NOW);
    assert.equal(state?.activatedAt, at('2026-09-01T00:00:00Z'));
    assert.equal(state?.companyUid, C2);
  });

  test('a mode change before the activation is ignored', () => {
    const events = [modeChanged('e1', at('2026-09-01T00:00:00Z'), 'workstation'), activated('e2', at('2026-10-01T00:00:00Z'), C1, 'server')];
    assert.equal(stateInEveryOrder(events, NOW)?.mode, 'server');
    assert.equal(agentStateAt(AGENT, events, at('2026-09-15T00:00:00Z')), null);
  });

  test('a mode change while deactivated is ignored and not carried into a re-activation', () => {
    const events = [
      activated('e1', at('2026-09-01T00:00:00Z'), C1, 'server'),
      deactivated('e2', at('2026-09-10T00:00:00Z')),
      modeChanged('e3', at('2026-09-20T00:00:00Z'), 'workstation'),
      activated('e4', at('2026-10-01T00:00:00Z'), C1, 'server'),
    ];
    assert.equal(stateInEveryOrder(events, NOW)?.mode, 'server');
    assert.equal(agentStateAt(AGENT, events, at('2026-09-25T00:00:00Z')), null);
  });
});

describe('agentStateAt: same-instant ordering is deterministic (activated < modeChanged < deactivated, then id)', () => {
  const T = at('2026-11-05T10:00:00Z');

  test('activated and deactivated at the same instant → deactivated wins', () => {
    assert.equal(stateInEveryOrder([deactivated('a-first-id', T), activated('z-last-id', T)], NOW), null);
  });

  test('activated and modeChanged at the same instant → the mode change applies after the activation', () => {
    const state = stateInEveryOrder([modeChanged('a', T, 'workstation'), activated('z', T, C1, 'server')], NOW);
    assert.equal(state?.mode, 'workstation');
    assert.equal(state?.activatedAt, T);
  });

  test('modeChanged and deactivated at the same instant → not managed', () => {
    assert.equal(stateInEveryOrder([activated('e1', T - DAY), deactivated('a', T), modeChanged('z', T, 'workstation')], NOW), null);
  });

  test('deactivated and re-activated at the same instant → not managed (deactivation applies last)', () => {
    assert.equal(stateInEveryOrder([activated('e1', T - DAY), activated('e3', T, C2), deactivated('e2', T)], NOW), null);
  });

  test('two activations at the same instant apply in id order: the larger id decides the company', () => {
    const state = stateInEveryOrder([activated('e-2', T, C2, 'workstation', 'second'), activated('e-1', T, C1, 'server', 'first')], NOW);
    assert.deepEqual(state, { agentUid: AGENT, name: 'second', companyUid: C2, mode: 'workstation', activatedAt: T });
  });

  test('two mode changes at the same instant apply in id order', () => {
    const events = [activated('e0', T - DAY), modeChanged('m-b', T, 'server'), modeChanged('m-a', T, 'workstation')];
    assert.equal(stateInEveryOrder(events, NOW)?.mode, 'server');
  });

  test('the input array is not reordered', () => {
    const events = [deactivated('e2', T), activated('e1', T - DAY)];
    const copy = structuredClone(events);
    agentStateAt(AGENT, events, NOW);
    assert.deepEqual(events, copy);
  });
});

describe('consoleCounters (rules 13–16)', () => {
  const zero = (type: 'VAC_Server_Agent' | 'VAC_Workstation_Agent', unitType: 'Points' | 'Instances'): ConsoleLicenseCounter => ({
    type,
    unitType,
    usedUnits: 0,
    usedCount: 0,
    newUnits: 0,
    newCount: 0,
  });

  test('the seed: Rental 11/4, two server and two workstation agents activated this month', () => {
    const seedNow = at('2026-11-23T12:00:00Z');
    const agents = [
      agent('s1', 'server', at('2026-11-02T09:00:00Z')),
      agent('w1', 'workstation', at('2026-11-03T09:00:00Z')),
      agent('s2', 'server', at('2026-11-20T09:00:00Z')),
      agent('w2', 'workstation', at('2026-11-21T09:00:00Z')),
    ];
    assert.deepEqual(consoleCounters(agents, vspcLicense('Rental', { server: 11, workstation: 4 }), seedNow, 'UTC'), [
      { type: 'VAC_Server_Agent', unitType: 'Points', usedUnits: 0, usedCount: 0, newUnits: 22, newCount: 2 },
      { type: 'VAC_Workstation_Agent', unitType: 'Points', usedUnits: 0, usedCount: 0, newUnits: 8, newCount: 2 },
    ]);
  });

  test('Rental: agents activated in an earlier month are used', () => {
    const agents = [
      agent('s1', 'server', at('2026-10-02T09:00:00Z')),
      agent('s2', 'server', at('2025-01-01T00:00:00Z')),
      agent('w1', 'workstation', at('2026-10-31T09:00:00Z')),
      agent('w2', 'workstation', at('2026-11-14T09:00:00Z')),
    ];
    assert.deepEqual(consoleCounters(agents, RENTAL, NOW, 'UTC'), [
      { type: 'VAC_Server_Agent', unitType: 'Points', usedUnits: 22, usedCount: 2, newUnits: 0, newCount: 0 },
      { type: 'VAC_Workstation_Agent', unitType: 'Points', usedUnits: 4, usedCount: 1, newUnits: 4, newCount: 1 },
    ]);
  });

  test('Rental month boundary at exact instants: activated at the month start → new; 1 ms before → used', () => {
    const counters = consoleCounters(
      [agent('s1', 'server', MONTH_START), agent('s2', 'server', MONTH_START - 1)],
      RENTAL,
      NOW,
      'UTC',
    );
    assert.deepEqual(counters[0], { type: 'VAC_Server_Agent', unitType: 'Points', usedUnits: 11, usedCount: 1, newUnits: 11, newCount: 1 });
  });

  test('Rental rollover: an agent new in November is used from 2026-12-01T00:00:00.000Z', () => {
    const agents = [agent('w1', 'workstation', at('2026-11-20T00:00:00Z'))];
    assert.deepEqual(consoleCounters(agents, RENTAL, at('2026-11-30T23:59:59.999Z'), 'UTC')[1], {
      type: 'VAC_Workstation_Agent', unitType: 'Points', usedUnits: 0, usedCount: 0, newUnits: 4, newCount: 1,
    });
    assert.deepEqual(consoleCounters(agents, RENTAL, at('2026-12-01T00:00:00.000Z'), 'UTC')[1], {
      type: 'VAC_Workstation_Agent', unitType: 'Points', usedUnits: 4, usedCount: 1, newUnits: 0, newCount: 0,
    });
  });

  test('Rental month boundary in Europe/Berlin: November starts 2026-10-31T23:00:00Z', () => {
    const agents = [agent('s1', 'server', at('2026-10-31T23:00:00.000Z')), agent('s2', 'server', at('2026-10-31T22:59:59.999Z'))];
    assert.deepEqual(consoleCounters(agents, RENTAL, NOW, 'Europe/Berlin')[0], {
      type: 'VAC_Server_Agent', unitType: 'Points', usedUnits: 11, usedCount: 1, newUnits: 11, newCount: 1,
    });
    // In UTC both are October agents.
    assert.deepEqual(consoleCounters(agents, RENTAL, NOW, 'UTC')[0], {
      type: 'VAC_Server_Agent', unitType: 'Points', usedUnits: 22, usedCount: 2, newUnits: 0, newCount: 0,
    });
  });

  test('Subscription: all used, unit type Instances, weight 1 by default', () => {
    const agents = [
      agent('s1', 'server', at('2026-11-10T00:00:00Z')),
      agent('s2', 'server', at('2026-01-10T00:00:00Z')),
      agent('w1', 'workstation', NOW),
    ];
    assert.deepEqual(defaultAgentWeights('Subscription'), { server: 1, workstation: 1 });
    assert.deepEqual(consoleCounters(agents, SUBSCRIPTION, NOW, 'UTC'), [
      { type: 'VAC_Server_Agent', unitType: 'Instances', usedUnits: 2, usedCount: 2, newUnits: 0, newCount: 0 },
      { type: 'VAC_Workstation_Agent', unitType: 'Instances', usedUnits: 1, usedCount: 1, newUnits: 0, newCount: 0 },
    ]);
  });

  for (const type of ['Evaluation', 'NFR', 'Perpetual'] as const) {
    test(`${type}: no new bucket, unit type Instances`, () => {
      const counters = consoleCounters([agent('s1', 'server', NOW)], vspcLicense(type), NOW, 'UTC');
      assert.deepEqual(counters[0], { type: 'VAC_Server_Agent', unitType: 'Instances', usedUnits: 1, usedCount: 1, newUnits: 0, newCount: 0 });
    });
  }

  test('custom weights: units = count × weight (doubles allowed)', () => {
    const agents = [
      agent('s1', 'server', at('2026-10-01T00:00:00Z')),
      agent('s2', 'server', at('2026-11-02T00:00:00Z')),
      agent('s3', 'server', at('2026-11-03T00:00:00Z')),
      agent('w1', 'workstation', at('2026-10-01T00:00:00Z')),
      agent('w2', 'workstation', at('2026-10-02T00:00:00Z')),
      agent('w3', 'workstation', at('2026-10-03T00:00:00Z')),
    ];
    assert.deepEqual(consoleCounters(agents, vspcLicense('Rental', { server: 7.5, workstation: 2 }), NOW, 'UTC'), [
      { type: 'VAC_Server_Agent', unitType: 'Points', usedUnits: 7.5, usedCount: 1, newUnits: 15, newCount: 2 },
      { type: 'VAC_Workstation_Agent', unitType: 'Points', usedUnits: 6, usedCount: 3, newUnits: 0, newCount: 0 },
    ]);
    assert.deepEqual(consoleCounters(agents, vspcLicense('Subscription', { server: 3, workstation: 0 }), NOW, 'UTC'), [
      { type: 'VAC_Server_Agent', unitType: 'Instances', usedUnits: 9, usedCount: 3, newUnits: 0, newCount: 0 },
      { type: 'VAC_Workstation_Agent', unitType: 'Instances', usedUnits: 0, usedCount: 3, newUnits: 0, newCount: 0 },
    ]);
  });

  test('no license (null) → Rental with default weights 11/4', () => {
    assert.deepEqual(DEFAULT_VSPC_LICENSE.weights, { server: 11, workstation: 4 });
    assert.equal(DEFAULT_VSPC_LICENSE.type, 'Rental');
    const agents = [agent('s1', 'server', at('2026-11-02T00:00:00Z')), agent('w1', 'workstation', at('2026-09-02T00:00:00Z'))];
    assert.deepEqual(consoleCounters(agents, null, NOW, 'UTC'), [
      { type: 'VAC_Server_Agent', unitType: 'Points', usedUnits: 0, usedCount: 0, newUnits: 11, newCount: 1 },
      { type: 'VAC_Workstation_Agent', unitType: 'Points', usedUnits: 4, usedCount: 1, newUnits: 0, newCount: 0 },
    ]);
  });

  test('both counters are always present, server first, even without agents', () => {
    assert.deepEqual(consoleCounters([], RENTAL, NOW, 'UTC'), [zero('VAC_Server_Agent', 'Points'), zero('VAC_Workstation_Agent', 'Points')]);
    assert.deepEqual(consoleCounters([], SUBSCRIPTION, NOW, 'UTC'), [zero('VAC_Server_Agent', 'Instances'), zero('VAC_Workstation_Agent', 'Instances')]);
    assert.deepEqual(consoleCounters([], null, NOW, 'UTC'), [zero('VAC_Server_Agent', 'Points'), zero('VAC_Workstation_Agent', 'Points')]);
    // Only workstations: the server counter still comes first.
    const counters = consoleCounters([agent('w1', 'workstation', NOW)], RENTAL, NOW, 'UTC');
    assert.deepEqual(counters.map((c) => c.type), ['VAC_Server_Agent', 'VAC_Workstation_Agent']);
    assert.deepEqual(counters[0], zero('VAC_Server_Agent', 'Points'));
  });

  test('from events to counters: moved, re-activated, mode-changed and deactivated agents', () => {
    const byAgent: Record<string, AgentEvent[]> = {
      // Moved from C2 to C1 this month: used (activated in September), in C1.
      moved: [activated('m1', at('2026-09-01T00:00:00Z'), C2, 'server'), activated('m2', at('2026-11-05T00:00:00Z'), C1, 'server')],
      // Re-activated this month after a deactivation: new.
      again: [
        activated('r1', at('2026-08-01T00:00:00Z'), C1, 'server'),
        deactivated('r2', at('2026-09-01T00:00:00Z')),
        activated('r3', at('2026-11-06T00:00:00Z'), C1, 'server'),
      ],
      // Server switched to workstation: counted as a used workstation.
      switched: [activated('s1', at('2026-10-01T00:00:00Z'), C1, 'server'), modeChanged('s2', at('2026-11-07T00:00:00Z'), 'workstation')],
      // Deactivated: not counted.
      gone: [activated('g1', at('2026-10-01T00:00:00Z'), C1, 'server'), deactivated('g2', at('2026-11-08T00:00:00Z'))],
      // Activated after now: not counted yet.
      future: [activated('f1', NOW + 1, C1, 'server')],
    };
    const agents = Object.entries(byAgent)
      .map(([uid, events]) => agentStateAt(uid, events, NOW))
      .filter((s): s is AgentState => s !== null && s.companyUid === C1);
    assert.deepEqual(agents.map((a) => a.agentUid).sort(), ['again', 'moved', 'switched']);
    assert.deepEqual(consoleCounters(agents, RENTAL, NOW, 'UTC'), [
      { type: 'VAC_Server_Agent', unitType: 'Points', usedUnits: 11, usedCount: 1, newUnits: 11, newCount: 1 },
      { type: 'VAC_Workstation_Agent', unitType: 'Points', usedUnits: 4, usedCount: 1, newUnits: 0, newCount: 0 },
    ]);
  });
});
