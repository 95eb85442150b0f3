/**
 * Contract §5: "Every answer is a pure function of (entities, licenses, the set of events, now).
 * Arrival order never matters; an event dated after `now` has no effect until the clock passes it."
 *
 * A property test over the whole stack (admin API → ledger → read models → engine → both faces):
 * a random ledger is ingested into one Tally in one batch and into another Tally shuffled, split
 * into batches and with duplicates re-submitted; at several instants (time travel) every
 * LicensingInformation and console-usage answer must be byte-identical between the two, and equal
 * to a straightforward recomputation with the pure engine from the raw event list.
 *
 * Runs are seeded (override with TALLY_FC_SEED=<n> to explore other ledgers).
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { defaultAgentWeights, type AgentMode, type Vb365License, type Vb365LicenseType, type VspcLicense, type VspcLicenseType } from '../../src/domain/licenses.js';
import { activityAt, classifyUsers, organizationLicensingInformation, type UserActivity, type UserKind } from '../../src/domain/vb365.js';
import { agentStateAt, consoleCounters, type AgentEvent, type AgentState } from '../../src/domain/vspc.js';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';
import { TEST_STORE } from '../support/stores.js';

const SEED = Number(process.env.TALLY_FC_SEED ?? 15_112_026);
// Each run starts two Tallies on fresh databases; PostgreSQL is slower at that.
const RUNS = TEST_STORE === 'postgres' ? 20 : 30;

const DAY = 86_400_000;
const CLOCK = '2026-11-15T12:00:00Z';
const CLOCK_MS = Date.parse(CLOCK);
const iso = (text: string) => Date.parse(text);

const ORGS = [
  '3a2f0c1e-1111-4a4a-8a8a-000000000001',
  '3a2f0c1e-2222-4a4a-8a8a-000000000002',
  '3a2f0c1e-3333-4a4a-8a8a-000000000003',
  // Registered, never backed up: always zeros.
  '3a2f0c1e-4444-4a4a-8a8a-000000000004',
] as const;
const BACKED_UP_ORGS = ORGS.slice(0, 3);
const USERS = ['user-1', 'user-2', 'user-3', 'user-4', 'user-5', 'user-6', 'User-1'] as const;
const COMPANIES = [
  { uid: 'c0a1b2c3-0001-4d4d-9e9e-000000000001', tenantUid: 'b0a1b2c3-0001-4f4f-8e8e-000000000001' },
  { uid: 'c0a1b2c3-0002-4d4d-9e9e-000000000002', tenantUid: 'b0a1b2c3-0002-4f4f-8e8e-000000000002' },
  // A company with no agents: both counters, all zero.
  { uid: 'c0a1b2c3-0003-4d4d-9e9e-000000000003', tenantUid: 'b0a1b2c3-0003-4f4f-8e8e-000000000003' },
] as const;
const AGENT_COMPANIES = COMPANIES.slice(0, 2);
const AGENTS = [
  'a9e8d7c6-0001-4b5b-8c6c-000000000001',
  'a9e8d7c6-0002-4b5b-8c6c-000000000002',
  'a9e8d7c6-0003-4b5b-8c6c-000000000003',
  'a9e8d7c6-0004-4b5b-8c6c-000000000004',
  'a9e8d7c6-0005-4b5b-8c6c-000000000005',
  'a9e8d7c6-0006-4b5b-8c6c-000000000006',
  'a9e8d7c6-0007-4b5b-8c6c-000000000007',
  'a9e8d7c6-0008-4b5b-8c6c-000000000008',
] as const;
const KINDS: UserKind[] = ['user', 'sharedMailbox', 'resourceMailbox', 'groupMailbox', 'publicFolderMailbox', 'teams', 'site', 'external'];

/** The instants the clock travels to (besides the start), around the month boundaries and the window. */
const CLOCK_STOPS = [
  iso('2026-10-31T22:59:59.999Z'),
  iso('2026-10-31T23:00:00.000Z'), // 1 November 00:00 in Europe/Berlin
  iso('2026-10-31T23:59:59.999Z'),
  iso('2026-11-01T00:00:00.000Z'),
  iso('2026-11-30T22:59:59.999Z'),
  iso('2026-11-30T23:00:00.000Z'), // 1 December 00:00 in Europe/Berlin
  iso('2026-12-01T00:00:00.000Z'),
  CLOCK_MS + 31 * DAY,
  CLOCK_MS - 31 * DAY,
];

// ---------------------------------------------------------------------------------------------
// Events

/** Instants: anywhere from 75 days before the clock to 35 days after, and the edges that matter. */
const instantArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: CLOCK_MS - 75 * DAY, max: CLOCK_MS + 35 * DAY }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      CLOCK_MS,
      CLOCK_MS + 1,
      CLOCK_MS - 1,
      CLOCK_MS - 31 * DAY,
      CLOCK_MS - 31 * DAY + 1,
      ...CLOCK_STOPS,
      ...CLOCK_STOPS.map((t) => t - 31 * DAY),
      ...CLOCK_STOPS.map((t) => t - 31 * DAY + 1),
      iso('2026-10-01T00:00:00.000Z'),
      iso('2026-09-30T23:59:59.999Z'),
      iso('2026-09-30T22:00:00.000Z'), // 1 October 00:00 CEST
    ),
  },
);

type Fact =
  | { type: 'vb365.backup'; at: number; organizationId: string; user: { id: string; name: string; kind?: UserKind; m365Licensed?: boolean } }
  | { type: 'vb365.dataRemoved'; at: number; organizationId: string; userId: string }
  | { type: 'vspc.agentActivated'; at: number; companyUid: string; agent: { uid: string; name: string; mode: AgentMode } }
  | { type: 'vspc.agentModeChanged'; at: number; agentUid: string; mode: AgentMode }
  | { type: 'vspc.agentDeactivated'; at: number; agentUid: string };

const modeArb = fc.constantFrom<AgentMode>('server', 'workstation');

const factArb: fc.Arbitrary<Fact> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant('vb365.backup' as const),
      at: instantArb,
      organizationId: fc.constantFrom(...BACKED_UP_ORGS),
      user: fc
        .record({
          id: fc.constantFrom(...USERS),
          // Mostly personal accounts (the common case), every other kind now and then.
          kind: fc.oneof(
            { weight: 6, arbitrary: fc.constant(undefined) },
            { weight: 3, arbitrary: fc.constant<UserKind>('user') },
            { weight: 4, arbitrary: fc.constantFrom(...KINDS) },
          ),
          m365Licensed: fc.option(fc.boolean(), { nil: undefined }),
        })
        .map(({ id, kind, m365Licensed }) => ({
          id,
          name: `${id}@contoso.example`,
          ...(kind === undefined ? {} : { kind }),
          ...(m365Licensed === undefined ? {} : { m365Licensed }),
        })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('vb365.dataRemoved' as const),
      at: instantArb,
      organizationId: fc.constantFrom(...BACKED_UP_ORGS),
      userId: fc.constantFrom(...USERS),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('vspc.agentActivated' as const),
      at: instantArb,
      companyUid: fc.constantFrom(...AGENT_COMPANIES.map((c) => c.uid)),
      agent: fc.record({ uid: fc.constantFrom(...AGENTS), name: fc.constantFrom('srv-01', 'pc-01'), mode: modeArb }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('vspc.agentModeChanged' as const), at: instantArb, agentUid: fc.constantFrom(...AGENTS), mode: modeArb }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('vspc.agentDeactivated' as const), at: instantArb, agentUid: fc.constantFrom(...AGENTS) }) },
);

/** RFC 3339 text for an instant with the given UTC offset in minutes (the ledger stores it in UTC). */
function rfc3339(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1); // yyyy-mm-ddThh:mm:ss.sss
  if (offsetMinutes === 0) return `${local}Z`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
const OFFSETS = [0, 60, 120, -300, 330, -570, 765] as const;

interface LedgerEntry {
  id: string;
  fact: Fact;
  offset: number;
}

function wire(entry: LedgerEntry, offset = entry.offset): Record<string, unknown> {
  const { at, ...fields } = entry.fact;
  return { id: entry.id, ...fields, at: rfc3339(at, offset) };
}

// ---------------------------------------------------------------------------------------------
// Licenses

type Vb365LicenseSpec = { type: Vb365LicenseType; totalNumber: number; autoUpdate?: boolean; lastReportSentAt?: number };
type VspcLicenseSpec = { type: VspcLicenseType; weights?: { server: number; workstation: number } };

const vb365LicenseArb = fc.option(
  fc
    .record({
      type: fc.constantFrom<Vb365LicenseType>('Subscription', 'Rental', 'Evaluation', 'NFR', 'Community'),
      totalNumber: fc.integer({ min: 0, max: 12 }),
      autoUpdate: fc.option(fc.boolean(), { nil: undefined }),
      lastReportSentAt: fc.option(fc.integer({ min: CLOCK_MS - 60 * DAY, max: CLOCK_MS + 20 * DAY }), { nil: undefined }),
    })
    .map((spec): Vb365LicenseSpec => ({
      type: spec.type,
      totalNumber: spec.totalNumber,
      ...(spec.autoUpdate === undefined ? {} : { autoUpdate: spec.autoUpdate }),
      ...(spec.lastReportSentAt === undefined ? {} : { lastReportSentAt: spec.lastReportSentAt }),
    })),
  { nil: null },
);

const vspcLicenseArb = fc.option(
  fc
    .record({
      type: fc.constantFrom<VspcLicenseType>('Rental', 'Subscription', 'Perpetual'),
      weights: fc.option(fc.record({ server: fc.constantFrom(11, 7.5, 0, 3), workstation: fc.constantFrom(4, 1, 2.25) }), { nil: undefined }),
    })
    .map((spec): VspcLicenseSpec => ({ type: spec.type, ...(spec.weights === undefined ? {} : { weights: spec.weights }) })),
  { nil: null },
);

function vb365LicenseBody(spec: Vb365LicenseSpec) {
  return {
    type: spec.type,
    totalNumber: spec.totalNumber,
    expirationDate: '2027-12-31T00:00:00Z',
    ...(spec.autoUpdate === undefined ? {} : { autoUpdate: spec.autoUpdate }),
    ...(spec.lastReportSentAt === undefined ? {} : { lastReportSentAt: new Date(spec.lastReportSentAt).toISOString() }),
  };
}

function vspcLicenseBody(spec: VspcLicenseSpec) {
  return { type: spec.type, units: 1000, expirationDate: '2027-12-31T00:00:00Z', ...(spec.weights ? { weights: spec.weights } : {}) };
}

// ---------------------------------------------------------------------------------------------
// The reference: the pure engine applied straight to the raw event list

/** Rules 1–2, restated independently of the engine. */
function counts(user: { kind?: UserKind; m365Licensed?: boolean }): boolean {
  const kind = user.kind ?? 'user';
  if (kind === 'user') return true;
  if (kind === 'sharedMailbox' || kind === 'resourceMailbox' || kind === 'groupMailbox' || kind === 'publicFolderMailbox') return user.m365Licensed === true;
  return false;
}

function formatDouble(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

const CAMEL: Record<string, string> = {
  VAC_Server_Agent: 'vaC_Server_Agent',
  VAC_Workstation_Agent: 'vaC_Workstation_Agent',
  Points: 'points',
  Instances: 'instances',
};

interface Scenario {
  ledger: LedgerEntry[];
  vb365License: Vb365LicenseSpec | null;
  vspcLicense: VspcLicenseSpec | null;
  zone: string;
}

/** The expected body of every answer at `now`, keyed by URL. */
function expectedAnswers(scenario: Scenario, now: number): Map<string, string> {
  const { ledger, zone } = scenario;
  const answers = new Map<string, string>();

  const vbLicense: Vb365License | null = scenario.vb365License && {
    type: scenario.vb365License.type,
    totalNumber: scenario.vb365License.totalNumber,
    expirationDate: iso('2027-12-31T00:00:00Z'),
    autoUpdate: scenario.vb365License.autoUpdate ?? false,
    lastReportSentAt: scenario.vb365License.lastReportSentAt ?? null,
  };
  const backups = new Map<string, { org: string; user: string; instants: number[] }>();
  for (const { fact } of ledger) {
    if (fact.type !== 'vb365.backup' || !counts(fact.user)) continue;
    const k = JSON.stringify([fact.organizationId, fact.user.id]);
    const entry = backups.get(k) ?? { org: fact.organizationId, user: fact.user.id, instants: [] };
    entry.instants.push(fact.at);
    backups.set(k, entry);
  }
  const activities: UserActivity[] = [];
  for (const b of backups.values()) {
    const a = activityAt(b.org, b.user, b.instants, now);
    if (a) activities.push(a);
  }
  const classified = classifyUsers(activities, vbLicense, now, zone);
  for (const org of ORGS) {
    const info = organizationLicensingInformation(classified, org);
    answers.set(`/v6/Organizations/${org}/LicensingInformation`, `{"licensedUsers":${info.licensedUsers},"newUsers":${info.newUsers}}`);
  }

  const vsLicense: VspcLicense | null = scenario.vspcLicense && {
    type: scenario.vspcLicense.type,
    edition: null,
    units: 1000,
    expirationDate: iso('2027-12-31T00:00:00Z'),
    weights: scenario.vspcLicense.weights ?? defaultAgentWeights(scenario.vspcLicense.type),
  };
  const agentEvents = new Map<string, AgentEvent[]>();
  const push = (uid: string, event: AgentEvent) => agentEvents.set(uid, [...(agentEvents.get(uid) ?? []), event]);
  for (const { id, fact } of ledger) {
    if (fact.type === 'vspc.agentActivated') push(fact.agent.uid, { id, at: fact.at, type: 'activated', companyUid: fact.companyUid, mode: fact.agent.mode, name: fact.agent.name });
    else if (fact.type === 'vspc.agentModeChanged') push(fact.agentUid, { id, at: fact.at, type: 'modeChanged', mode: fact.mode });
    else if (fact.type === 'vspc.agentDeactivated') push(fact.agentUid, { id, at: fact.at, type: 'deactivated' });
  }
  const states = [...agentEvents].map(([uid, events]) => agentStateAt(uid, events, now)).filter((s): s is AgentState => s !== null);
  for (const company of COMPANIES) {
    const counters = consoleCounters(states.filter((s) => s.companyUid === company.uid), vsLicense, now, zone)
      .map((c) =>
        `{"type":"${CAMEL[c.type]}","unitType":"${CAMEL[c.unitType]}","usedUnits":${formatDouble(c.usedUnits)},"usedCount":${c.usedCount},` +
        `"newUnits":${formatDouble(c.newUnits)},"newCount":${c.newCount}}`,
      )
      .join(',');
    answers.set(
      `/api/v3/licensing/console/usage/companies/vcc/${company.tenantUid}`,
      `{"data":{"companyUid":"${company.uid}","tenantUid":"${company.tenantUid}","counters":[${counters}]}}`,
    );
  }
  return answers;
}

// ---------------------------------------------------------------------------------------------
// The two Tallies

async function setUp(app: TestApp, scenario: Scenario): Promise<void> {
  for (const org of ORGS) await adminPut(app, `/tally/v1/organizations/${org}`, { name: `Org ${org.slice(-1)}` });
  for (const c of COMPANIES) await adminPut(app, `/tally/v1/companies/${c.uid}`, { name: `Company ${c.uid.slice(-1)}`, tenantUid: c.tenantUid });
  if (scenario.vb365License) await adminPut(app, '/tally/v1/licenses/vb365', vb365LicenseBody(scenario.vb365License));
  if (scenario.vspcLicense) await adminPut(app, '/tally/v1/licenses/vspc', vspcLicenseBody(scenario.vspcLicense));
}

async function answersOf(app: TestApp): Promise<Map<string, string>> {
  const answers = new Map<string, string>();
  const headers = { authorization: `Bearer ${app.adminToken}` };
  for (const org of ORGS) {
    const url = `/v6/Organizations/${org}/LicensingInformation`;
    const res = await app.vb365.inject({ url, headers });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    answers.set(url, res.body);
  }
  for (const c of COMPANIES) {
    const url = `/api/v3/licensing/console/usage/companies/vcc/${c.tenantUid}`;
    const res = await app.vspc.inject({ url, headers });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    answers.set(url, res.body);
  }
  return answers;
}

async function moveClock(app: TestApp, now: number, viaApi: boolean): Promise<void> {
  if (!viaApi) {
    await app.ctx.clock.set(now);
    assert.equal(await app.ctx.clock.now(), now);
    return;
  }
  const res = await app.vspc.inject({
    method: 'PUT',
    url: '/tally/v1/clock',
    headers: { authorization: `Bearer ${app.adminToken}` },
    payload: { now: new Date(now).toISOString() },
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().now, new Date(now).toISOString());
  assert.equal(await app.ctx.clock.now(), now);
}

function permute<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items
    .map((item, i) => ({ item, k: keys[i % Math.max(keys.length, 1)] ?? 0, i }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.item);
}

const scenarioArb = fc
  .record({
    facts: fc.array(fc.record({ fact: factArb, offset: fc.constantFrom(...OFFSETS) }), { minLength: 1, maxLength: 120, size: 'max' }),
    vb365License: vb365LicenseArb,
    vspcLicense: vspcLicenseArb,
    zone: fc.constantFrom('UTC', 'Europe/Berlin'),
  })
  .map(({ facts, ...rest }): Scenario => ({
    ...rest,
    // Ids unique forever; their order unrelated to the event order so same-instant ties exercise the id rule.
    ledger: facts.map(({ fact, offset }, i) => ({ id: `evt-${((i * 7919) % 1000).toString(36)}-${i}`, fact, offset })),
  }));

/** How the second Tally receives the ledger: order, batch cuts, re-submitted duplicates, extra clock stop. */
const deliveryArb = fc.record({
  orderKeys: fc.array(fc.nat(), { minLength: 1, maxLength: 120, size: 'max' }),
  batches: fc.integer({ min: 1, max: 6 }),
  duplicates: fc.array(fc.record({ index: fc.nat(), offset: fc.constantFrom(...OFFSETS), sameBatch: fc.boolean() }), { maxLength: 12 }),
  // A few of the fixed clock stops per run (all of them over the runs), in random order, and one anywhere.
  stops: fc.shuffledSubarray(CLOCK_STOPS, { minLength: 3, maxLength: 5 }),
  extraStop: fc.integer({ min: CLOCK_MS - 40 * DAY, max: CLOCK_MS + 40 * DAY }),
});

test('answers do not depend on arrival order, batching or duplicates, and equal the pure engine on the raw events', async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArb, deliveryArb, async (scenario, delivery) => {
      const one = await startTestApp({ clock: CLOCK, timeZone: scenario.zone });
      const two = await startTestApp({ clock: CLOCK, timeZone: scenario.zone });
      try {
        await setUp(one, scenario);
        await setUp(two, scenario);

        // Tally one: the ledger in generation order, one request.
        const all = await one.ingest(scenario.ledger.map((e) => wire(e)));
        assert.equal(all.status, 200, JSON.stringify(all.body));
        assert.deepEqual(all.body, { accepted: scenario.ledger.length, duplicates: 0 });

        // Tally two: shuffled, in batches, some events sent twice (re-rendered with another offset:
        // the same instant, so the same content).
        const shuffled = permute(scenario.ledger, delivery.orderKeys);
        const size = Math.ceil(shuffled.length / delivery.batches);
        const batches: Record<string, unknown>[][] = [];
        for (let i = 0; i < shuffled.length; i += size) batches.push(shuffled.slice(i, i + size).map((e) => wire(e)));
        for (const dup of delivery.duplicates) {
          const entry = scenario.ledger[dup.index % scenario.ledger.length]!;
          const where = batches.findIndex((b) => b.some((e) => e.id === entry.id));
          // Either again in its own batch, or in the last batch (after the original was stored).
          const target = dup.sameBatch ? batches[where]! : batches[batches.length - 1]!;
          target.push(wire(entry, dup.offset));
        }
        let accepted = 0;
        let duplicates = 0;
        for (const batch of batches) {
          const res = await two.ingest(batch);
          assert.equal(res.status, 200, JSON.stringify(res.body));
          accepted += res.body.accepted;
          duplicates += res.body.duplicates;
        }
        assert.equal(accepted, scenario.ledger.length);
        assert.equal(duplicates, delivery.duplicates.length);

        // Back to the start at the end: moving the clock back must give the first answers again.
        const stops = [CLOCK_MS, ...delivery.stops, delivery.extraStop, CLOCK_MS];
        for (const [i, now] of stops.entries()) {
          await moveClock(one, now, false);
          await moveClock(two, now, i % 2 === 0);
          const a = await answersOf(one);
          const b = await answersOf(two);
          const when = `at ${new Date(now).toISOString()} (${scenario.zone})`;
          assert.deepEqual(b, a, `arrival order changed an answer ${when}`);
          assert.deepEqual(a, expectedAnswers(scenario, now), `the store disagrees with the pure engine ${when}`);
        }
      } finally {
        await one.close();
        await two.close();
      }
    }),
    { numRuns: RUNS, seed: SEED },
  );
});
