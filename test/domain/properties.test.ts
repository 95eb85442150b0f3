/**
 * Property tests of the pure engine (fast-check): answers do not depend on input order, the
 * classification conserves users and matches the counting formulas of rule 9, adding a backup
 * never lowers the installation's consumption, and events dated after `now` have no effect; the
 * VSPC month-end report counts the managed agents of the raw events at every instant, holds the
 * live counters, and a larger license never lowers it.
 *
 * Runs are seeded (override with TALLY_FC_SEED=<n> to explore other cases).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { VB365_LICENSE_TYPES, VSPC_LICENSE_TYPES, defaultAgentWeights, type AgentMode, type Vb365License, type VspcLicense } from '../../src/domain/licenses.js';
import {
  activityAt,
  classifyUsers,
  consumptionStart,
  exceedAllowance,
  processingStopped,
  organizationLicensingInformation,
  RETENTION_WINDOW_MS,
  type ClassifiedUser,
  type LicenseState,
  type UserActivity,
} from '../../src/domain/vb365.js';
import { agentSegments, managedMonthCounters } from '../../src/domain/monthlyReport.js';
import { agentStateAt, classifyAgents, consoleCounters, countersOfClassified, overLimitSince, type AgentEvent, type AgentState } from '../../src/domain/vspc.js';
import { managedReportFromEvents, plainOverSince } from '../support/managedReport.js';
import { plusMonths, startOfMonth } from '../../src/time.js';

const SEED = Number(process.env.TALLY_FC_SEED ?? 20_261_115);
const RUNS = 200;
const params = { numRuns: RUNS, seed: SEED };

const DAY = 86_400_000;
const ORGS = [
  '0a000000-0000-4000-8000-00000000000a',
  '0b000000-0000-4000-8000-00000000000b',
  '0c000000-0000-4000-8000-00000000000c',
] as const;
const USER_IDS = Array.from({ length: 12 }, (_, i) => `u${String(i).padStart(2, '0')}`);
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham'] as const;

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** An instant relative to `now`, biased to the edges that matter: the window, the month start. */
type InstantSpec = { rel: number } | { monthStart: 0 | -1; delta: number };

const instantSpec: fc.Arbitrary<InstantSpec> = fc.oneof(
  fc.record({ rel: fc.integer({ min: -80 * DAY, max: 5 * DAY }) }),
  // Long holds (backups less than 31 days apart over months) time the rental exceed allowance.
  fc.record({ rel: fc.integer({ min: -150 * DAY, max: 0 }) }),
  fc.record({ rel: fc.constantFrom(0, 1, -1, -RETENTION_WINDOW_MS, -RETENTION_WINDOW_MS + 1, -RETENTION_WINDOW_MS - 1) }),
  fc.record({
    monthStart: fc.constantFrom(0 as const, -1 as const),
    delta: fc.oneof(fc.constantFrom(-1, 0, 1), fc.integer({ min: 0, max: 20 * DAY })),
  }),
);

function resolve(spec: InstantSpec, now: number, zone: string): number {
  if ('rel' in spec) return now + spec.rel;
  const thisMonth = startOfMonth(now, zone);
  const month = spec.monthStart === 0 ? thisMonth : startOfMonth(thisMonth - 1, zone);
  return month + spec.delta;
}

const nowArb = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) });
const zoneArb = fc.constantFrom(...ZONES);

const vb365LicenseSpec = fc.option(
  fc.record({
    type: fc.constantFrom(...VB365_LICENSE_TYPES),
    totalNumber: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 30 })),
    autoUpdate: fc.boolean(),
    lastReportSentAt: fc.option(fc.integer({ min: -45 * DAY, max: 2 * DAY }), { nil: null }),
    // Expiry relative to now: some licenses are past their grace period (rule 10).
    expiresIn: fc.option(fc.oneof(fc.integer({ min: -100 * DAY, max: 30 * DAY }), fc.constantFrom(-31 * DAY, -61 * DAY, -62 * DAY)), { nil: null }),
  }),
  { nil: null },
);

interface UserSpec {
  org: string;
  user: string;
  backups: InstantSpec[];
}

const userSpecs = fc.uniqueArray(
  fc.record({
    org: fc.constantFrom(...ORGS),
    user: fc.constantFrom(...USER_IDS),
    backups: fc.array(instantSpec, { minLength: 1, maxLength: 6 }),
  }),
  { selector: (u) => `${u.org}/${u.user}`, maxLength: 30, size: 'max' },
);

interface Vb365Scenario {
  now: number;
  zone: string;
  license: Vb365License | null;
  users: { org: string; user: string; backups: number[] }[];
}

const vb365Scenario: fc.Arbitrary<Vb365Scenario> = fc
  .record({ now: nowArb, zone: zoneArb, license: vb365LicenseSpec, users: userSpecs })
  .map(({ now, zone, license, users }) => ({
    now,
    zone,
    license: license && {
      type: license.type,
      // Community is capped at 10 (rule 9); whether a larger installed totalNumber is honoured is
      // pinned by a unit test in vb365.test.ts, so the properties stay neutral on it.
      totalNumber: license.type === 'Community' ? Math.min(license.totalNumber, 10) : license.totalNumber,
      expirationDate: license.expiresIn === null ? null : now + license.expiresIn,
      autoUpdate: license.autoUpdate,
      lastReportSentAt: license.lastReportSentAt === null ? null : now + license.lastReportSentAt,
    },
    users: users.map((u: UserSpec) => ({ org: u.org, user: u.user, backups: u.backups.map((b) => resolve(b, now, zone)) })),
  }));

function activitiesOf(scenario: Pick<Vb365Scenario, 'users' | 'now'>): UserActivity[] {
  const out: UserActivity[] = [];
  for (const u of scenario.users) {
    const a = activityAt(u.org, u.user, u.backups, scenario.now);
    if (a) out.push(a);
  }
  return out;
}

/** Deterministic permutation driven by a generated seed. */
function permute<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const key = (u: { organizationId: string; userId: string }) => `${u.organizationId}/${u.userId}`;

function byKey(classified: readonly ClassifiedUser[]): Map<string, ClassifiedUser> {
  const map = new Map<string, ClassifiedUser>();
  for (const u of classified) {
    assert.ok(!map.has(key(u)), `user ${key(u)} classified twice`);
    map.set(key(u), u);
  }
  return map;
}

function sortedClassification(classified: readonly ClassifiedUser[]): ClassifiedUser[] {
  return [...classified].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function totals(classified: readonly ClassifiedUser[]): { licensed: number; fresh: number } {
  let licensed = 0;
  let fresh = 0;
  for (const org of ORGS) {
    const info = organizationLicensingInformation(classified, org);
    licensed += info.licensedUsers;
    fresh += info.newUsers;
  }
  return { licensed, fresh };
}

function count(classified: readonly ClassifiedUser[], state: LicenseState): number {
  return classified.filter((u) => u.state === state).length;
}

const STATE_RANK: Record<LicenseState, number> = { Licensed: 0, TemporarilyAssigned: 1, Exceeded: 2, New: -1 };

// ---------------------------------------------------------------------------------------------
// VB365

describe('VB365 engine properties', () => {
  test('classifyUsers does not depend on the order of its input', () => {
    fc.assert(
      fc.property(vb365Scenario, fc.nat(), ({ now, zone, license, users }, seed) => {
        const activities = activitiesOf({ now, users });
        const reference = sortedClassification(classifyUsers(activities, license, now, zone));
        const shuffled = sortedClassification(classifyUsers(permute(activities, seed), license, now, zone));
        assert.deepEqual(shuffled, reference);
        // Nor does activityAt depend on the order of a user's backups.
        for (const u of users) {
          assert.deepEqual(activityAt(u.org, u.user, permute(u.backups, seed), now), activityAt(u.org, u.user, u.backups, now));
        }
      }),
      params,
    );
  });

  test('conservation: every user with a counting backup in (now − 31 d, now] is classified exactly once, no one else', () => {
    fc.assert(
      fc.property(vb365Scenario, ({ now, zone, license, users }) => {
        const classified = classifyUsers(activitiesOf({ now, users }), license, now, zone);
        const map = byKey(classified);
        const holders = users.filter((u) => u.backups.some((b) => b > now - RETENTION_WINDOW_MS && b <= now));
        assert.equal(classified.length, holders.length);
        for (const u of holders) assert.ok(map.has(`${u.org}/${u.user}`), `${u.org}/${u.user} missing`);
        // Every classified user carries its earliest and latest backup at or before now.
        for (const u of users) {
          const c = map.get(`${u.org}/${u.user}`);
          if (!c) continue;
          const past = u.backups.filter((b) => b <= now);
          assert.equal(c.firstBackupAt, Math.min(...past));
          assert.equal(c.lastBackupAt, Math.max(...past));
        }
      }),
      params,
    );
  });

  test('counting: Licensed = min(consuming, total), TemporarilyAssigned = min(rest, allowance), Exceeded = the rest; New only under Rental', () => {
    fc.assert(
      fc.property(vb365Scenario, ({ now, zone, license, users }) => {
        const classified = classifyUsers(activitiesOf({ now, users }), license, now, zone);
        const terms = license ?? { type: 'Community' as const, totalNumber: 10, expirationDate: null, autoUpdate: false, lastReportSentAt: null };
        const monthStart = startOfMonth(now, zone);
        const expectedNew = terms.type === 'Rental' ? classified.filter((u) => u.firstBackupAt >= monthStart).length : 0;
        const consuming = classified.length - expectedNew;
        // Rule 10: past the grace period nothing is processed.
        const stopped = processingStopped(terms, now, zone);
        const total = stopped ? 0 : terms.totalNumber;
        // Rule 9, Rental: the allowance ends once the users beyond the license have been over it for 2 months.
        const starts = classified.filter((u) => u.state !== 'New').map((u) => consumptionStart(u, terms, zone));
        const longOver = starts.filter((start) => plusMonths(start, 2, zone) <= now).length > terms.totalNumber;
        const allowance = stopped || (terms.type === 'Rental' && longOver) ? 0 : exceedAllowance(terms, now, zone);
        assert.equal(count(classified, 'New'), expectedNew);
        assert.equal(count(classified, 'Licensed'), Math.min(consuming, total));
        assert.equal(count(classified, 'TemporarilyAssigned'), Math.min(Math.max(consuming - total, 0), allowance));
        assert.equal(count(classified, 'Exceeded'), Math.max(consuming - total - allowance, 0));
        if (terms.type === 'Evaluation' || terms.type === 'NFR' || terms.type === 'Community') assert.equal(allowance, 0);
        // The per-organization figures add up to the installation's.
        const sum = totals(classified);
        assert.equal(sum.licensed, count(classified, 'Licensed') + count(classified, 'TemporarilyAssigned'));
        assert.equal(sum.fresh, expectedNew);
      }),
      params,
    );
  });

  test('ranking: in (first backup, user id, organization id) order the states never go back (Licensed → Temporarily → Exceeded)', () => {
    fc.assert(
      fc.property(vb365Scenario, ({ now, zone, license, users }) => {
        const ranked = classifyUsers(activitiesOf({ now, users }), license, now, zone)
          .filter((u) => u.state !== 'New')
          .sort((a, b) => a.firstBackupAt - b.firstBackupAt || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0) || (a.organizationId < b.organizationId ? -1 : 1));
        for (let i = 1; i < ranked.length; i++) {
          assert.ok(STATE_RANK[ranked[i - 1]!.state] <= STATE_RANK[ranked[i]!.state], `rank ${i}: ${ranked[i - 1]!.state} before ${ranked[i]!.state}`);
        }
      }),
      params,
    );
  });

  test('monotonicity: a backup at now (for any user) never lowers the installation-wide licensedUsers, nor licensed + new', () => {
    fc.assert(
      fc.property(vb365Scenario, fc.constantFrom(...ORGS), fc.constantFrom(...USER_IDS), ({ now, zone, license, users }, org, user) => {
        const before = classifyUsers(activitiesOf({ now, users }), license, now, zone);
        const existing = users.find((u) => u.org === org && u.user === user);
        const more = existing
          ? users.map((u) => (u === existing ? { ...u, backups: [...u.backups, now] } : u))
          : [...users, { org, user, backups: [now] }];
        const after = classifyUsers(activitiesOf({ now, users: more }), license, now, zone);
        const b = totals(before);
        const a = totals(after);
        assert.ok(a.licensed >= b.licensed, `licensed ${b.licensed} → ${a.licensed}`);
        assert.ok(a.licensed + a.fresh >= b.licensed + b.fresh, `licensed+new ${b.licensed + b.fresh} → ${a.licensed + a.fresh}`);
        assert.ok(after.length >= before.length);
        assert.ok(after.length <= before.length + 1);
      }),
      params,
    );
  });

  test('a brand-new user backed up at now ranks last: no other user changes state', () => {
    fc.assert(
      fc.property(vb365Scenario, fc.constantFrom(...ORGS), ({ now, zone, license, users }, org) => {
        const before = byKey(classifyUsers(activitiesOf({ now, users }), license, now, zone));
        // 'zz-…' sorts after every generated user id, so even a tie on first backup ranks it last.
        const after = byKey(classifyUsers(activitiesOf({ now, users: [...users, { org, user: 'zz-newcomer', backups: [now] }] }), license, now, zone));
        assert.equal(after.size, before.size + 1);
        for (const [k, u] of before) assert.equal(after.get(k)?.state, u.state, k);
        const newcomer = after.get(`${org}/zz-newcomer`)!;
        if ((license?.type ?? 'Community') === 'Rental') assert.equal(newcomer.state, 'New');
        else assert.notEqual(newcomer.state, 'New');
      }),
      params,
    );
  });

  test('backups dated after now change nothing', () => {
    fc.assert(
      fc.property(
        vb365Scenario,
        fc.array(fc.record({ org: fc.constantFrom(...ORGS), user: fc.constantFrom(...USER_IDS), ahead: fc.integer({ min: 1, max: 40 * DAY }) }), { maxLength: 10 }),
        ({ now, zone, license, users }, future) => {
          const before = sortedClassification(classifyUsers(activitiesOf({ now, users }), license, now, zone));
          const more = users.map((u) => ({ ...u, backups: [...u.backups] }));
          for (const f of future) {
            const existing = more.find((u) => u.org === f.org && u.user === f.user);
            if (existing) existing.backups.push(now + f.ahead);
            else more.push({ org: f.org, user: f.user, backups: [now + f.ahead] });
          }
          assert.deepEqual(sortedClassification(classifyUsers(activitiesOf({ now, users: more }), license, now, zone)), before);
        },
      ),
      params,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// VSPC

const AGENT_UIDS = Array.from({ length: 6 }, (_, i) => `a${i}000000-0000-4000-8000-00000000000${i}`);
const COMPANIES = ['c1000000-0000-4000-8000-000000000001', 'c2000000-0000-4000-8000-000000000002'] as const;

type AgentEventSpec =
  | { type: 'activated'; when: InstantSpec; company: string; mode: AgentMode; tag: number }
  | { type: 'modeChanged'; when: InstantSpec; mode: AgentMode; tag: number }
  | { type: 'deactivated'; when: InstantSpec; tag: number };

// A small pool of shared instants makes same-millisecond collisions frequent.
const agentInstant: fc.Arbitrary<InstantSpec> = fc.oneof(
  instantSpec,
  fc.record({ rel: fc.constantFrom(-40 * DAY, -10 * DAY, -DAY, 0) }),
);
const agentEventSpec: fc.Arbitrary<AgentEventSpec> = fc.oneof(
  fc.record({ type: fc.constant('activated' as const), when: agentInstant, company: fc.constantFrom(...COMPANIES), mode: fc.constantFrom<AgentMode>('server', 'workstation'), tag: fc.nat(99) }),
  fc.record({ type: fc.constant('modeChanged' as const), when: agentInstant, mode: fc.constantFrom<AgentMode>('server', 'workstation'), tag: fc.nat(99) }),
  fc.record({ type: fc.constant('deactivated' as const), when: agentInstant, tag: fc.nat(99) }),
);

const vspcLicenseArb: fc.Arbitrary<VspcLicense | null> = fc.option(
  fc.record({
    type: fc.constantFrom(...VSPC_LICENSE_TYPES),
    custom: fc.option(fc.record({ server: fc.integer({ min: 0, max: 50 }), workstation: fc.integer({ min: 0, max: 50 }) }), { nil: null }),
  }).map(({ type, custom }) => ({ type, edition: null, units: 100, expirationDate: null, weights: custom ?? defaultAgentWeights(type) })),
  { nil: null },
);

interface VspcScenario {
  now: number;
  zone: string;
  license: VspcLicense | null;
  agents: { uid: string; events: AgentEvent[] }[];
}

const vspcScenario: fc.Arbitrary<VspcScenario> = fc
  .record({
    now: nowArb,
    zone: zoneArb,
    license: vspcLicenseArb,
    agents: fc.array(fc.array(agentEventSpec, { minLength: 1, maxLength: 6 }), { minLength: 0, maxLength: AGENT_UIDS.length }),
  })
  .map(({ now, zone, license, agents }) => ({
    now,
    zone,
    license,
    agents: agents.map((specs, a) => ({
      uid: AGENT_UIDS[a]!,
      // Ids are unique per agent (index suffix) but their order is random relative to the list (tag prefix).
      events: specs.map((s, i): AgentEvent => {
        const id = `${String(s.tag).padStart(2, '0')}-${a}-${i}`;
        const at = resolve(s.when, now, zone);
        switch (s.type) {
          case 'activated':
            return { id, at, type: 'activated', companyUid: s.company, mode: s.mode, name: `agent-${a}` };
          case 'modeChanged':
            return { id, at, type: 'modeChanged', mode: s.mode };
          case 'deactivated':
            return { id, at, type: 'deactivated' };
        }
      }),
    })),
  }));

function statesOf({ agents, now }: Pick<VspcScenario, 'agents' | 'now'>): AgentState[] {
  return agents.map((a) => agentStateAt(a.uid, a.events, now)).filter((s): s is AgentState => s !== null);
}

describe('VSPC engine properties', () => {
  test('agentStateAt does not depend on the order of the events', () => {
    fc.assert(
      fc.property(vspcScenario, fc.nat(), ({ agents, now }, seed) => {
        for (const a of agents) assert.deepEqual(agentStateAt(a.uid, permute(a.events, seed), now), agentStateAt(a.uid, a.events, now));
      }),
      params,
    );
  });

  test('consoleCounters does not depend on the order of the agents', () => {
    fc.assert(
      fc.property(vspcScenario, fc.nat(), ({ agents, now, zone, license }, seed) => {
        const states = statesOf({ agents, now });
        for (const company of COMPANIES) {
          const mine = states.filter((s) => s.companyUid === company);
          assert.deepEqual(consoleCounters(permute(mine, seed), license, now, zone), consoleCounters(mine, license, now, zone));
        }
      }),
      params,
    );
  });

  test('agent events dated after now change nothing', () => {
    fc.assert(
      fc.property(vspcScenario, fc.array(agentEventSpec, { maxLength: 6 }), fc.integer({ min: 1, max: 40 * DAY }), ({ agents, now }, extra, ahead) => {
        for (const a of agents) {
          const future = extra.map((s, i): AgentEvent => {
            const id = `future-${i}`;
            const at = now + ahead + i;
            if (s.type === 'activated') return { id, at, type: 'activated', companyUid: s.company, mode: s.mode, name: 'x' };
            if (s.type === 'modeChanged') return { id, at, type: 'modeChanged', mode: s.mode };
            return { id, at, type: 'deactivated' };
          });
          assert.deepEqual(agentStateAt(a.uid, [...a.events, ...future], now), agentStateAt(a.uid, a.events, now));
        }
      }),
      params,
    );
  });

  test('an agent is managed at now exactly when its last lifecycle event at or before now is an activation', () => {
    fc.assert(
      fc.property(vspcScenario, ({ agents, now }) => {
        for (const a of agents) {
          const lifecycle = a.events
            .filter((e) => e.at <= now && e.type !== 'modeChanged')
            // Same instant: deactivation after activation, then id.
            .sort((x, y) => x.at - y.at || (x.type === y.type ? (x.id < y.id ? -1 : 1) : x.type === 'activated' ? -1 : 1));
          const last = lifecycle[lifecycle.length - 1];
          const state = agentStateAt(a.uid, a.events, now);
          assert.equal(state !== null, last?.type === 'activated', `agent ${a.uid}`);
          if (state && last?.type === 'activated') assert.equal(state.companyUid, last.companyUid);
          // The activation time is the first activation after the last deactivation.
          if (state) {
            const lastOff = lifecycle.map((e) => e.type).lastIndexOf('deactivated');
            assert.equal(state.activatedAt, lifecycle[lastOff + 1]!.at);
          }
        }
      }),
      params,
    );
  });

  test('counters conserve agents: counts add up, units = count × weight, new only under Rental', () => {
    fc.assert(
      fc.property(vspcScenario, ({ agents, now, zone, license }) => {
        const states = statesOf({ agents, now });
        const terms = license ?? { type: 'Rental' as const, weights: { server: 11, workstation: 4 } };
        const monthStart = startOfMonth(now, zone);
        const counters = consoleCounters(states, license, now, zone);
        assert.deepEqual(counters.map((c) => c.type), ['VAC_Server_Agent', 'VAC_Workstation_Agent']);
        for (const c of counters) {
          const mode: AgentMode = c.type === 'VAC_Server_Agent' ? 'server' : 'workstation';
          const ofMode = states.filter((s) => s.mode === mode);
          const fresh = terms.type === 'Rental' ? ofMode.filter((s) => s.activatedAt >= monthStart).length : 0;
          assert.equal(c.unitType, terms.type === 'Rental' ? 'Points' : 'Instances');
          assert.equal(c.newCount, fresh);
          assert.equal(c.usedCount, ofMode.length - fresh);
          assert.equal(c.usedUnits, c.usedCount * terms.weights[mode]);
          assert.equal(c.newUnits, c.newCount * terms.weights[mode]);
        }
      }),
      params,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// VSPC month-end report: only managed agents

/** A license that bites: small pools, expiry around `now`, a usage report that doubles the allowance for a while. */
const bitingLicense = (now: number) =>
  fc.option(
    fc.record({
      type: fc.constantFrom(...VSPC_LICENSE_TYPES),
      units: fc.constantFrom(0, 4, 11, 15, 22, 30, 100),
      expires: fc.option(fc.constantFrom(-70 * DAY, -40 * DAY, -10 * DAY, -1, 0, 20 * DAY), { nil: null }),
      autoUpdate: fc.boolean(),
      sent: fc.option(fc.constantFrom(-45 * DAY, -29 * DAY, -DAY, 0), { nil: null }),
    }).map(({ type, units, expires, autoUpdate, sent }): VspcLicense => ({
      type, edition: null, units, expirationDate: expires === null ? null : now + expires, weights: defaultAgentWeights(type), autoUpdate, lastReportSentAt: sent === null ? null : now + sent,
    })),
    { nil: null, freq: 6 },
  );
const reportScenario = vspcScenario.chain((s) => bitingLicense(s.now).map((license) => ({ ...s, license })));

describe('VSPC month-end report properties (only managed agents)', () => {
  const monthOf = ({ agents, now, zone, license }: VspcScenario) => {
    const start = startOfMonth(now, zone);
    const segments = agents.flatMap((a) => agentSegments(a.uid, a.events));
    return { start, counters: managedMonthCounters(segments, license, start, now + 1, zone) };
  };

  test('the report of the month so far = the managed agents replayed from the raw events at every instant (every zone)', () => {
    fc.assert(
      fc.property(reportScenario, (scenario) => {
        const { start, counters } = monthOf(scenario);
        const byAgent = new Map(scenario.agents.map((a) => [a.uid, a.events]));
        assert.deepEqual(counters, managedReportFromEvents(byAgent, scenario.license, start, scenario.now + 1, scenario.zone));
      }),
      params,
    );
  });

  test('the live counters at now are one instant of the report: used ≤ reported, new ≤ new, per company and type', () => {
    fc.assert(
      fc.property(reportScenario, (scenario) => {
        const { counters } = monthOf(scenario);
        const byAgent = new Map(scenario.agents.map((a) => [a.uid, a.events]));
        const overSince = scenario.license ? plainOverSince(byAgent, scenario.license, scenario.now, scenario.zone) : null;
        const classified = classifyAgents(statesOf(scenario), scenario.license, scenario.now, scenario.zone, overSince);
        for (const company of COMPANIES) {
          const live = countersOfClassified(classified.filter((a) => a.companyUid === company), scenario.license);
          const report = counters.get(company);
          live.forEach((c, i) => {
            assert.ok(c.usedCount <= (report?.[i]?.reportedCount ?? 0), `${company} ${c.type} used`);
            assert.ok(c.newCount <= (report?.[i]?.newCount ?? 0), `${company} ${c.type} new`);
          });
        }
      }),
      params,
    );
  });

  test('the allowance clock from the stretches = the over-limit period recomputed from the raw events at every event instant (one clock per license)', () => {
    fc.assert(
      fc.property(reportScenario, (scenario) => {
        if (!scenario.license) return;
        const { license, zone } = scenario;
        const segments = scenario.agents.flatMap((a) => agentSegments(a.uid, a.events));
        const byAgent = new Map(scenario.agents.map((a) => [a.uid, a.events]));
        const probes = new Set([scenario.now, ...scenario.agents.flatMap((a) => a.events.map((e) => e.at)).filter((t) => t <= scenario.now)]);
        for (const t of probes) {
          assert.equal(overLimitSince(license, zone, segments, t), plainOverSince(byAgent, license, t, zone), `at ${new Date(t).toISOString()}`);
        }
      }),
      params,
    );
  });

  test('a larger license never lowers the report: the managed agents at every instant only grow', () => {
    fc.assert(
      fc.property(reportScenario, fc.integer({ min: 1, max: 60 }), (scenario, more) => {
        if (!scenario.license) return;
        const { counters } = monthOf(scenario);
        const larger = monthOf({ ...scenario, license: { ...scenario.license, units: scenario.license.units + more } }).counters;
        for (const company of COMPANIES) {
          (counters.get(company) ?? []).forEach((c, i) => {
            assert.ok(c.reportedCount <= larger.get(company)![i]!.reportedCount, `${company} ${c.type}`);
            assert.equal(c.newCount, larger.get(company)![i]!.newCount);
          });
        }
      }),
      params,
    );
  });
});
