/**
 * The VSPC pool over its license (rules 17–18) and the license expiry grace (reference §2.5), on
 * the pure engine: classifyAgents and the counters it leads to.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  defaultAgentWeights, vspcExpiryGraceMs, vspcLicenseExpired, vspcLicenseLapsed, vspcLicensingEndsAt, type AgentMode, type VspcLicense,
  type VspcLicenseType,
} from '../../src/domain/licenses.js';
import { agentSegments, managedMonthCounters } from '../../src/domain/monthlyReport.js';
import {
  agentStateAt, classifyAgents, consoleCounters, consumesFrom, countersOfClassified, exceedAllowance, overLimitPeriods, overLimitSince, RENTAL_EXCEED_GRACE_MS,
  rentalExceedEndsAt, usableUnits, type AgentEvent, type AgentLicenseStatus, type AgentState, type ClassifiedAgent,
} from '../../src/domain/vspc.js';

const DAY = 86_400_000;
const at = (iso: string): number => {
  const ms = Date.parse(iso);
  assert.ok(Number.isFinite(ms), `bad test instant ${iso}`);
  return ms;
};
const C1 = 'c1000000-0000-4000-8000-000000000001';
const C2 = 'c2000000-0000-4000-8000-000000000002';

function license(type: VspcLicenseType, units: number, extra: Partial<VspcLicense> = {}): VspcLicense {
  return { type, edition: null, units, expirationDate: null, weights: defaultAgentWeights(type), ...extra };
}

/** `count` agents activated one minute apart from `from`, uids sortable by position. */
function agents(prefix: string, count: number, from: number, mode: AgentMode = 'server', companyUid = C1): AgentState[] {
  return Array.from({ length: count }, (_, i) => ({
    agentUid: `${prefix}-${String(i).padStart(4, '0')}`,
    name: `${prefix}-${i}`,
    companyUid,
    mode,
    activatedAt: from + i * 60_000,
  }));
}

function statusOf(classified: readonly ClassifiedAgent[]): Map<string, AgentLicenseStatus> {
  return new Map(classified.map((a) => [a.agentUid, a.status]));
}

function tally(classified: readonly ClassifiedAgent[]): Record<AgentLicenseStatus, number> {
  const counts: Record<AgentLicenseStatus, number> = { New: 0, Licensed: 0, LicensedByExceed: 0, Unlicensed: 0 };
  for (const a of classified) counts[a.status]++;
  return counts;
}

/** Weights 1/1 under Rental: a license "for 100 agents", as in the reference's example. */
const PER_AGENT = { server: 1, workstation: 1 };

describe('rule 17: the pool, FIFO by activation', () => {
  test("the reference's example: license for 100 agents, 140 present → 100 + 20 managed, the 20 registered last unmanaged", () => {
    const now = at('2026-11-15T12:00:00Z');
    // Activated in October: consuming since 1 November, well within the 60-day exceed duration.
    const pool = agents('a', 140, at('2026-10-01T00:00:00Z'));
    const classified = classifyAgents([...pool].reverse(), license('Rental', 100, { weights: PER_AGENT }), now, 'UTC');
    assert.deepEqual(tally(classified), { New: 0, Licensed: 100, LicensedByExceed: 20, Unlicensed: 20 });
    const status = statusOf(classified);
    pool.forEach((a, i) => assert.equal(status.get(a.agentUid), i < 100 ? 'Licensed' : i < 120 ? 'LicensedByExceed' : 'Unlicensed', a.agentUid));
    // Licensed by exceed still counts as used; Unlicensed counts nowhere.
    assert.deepEqual(countersOfClassified(classified, license('Rental', 100, { weights: PER_AGENT }))[0], {
      type: 'VAC_Server_Agent', unitType: 'Points', usedUnits: 120, usedCount: 120, newUnits: 0, newCount: 0,
    });
  });

  test('Subscription: 10 % allowance in instances', () => {
    const now = at('2026-11-15T12:00:00Z');
    const classified = classifyAgents(agents('a', 140, at('2026-11-01T00:00:00Z')), license('Subscription', 100), now, 'UTC');
    assert.deepEqual(tally(classified), { New: 0, Licensed: 100, LicensedByExceed: 10, Unlicensed: 30 });
    assert.deepEqual(countersOfClassified(classified, license('Subscription', 100))[0], {
      type: 'VAC_Server_Agent', unitType: 'Instances', usedUnits: 110, usedCount: 110, newUnits: 0, newCount: 0,
    });
  });

  for (const type of ['Evaluation', 'NFR', 'Perpetual'] as const) {
    test(`${type}: no exceed allowance, agents beyond the license are Unlicensed`, () => {
      const terms = license(type, 3, { autoUpdate: true, lastReportSentAt: at('2026-11-15T00:00:00Z') });
      assert.equal(exceedAllowance(terms, at('2026-11-15T12:00:00Z')), 0);
      const classified = classifyAgents(agents('a', 5, at('2026-01-01T00:00:00Z')), terms, at('2026-11-15T12:00:00Z'), 'UTC');
      assert.deepEqual(tally(classified), { New: 0, Licensed: 3, LicensedByExceed: 0, Unlicensed: 2 });
    });
  }

  test('ties in activation time are ranked by agent uid (byte-wise)', () => {
    const when = at('2026-03-01T00:00:00Z');
    const tied = ['b', 'B', 'a', '0', 'a0'].map((uid): AgentState => ({ agentUid: uid, name: uid, companyUid: C1, mode: 'server', activatedAt: when }));
    const status = statusOf(classifyAgents(tied, license('Evaluation', 2), at('2026-11-15T00:00:00Z'), 'UTC'));
    // Byte order: '0' < 'B' < 'a' < 'a0' < 'b'.
    assert.deepEqual(['0', 'B', 'a', 'a0', 'b'].map((uid) => status.get(uid)), ['Licensed', 'Licensed', 'Unlicensed', 'Unlicensed', 'Unlicensed']);
  });

  test('weights in points: cumulative units count × weight, strict FIFO prefix (no later lighter agent slips in)', () => {
    const now = at('2026-11-15T12:00:00Z');
    const modes: AgentMode[] = ['server', 'workstation', 'server', 'server', 'workstation', 'server', 'workstation', 'server', 'workstation'];
    const pool = modes.map((mode, i): AgentState => ({ agentUid: `p${i}`, name: `p${i}`, companyUid: i % 2 ? C2 : C1, mode, activatedAt: at('2026-10-01T00:00:00Z') + i * 3_600_000 }));
    // Rental 11/4, 50 points, allowance ⌊50 × 20 %⌋ = 10 → 60 usable.
    // Cumulative: 11, 15, 26, 37, 41 (licensed), 52, 56 (exceed), 67 (unlicensed), then 71: the
    // workstation would fit alone (56 + 4 = 60) but comes after an agent that did not.
    const terms = license('Rental', 50);
    const classified = classifyAgents(pool, terms, now, 'UTC');
    assert.deepEqual(pool.map((a) => statusOf(classified).get(a.agentUid)), [
      'Licensed', 'Licensed', 'Licensed', 'Licensed', 'Licensed', 'LicensedByExceed', 'LicensedByExceed', 'Unlicensed', 'Unlicensed',
    ]);
    assert.deepEqual(countersOfClassified(classified, terms), [
      { type: 'VAC_Server_Agent', unitType: 'Points', usedUnits: 44, usedCount: 4, newUnits: 0, newCount: 0 },
      { type: 'VAC_Workstation_Agent', unitType: 'Points', usedUnits: 12, usedCount: 3, newUnits: 0, newCount: 0 },
    ]);
    // Exactly at the license: 41 points licensed → a license of 41 leaves p5 beyond, one of 52 takes it.
    assert.equal(statusOf(classifyAgents(pool, license('Rental', 41), now, 'UTC')).get('p4'), 'Licensed');
    assert.equal(statusOf(classifyAgents(pool, license('Rental', 51), now, 'UTC')).get('p5'), 'LicensedByExceed');
    assert.equal(statusOf(classifyAgents(pool, license('Rental', 52), now, 'UTC')).get('p5'), 'Licensed');
  });

  test('a zero-weight agent is Licensed before the boundary and Unlicensed after it', () => {
    const pool = agents('z', 4, at('2026-01-01T00:00:00Z'), 'workstation');
    pool[3]!.mode = 'server';
    pool[0]!.mode = 'server';
    const terms = license('Evaluation', 2, { weights: { server: 0, workstation: 1 } });
    // Cumulative: 0, 1, 2, 2 (server 0) → all licensed; with one more workstation before the last server, it is not.
    assert.deepEqual(tally(classifyAgents(pool, terms, at('2026-11-15T00:00:00Z'), 'UTC')), { New: 0, Licensed: 4, LicensedByExceed: 0, Unlicensed: 0 });
    const more = [...pool, { ...pool[1]!, agentUid: 'z-0001x', activatedAt: pool[2]!.activatedAt }];
    const status = statusOf(classifyAgents(more, terms, at('2026-11-15T00:00:00Z'), 'UTC'));
    assert.equal(status.get('z-0002'), 'Unlicensed');
    assert.equal(status.get('z-0003'), 'Unlicensed');
  });

  test('no license installed: unlimited, whatever the number of agents', () => {
    const now = at('2026-11-15T12:00:00Z');
    const pool = [...agents('a', 500, at('2026-01-01T00:00:00Z')), ...agents('n', 7, at('2026-11-02T00:00:00Z'), 'workstation')];
    const classified = classifyAgents(pool, null, now, 'UTC');
    assert.deepEqual(tally(classified), { New: 7, Licensed: 500, LicensedByExceed: 0, Unlicensed: 0 });
    assert.deepEqual(countersOfClassified(classified, null), consoleCounters(pool, null, now, 'UTC'));
  });

  test('within the license the counters equal the unlimited ones', () => {
    const now = at('2026-11-15T12:00:00Z');
    const pool = [...agents('a', 30, at('2026-01-01T00:00:00Z')), ...agents('w', 20, at('2026-10-01T00:00:00Z'), 'workstation', C2)];
    const terms = license('Rental', 30 * 11 + 20 * 4);
    assert.deepEqual(countersOfClassified(classifyAgents(pool, terms, now, 'UTC'), terms), consoleCounters(pool, terms, now, 'UTC'));
  });
});

describe('rule 18: new agents are managed to month end, then join the ranking', () => {
  // The reference's example: a license for 100 agents, 120 consuming (100 + 20 by exceed) and 30
  // agents activated in mid-January: managed as New to the end of January, Unlicensed in February.
  const terms = license('Rental', 100, { weights: PER_AGENT });
  const pool = [...agents('old', 120, at('2026-12-01T00:00:00Z')), ...agents('jan', 30, at('2027-01-15T10:00:00Z'), 'workstation', C2)];

  test('mid-January: 100 Licensed, 20 Licensed by exceed, 30 New, nothing Unlicensed', () => {
    const classified = classifyAgents(pool, terms, at('2027-01-31T23:59:59.999Z'), 'UTC');
    assert.deepEqual(tally(classified), { New: 30, Licensed: 100, LicensedByExceed: 20, Unlicensed: 0 });
    assert.deepEqual(countersOfClassified(classified, terms), [
      { type: 'VAC_Server_Agent', unitType: 'Points', usedUnits: 120, usedCount: 120, newUnits: 0, newCount: 0 },
      { type: 'VAC_Workstation_Agent', unitType: 'Points', usedUnits: 0, usedCount: 0, newUnits: 30, newCount: 30 },
    ]);
  });

  test('new agents count as new even when the pool is exhausted (a license of 0)', () => {
    const classified = classifyAgents(pool, license('Rental', 0), at('2027-01-20T00:00:00Z'), 'UTC');
    assert.deepEqual(tally(classified), { New: 30, Licensed: 0, LicensedByExceed: 0, Unlicensed: 120 });
  });

  test('from 1 February 00:00: the 30 join the ranking last and are Unlicensed', () => {
    const classified = classifyAgents(pool, terms, at('2027-02-01T00:00:00.000Z'), 'UTC');
    assert.deepEqual(tally(classified), { New: 0, Licensed: 100, LicensedByExceed: 20, Unlicensed: 30 });
    for (const a of classified) if (a.agentUid.startsWith('jan')) assert.equal(a.status, 'Unlicensed');
    assert.deepEqual(countersOfClassified(classified, terms)[1], {
      type: 'VAC_Workstation_Agent', unitType: 'Points', usedUnits: 0, usedCount: 0, newUnits: 0, newCount: 0,
    });
  });

  test('with room in the allowance they become Licensed by exceed instead', () => {
    const fewer = [...agents('old', 100, at('2026-12-01T00:00:00Z')), ...agents('jan', 30, at('2027-01-15T10:00:00Z'))];
    const classified = classifyAgents(fewer, terms, at('2027-02-01T00:00:00.000Z'), 'UTC');
    assert.deepEqual(tally(classified), { New: 0, Licensed: 100, LicensedByExceed: 20, Unlicensed: 10 });
  });
});

describe('rule 17: the doubled allowance', () => {
  const now = at('2026-11-15T12:00:00Z');
  const pool = agents('a', 200, at('2026-10-20T00:00:00Z'));
  const exceeding = (extra: Partial<VspcLicense>, type: VspcLicenseType = 'Rental') =>
    tally(classifyAgents(pool, license(type, 100, { weights: PER_AGENT, ...extra }), now, 'UTC')).LicensedByExceed;

  test('auto-update on and a report within the last 30 days: Rental 40 %, Subscription 20 %', () => {
    assert.equal(exceeding({ autoUpdate: true, lastReportSentAt: now - 5 * DAY }), 40);
    assert.equal(exceeding({ autoUpdate: true, lastReportSentAt: now - 5 * DAY }, 'Subscription'), 20);
  });

  test('the report window (now − 30 days, now] at exact instants', () => {
    assert.equal(exceeding({ autoUpdate: true, lastReportSentAt: now - 30 * DAY + 1 }), 40);
    assert.equal(exceeding({ autoUpdate: true, lastReportSentAt: now - 30 * DAY }), 20);
    assert.equal(exceeding({ autoUpdate: true, lastReportSentAt: now }), 40);
    assert.equal(exceeding({ autoUpdate: true, lastReportSentAt: now + 1 }), 20);
  });

  test('either condition alone does not double it', () => {
    assert.equal(exceeding({ autoUpdate: false, lastReportSentAt: now - DAY }), 20);
    assert.equal(exceeding({ autoUpdate: true }), 20);
    assert.equal(exceeding({}), 20);
  });

  test('floor of the percentage of the units (doubling the percentage, not the rounded allowance)', () => {
    assert.equal(exceedAllowance(license('Rental', 7), now), 1);
    assert.equal(exceedAllowance(license('Rental', 7, { autoUpdate: true, lastReportSentAt: now }), now), 2);
    assert.equal(exceedAllowance(license('Rental', 3, { autoUpdate: true, lastReportSentAt: now }), now), 1);
    assert.equal(exceedAllowance(license('Subscription', 19), now), 1);
    assert.equal(exceedAllowance(license('Subscription', 9), now), 0);
    assert.equal(exceedAllowance(license('Rental', 10.5), now), 2);
  });
});

describe('rule 17: the 60-day exceed duration (Rental)', () => {
  // 10 agents, license of 8 (allowance ⌊1.6⌋ = 1): a8 is the first beyond the license.
  const pool = agents('a', 10, at('2026-08-10T09:00:00Z'), 'server');
  pool[8]!.activatedAt = at('2026-09-20T09:00:00Z');
  pool[9]!.activatedAt = at('2026-09-25T09:00:00Z');
  const terms = license('Rental', 8, { weights: PER_AGENT });

  test('the episode starts when the first agent beyond the license began to consume (Rental: the month after activation)', () => {
    assert.equal(consumesFrom(pool[8]!.activatedAt, terms, 'UTC'), at('2026-10-01T00:00:00Z'));
    assert.equal(consumesFrom(pool[8]!.activatedAt, terms, 'Europe/Berlin'), at('2026-09-30T22:00:00Z'));
    assert.equal(consumesFrom(pool[8]!.activatedAt, license('Subscription', 8), 'UTC'), pool[8]!.activatedAt);
  });

  test('Licensed by exceed until 60 days after that instant, Unlicensed from then on', () => {
    const end = at('2026-10-01T00:00:00Z') + RENTAL_EXCEED_GRACE_MS;
    assert.equal(end, at('2026-11-30T00:00:00Z'));
    const before = statusOf(classifyAgents(pool, terms, end - 1, 'UTC'));
    assert.equal(before.get('a-0008'), 'LicensedByExceed');
    assert.equal(before.get('a-0009'), 'Unlicensed');
    const after = statusOf(classifyAgents(pool, terms, end, 'UTC'));
    assert.equal(after.get('a-0007'), 'Licensed');
    assert.equal(after.get('a-0008'), 'Unlicensed');
    assert.equal(usableUnits(terms, end - 1, at('2026-10-01T00:00:00Z')), 9);
    assert.equal(usableUnits(terms, end, at('2026-10-01T00:00:00Z')), 8);
  });

  test('the zone decides the month, hence the episode start', () => {
    const end = at('2026-09-30T22:00:00Z') + RENTAL_EXCEED_GRACE_MS;
    assert.equal(statusOf(classifyAgents(pool, terms, end - 1, 'Europe/Berlin')).get('a-0008'), 'LicensedByExceed');
    assert.equal(statusOf(classifyAgents(pool, terms, end, 'Europe/Berlin')).get('a-0008'), 'Unlicensed');
  });

  test('once under the license again, a later excess starts a new episode', () => {
    // a0 leaves: a8 fits the license, a9 is now the first beyond, consuming since 1 October too.
    const without = pool.slice(1);
    const status = statusOf(classifyAgents(without, terms, at('2026-11-29T00:00:00Z'), 'UTC'));
    assert.equal(status.get('a-0008'), 'Licensed');
    assert.equal(status.get('a-0009'), 'LicensedByExceed');
    // An agent activated in November beyond the license: its episode starts 1 December.
    const later = [...without.slice(0, 8), { ...pool[9]!, activatedAt: at('2026-11-05T00:00:00Z') }];
    const december = statusOf(classifyAgents(later, terms, at('2027-01-29T23:59:59.999Z'), 'UTC'));
    assert.equal(december.get('a-0009'), 'LicensedByExceed');
    assert.equal(statusOf(classifyAgents(later, terms, at('2027-01-30T00:00:00Z'), 'UTC')).get('a-0009'), 'Unlicensed');
  });

  test('Subscription: the allowance lasts the whole term', () => {
    const subscription = license('Subscription', 10);
    const many = agents('s', 12, at('2024-01-01T00:00:00Z'));
    assert.deepEqual(tally(classifyAgents(many, subscription, at('2026-11-15T00:00:00Z'), 'UTC')), { New: 0, Licensed: 10, LicensedByExceed: 1, Unlicensed: 1 });
  });
});

describe('license expiry grace (reference §2.5)', () => {
  const expires = at('2026-10-31T23:59:59Z');
  const pool = [...agents('old', 3, at('2026-01-01T00:00:00Z')), ...agents('new', 2, at('2026-10-15T00:00:00Z'), 'workstation')];

  const cases: [VspcLicenseType, number | null][] = [
    ['Rental', 60],
    ['Subscription', 30],
    ['NFR', 30],
    ['Evaluation', 0],
    ['Perpetual', null],
  ];
  for (const [type, days] of cases) {
    test(`${type}: ${days === null ? 'never lapses' : `agents stay licensed ${days} days after expiry, then nothing counts`}`, () => {
      const terms = license(type, 1000, { expirationDate: expires });
      assert.equal(vspcExpiryGraceMs(type), days === null ? Number.POSITIVE_INFINITY : days * DAY);
      const end = days === null ? null : expires + days * DAY;
      assert.equal(vspcLicensingEndsAt(terms), end);
      assert.equal(vspcLicenseExpired(terms, expires), false);
      assert.equal(vspcLicenseExpired(terms, expires + 1), type !== 'Perpetual');
      const probe = end ?? expires + 3650 * DAY;
      const inGrace = classifyAgents(pool, terms, probe, 'UTC');
      assert.equal(tally(inGrace).Unlicensed, 0, 'at the last instant of the grace');
      assert.equal(vspcLicenseLapsed(terms, probe), false);
      if (end === null) return;
      const lapsed = classifyAgents(pool, terms, end + 1, 'UTC');
      assert.equal(vspcLicenseLapsed(terms, end + 1), true);
      assert.deepEqual(tally(lapsed), { New: 0, Licensed: 0, LicensedByExceed: 0, Unlicensed: 5 });
      const unit = type === 'Rental' ? 'Points' : 'Instances';
      assert.deepEqual(countersOfClassified(lapsed, terms), [
        { type: 'VAC_Server_Agent', unitType: unit, usedUnits: 0, usedCount: 0, newUnits: 0, newCount: 0 },
        { type: 'VAC_Workstation_Agent', unitType: unit, usedUnits: 0, usedCount: 0, newUnits: 0, newCount: 0 },
      ]);
    });
  }

  test('Rental within the grace: new agents stay new, used ones used', () => {
    const terms = license('Rental', 1000, { expirationDate: expires });
    const november = [...pool.slice(0, 3), ...agents('new', 2, at('2026-11-05T00:00:00Z'), 'workstation')];
    const counters = countersOfClassified(classifyAgents(november, terms, at('2026-11-20T00:00:00Z'), 'UTC'), terms);
    assert.deepEqual(counters.map((c) => [c.usedCount, c.newCount]), [[3, 0], [0, 2]]);
  });

  test('no license: nothing expires', () => {
    assert.equal(vspcLicenseLapsed(null, at('2100-01-01T00:00:00Z')), false);
    assert.equal(vspcLicenseExpired(null, at('2100-01-01T00:00:00Z')), false);
  });
});

describe('conservation', () => {
  test('every managed agent has exactly one status; used + new + unlicensed = managed', () => {
    const now = at('2026-11-15T12:00:00Z');
    const pool = [
      ...agents('a', 40, at('2026-02-01T00:00:00Z'), 'server', C1),
      ...agents('b', 40, at('2026-03-01T00:00:00Z'), 'workstation', C2),
      ...agents('c', 9, at('2026-11-03T00:00:00Z'), 'server', C2),
    ];
    for (const terms of [license('Rental', 200), license('Subscription', 50), license('NFR', 10), null]) {
      const classified = classifyAgents(pool, terms, now, 'UTC');
      assert.equal(classified.length, pool.length);
      const t = tally(classified);
      const counters = countersOfClassified(classified, terms);
      const used = counters.reduce((n, c) => n + c.usedCount, 0);
      const fresh = counters.reduce((n, c) => n + c.newCount, 0);
      assert.equal(used, t.Licensed + t.LicensedByExceed);
      assert.equal(fresh, t.New);
      assert.equal(t.Licensed + t.LicensedByExceed + t.Unlicensed + t.New, pool.length);
    }
  });
});

describe('rules 9, 17–18: one allowance clock per license, from when demand first exceeded it', () => {
  // The held-out case: Rental 20 points (server 11, workstation 4); a workstation agent and a
  // server agent activated in July, both consuming from 1 August (15 of 20 points). On 28 October
  // the workstation agent switches to server: 22 points, over the license from that instant.
  const terms = license('Rental', 20);
  const W = 'w0000000-0000-4000-8000-00000000000w';
  const S = 's0000000-0000-4000-8000-00000000000s';
  const over = at('2026-10-28T00:00:00Z');
  const fits = at('2027-01-10T09:00:00Z');
  const again = at('2027-02-05T00:00:00Z');
  const events = new Map<string, AgentEvent[]>([
    [W, [
      { id: 'w1', at: at('2026-07-10T08:00:00Z'), type: 'activated', companyUid: C1, mode: 'workstation', name: 'laptop' },
      { id: 'w2', at: over, type: 'modeChanged', mode: 'server' },
      { id: 'w3', at: fits, type: 'modeChanged', mode: 'workstation' },
      { id: 'w4', at: again, type: 'modeChanged', mode: 'server' },
    ]],
    [S, [{ id: 's1', at: at('2026-07-20T08:00:00Z'), type: 'activated', companyUid: C2, mode: 'server', name: 'db' }]],
  ]);
  const segments = [...events].flatMap(([uid, list]) => agentSegments(uid, list));
  const clock = (t: number) => overLimitSince(terms, 'UTC', segments, t);
  const classify = (t: number) => {
    const states = [...events].map(([uid, list]) => agentStateAt(uid, list, t)).filter((s): s is AgentState => s !== null);
    return classifyAgents(states, terms, t, 'UTC', clock(t));
  };

  test('within the license from 1 August to the switch: no clock, both agents Licensed', () => {
    assert.equal(clock(at('2026-08-01T00:00:00Z')), null);
    assert.equal(clock(over - 1), null);
    assert.deepEqual(tally(classify(over - 1)), { New: 0, Licensed: 2, LicensedByExceed: 0, Unlicensed: 0 });
  });

  test('the instant demand first exceeds the license starts the clock: the server agent is Licensed by exceed, still counted as used', () => {
    assert.equal(clock(over), over);
    assert.equal(statusOf(classify(over)).get(S), 'LicensedByExceed');
    const threeAndAHalfDays = over + 3.5 * DAY;
    assert.equal(statusOf(classify(threeAndAHalfDays)).get(S), 'LicensedByExceed');
    assert.equal(statusOf(classify(threeAndAHalfDays)).get(W), 'Licensed');
    const c2 = countersOfClassified(classify(threeAndAHalfDays).filter((a) => a.companyUid === C2), terms);
    assert.deepEqual(c2.map((c) => [c.usedCount, c.usedUnits]), [[1, 11], [0, 0]]);
    assert.equal(rentalExceedEndsAt(terms, clock(threeAndAHalfDays)), over + 60 * DAY);
  });

  test('60 days after the license first went over the allowance ends: Licensed by exceed up to the last millisecond, Unlicensed from then', () => {
    const end = over + RENTAL_EXCEED_GRACE_MS;
    assert.equal(end, at('2026-12-27T00:00:00Z'));
    assert.equal(statusOf(classify(end - 1)).get(S), 'LicensedByExceed');
    assert.equal(statusOf(classify(end)).get(S), 'Unlicensed');
    assert.equal(statusOf(classify(end)).get(W), 'Licensed');
    // The month start does not restart the clock while demand stays over.
    assert.equal(clock(at('2027-01-01T00:00:00Z')), over);
  });

  test('the instant demand fits again stops the clock, and the next excess starts it from zero', () => {
    assert.equal(clock(fits - 1), over);
    assert.equal(statusOf(classify(fits - 1)).get(S), 'Unlicensed');
    assert.equal(clock(fits), null);
    assert.deepEqual(tally(classify(fits)), { New: 0, Licensed: 2, LicensedByExceed: 0, Unlicensed: 0 });
    assert.equal(clock(again), again);
    assert.equal(statusOf(classify(again)).get(S), 'LicensedByExceed');
    assert.equal(statusOf(classify(again + RENTAL_EXCEED_GRACE_MS - 1)).get(S), 'LicensedByExceed');
    assert.equal(statusOf(classify(again + RENTAL_EXCEED_GRACE_MS)).get(S), 'Unlicensed');
    assert.deepEqual(overLimitPeriods(terms, 'UTC', segments, again), [{ from: over, to: fits }, { from: again, to: Infinity }]);
  });

  test('the month-end sweep reads the same clock: October and December report the server agent, the allowance ended 27 December', () => {
    const october = managedMonthCounters(segments, terms, at('2026-10-01T00:00:00Z'), at('2026-11-01T00:00:00Z'), 'UTC');
    assert.equal(october.get(C2)?.[0]?.reportedCount, 1);
    // From 1 to 26 December it was still Licensed by exceed: the month maximum counts it.
    const december = managedMonthCounters(segments, terms, at('2026-12-01T00:00:00Z'), at('2027-01-01T00:00:00Z'), 'UTC');
    assert.equal(december.get(C2)?.[0]?.reportedCount, 1);
    // January up to the fit: Unlicensed all along until 10 January 09:00, then Licensed again.
    const earlyJanuary = managedMonthCounters(segments, terms, at('2027-01-01T00:00:00Z'), fits, 'UTC');
    assert.equal(earlyJanuary.get(C2), undefined);
    assert.equal(managedMonthCounters(segments, terms, at('2027-01-01T00:00:00Z'), fits + 1, 'UTC').get(C2)?.[0]?.reportedCount, 1);
  });
});
