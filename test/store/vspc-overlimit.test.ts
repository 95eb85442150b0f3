/**
 * The VSPC console answers over and under the license (rules 17–18, the exceed duration and the
 * expiry grace) equal a straightforward recomputation from the raw events: every agent replayed
 * with agentStateAt, the whole installation classified by the engine's forward FIFO walk (the
 * Rental allowance's clock recomputed from the raw events by `plainOverSince`). The
 * store answers them differently (GROUP BY counts, a newest-first walk along an index only as far
 * as the license boundary, agents with events after `now` replayed and merged in), so random
 * ledgers, licenses and instants check one against the other on every console endpoint; and the
 * counts are conserved: Licensed + Licensed by exceed + Unlicensed + New = managed agents. The
 * month-end reports of the clock's month and the one before count the same states (only managed
 * agents), checked against the same replay at every instant where the pool may change.
 *
 * Runs are seeded (override with TALLY_FC_SEED=<n> to explore other ledgers).
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import type { ReportCounter } from '../../src/domain/monthlyReport.js';
import { startOfMonth } from '../../src/time.js';
import { defaultAgentWeights, vspcLicenseExpired, vspcLicenseLapsed, type AgentMode, type VspcLicense, type VspcLicenseType } from '../../src/domain/licenses.js';
import {
  agentStateAt, classifyAgents, countersOfClassified, type AgentEvent, type AgentState, type ClassifiedAgent, type ConsoleLicenseCounter,
} from '../../src/domain/vspc.js';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';
import { managedReportFromEvents, plainOverSince } from '../support/managedReport.js';
import { TEST_STORE } from '../support/stores.js';

const SEED = Number(process.env.TALLY_FC_SEED ?? 20_261_201);
const RUNS = TEST_STORE === 'postgres' ? 60 : 120;
const iso = (text: string) => Date.parse(text);

const A = { uid: 'ca000000-0000-4000-8000-00000000000a', tenant: 'da000000-0000-4000-8000-00000000000a' };
const B = { uid: 'cb000000-0000-4000-8000-00000000000b', tenant: 'db000000-0000-4000-8000-00000000000b' };
// Its agents share the installation's pool, but no per-company endpoint shows it.
const UNREGISTERED = 'cc000000-0000-4000-8000-00000000000c';
const COMPANIES = [A.uid, B.uid, UNREGISTERED];

// Few instants, so that activations tie often; month starts in UTC and in Europe/Berlin.
const EVENT_INSTANTS = [
  '2026-09-15T00:00:00Z', '2026-09-30T22:00:00Z', '2026-10-01T00:00:00Z', '2026-10-20T00:00:00Z', '2026-10-31T23:00:00Z',
  '2026-11-01T00:00:00Z', '2026-11-10T00:00:00Z', '2026-11-20T00:00:00Z', '2026-11-30T23:00:00Z', '2026-12-01T00:00:00Z',
  '2026-12-15T00:00:00Z', '2027-01-05T00:00:00Z',
].map(iso);
// Clock stops: month starts, the end of exceed episodes begun on 1 October / 1 November / 1 December
// (+60 days), the end of expiry graces, and instants just before them.
const NOWS = [
  '2026-10-25T00:00:00Z', '2026-11-05T00:00:00Z', '2026-11-15T12:00:00Z', '2026-11-20T00:00:00Z', '2026-12-10T00:00:00Z', '2026-11-29T22:00:00Z', '2026-11-30T00:00:00Z', '2026-11-30T00:00:00.001Z', '2026-11-30T23:00:00Z',
  '2026-12-01T00:00:00Z', '2026-12-20T00:00:00Z', '2026-12-30T23:59:59.999Z', '2026-12-31T00:00:00Z', '2027-01-10T00:00:00Z',
  '2027-01-29T23:59:59.999Z', '2027-01-30T00:00:00Z',
].map(iso);
const EXPIRATIONS = ['2026-10-01T00:00:00Z', '2026-10-31T00:00:00Z', '2026-11-14T12:00:00Z', '2026-12-01T00:00:00Z', '2027-06-01T00:00:00Z'];
const REPORTS = ['2026-10-20T00:00:00Z', '2026-11-10T00:00:00Z', '2026-12-15T00:00:00Z', '2027-01-01T00:00:00Z'];

const modeArb = fc.constantFrom<AgentMode>('server', 'workstation');
const eventArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('activated' as const), at: fc.constantFrom(...EVENT_INSTANTS), company: fc.nat(2), mode: modeArb }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('modeChanged' as const), at: fc.constantFrom(...EVENT_INSTANTS), mode: modeArb }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('deactivated' as const), at: fc.constantFrom(...EVENT_INSTANTS) }) },
);

interface LicenseSpec {
  type: VspcLicenseType;
  units: number;
  expirationDate: string;
  weights?: { server: number; workstation: number };
  autoUpdate?: boolean;
  lastReportSentAt?: string;
}

const licenseArb: fc.Arbitrary<LicenseSpec | null> = fc.option(
  fc
    .record({
      type: fc.constantFrom<VspcLicenseType>('Rental', 'Rental', 'Subscription', 'Subscription', 'Evaluation', 'NFR', 'Perpetual'),
      // A fixed size, or (negative) a fraction of what the agents consuming at the clock use, so
      // that the boundary often falls among them.
      units: fc.oneof(
        { weight: 1, arbitrary: fc.constantFrom(0, 3, 26, 1000) },
        { weight: 4, arbitrary: fc.constantFrom(-0.5, -0.7, -0.8, -0.85, -0.9, -0.95, -1) },
      ),
      // Mostly a license still valid at the clock, so that the pool is ranked; sometimes one in or past its grace.
      expirationDate: fc.oneof({ weight: 3, arbitrary: fc.constant('2027-06-01T00:00:00Z') }, { weight: 2, arbitrary: fc.constantFrom(...EXPIRATIONS) }),
      weights: fc.option(
        fc.constantFrom({ server: 11, workstation: 4 }, { server: 7.5, workstation: 2.25 }, { server: 0, workstation: 3 }, { server: 1, workstation: 1 }, { server: 1, workstation: 1 }),
        { nil: undefined },
      ),
      autoUpdate: fc.option(fc.boolean(), { nil: undefined }),
      lastReportSentAt: fc.option(fc.constantFrom(...REPORTS), { nil: undefined }),
    })
    .map((spec) => Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)) as unknown as LicenseSpec),
  { nil: null, freq: 6 },
);

const activationArb = eventArb.filter((e) => e.type === 'activated');
const scenarioArb = fc.record({
  // Agents with a history (moves, mode changes, deactivations), and a crowd of plain activations
  // so that the allowance (a percentage of the license) is often worth a few agents.
  agents: fc
    .tuple(
      fc.array(fc.array(eventArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12, size: 'max' }),
      fc.array(activationArb.map((e) => [e]), { maxLength: 30, size: 'max' }),
    )
    .map(([histories, crowd]) => [...histories, ...crowd]),
  license: licenseArb,
  now: fc.constantFrom(...NOWS),
  zone: fc.constantFrom('UTC', 'Europe/Berlin'),
});

const CAMEL: Record<string, string> = {
  VAC_Server_Agent: 'vaC_Server_Agent',
  VAC_Workstation_Agent: 'vaC_Workstation_Agent',
  Points: 'points',
  Instances: 'instances',
};
const wire = (counters: ConsoleLicenseCounter[]) => counters.map((c) => ({ ...c, type: CAMEL[c.type], unitType: CAMEL[c.unitType] }));

function engineLicense(spec: LicenseSpec | null): VspcLicense | null {
  return (
    spec && {
      type: spec.type,
      edition: null,
      units: spec.units,
      expirationDate: iso(spec.expirationDate),
      weights: spec.weights ?? defaultAgentWeights(spec.type),
      autoUpdate: spec.autoUpdate ?? false,
      lastReportSentAt: spec.lastReportSentAt ? iso(spec.lastReportSentAt) : null,
    }
  );
}

const apps = new Map<string, TestApp>();
before(async () => {
  for (const zone of ['UTC', 'Europe/Berlin']) {
    const app = await startTestApp({ clock: '2026-11-15T12:00:00Z', timeZone: zone });
    for (const c of [A, B]) await adminPut(app, `/tally/v1/companies/${c.uid}`, { name: c.uid.slice(0, 2), tenantUid: c.tenant });
    apps.set(zone, app);
  }
});
after(async () => {
  for (const app of apps.values()) await app.close();
});

test('console answers over the license = the engine on the raw events; agents are conserved', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(scenarioArb, async ({ agents, license: spec, now, zone }) => {
      run++;
      const app = apps.get(zone)!;
      const headers = { authorization: `Bearer ${app.adminToken}` };
      // Each run has its own agents (the run is in the uid; the position is scrambled so that uid
      // order differs from generation order); runs share the ledger, not the read model.
      await app.ctx.store.db.deleteFrom('vspc_agents').execute();
      await app.ctx.store.db.deleteFrom('vspc_agent_companies').execute();
      await app.ctx.store.db.deleteFrom('vspc_agent_segments').execute();
      await app.ctx.store.db.deleteFrom('reports').execute();

      const wireEvents: Record<string, unknown>[] = [];
      const byAgent = new Map<string, AgentEvent[]>();
      agents.forEach((events, i) => {
        const uid = `a${run.toString(16).padStart(7, '0')}-0000-4000-8000-${((i * 7) % 64).toString(16).padStart(12, '0')}`;
        const list: AgentEvent[] = [];
        events.forEach((e, j) => {
          const id = `r${run}-${i}-${j}`;
          const at = new Date(e.at).toISOString();
          if (e.type === 'activated') {
            wireEvents.push({ id, type: 'vspc.agentActivated', at, companyUid: COMPANIES[e.company], agent: { uid, name: `agent-${i}`, mode: e.mode } });
            list.push({ id, at: e.at, type: 'activated', companyUid: COMPANIES[e.company]!, mode: e.mode, name: `agent-${i}` });
          } else if (e.type === 'modeChanged') {
            wireEvents.push({ id, type: 'vspc.agentModeChanged', at, agentUid: uid, mode: e.mode });
            list.push({ id, at: e.at, type: 'modeChanged', mode: e.mode });
          } else {
            wireEvents.push({ id, type: 'vspc.agentDeactivated', at, agentUid: uid });
            list.push({ id, at: e.at, type: 'deactivated' });
          }
        });
        byAgent.set(uid, list);
      });
      const managed = [...byAgent].map(([uid, events]) => agentStateAt(uid, events, now)).filter((s): s is AgentState => s !== null);
      if (spec && spec.units < 0) {
        const weights = spec.weights ?? defaultAgentWeights(spec.type);
        const consuming = classifyAgents(managed, null, now, zone).filter((a) => spec.type !== 'Rental' || a.status !== 'New');
        spec.units = Math.floor(-spec.units * consuming.reduce((n, a) => n + weights[a.mode], 0));
      }
      if (spec) await adminPut(app, '/tally/v1/licenses/vspc', spec);
      else await app.vspc.inject({ method: 'DELETE', url: '/tally/v1/licenses/vspc', headers });
      await app.ctx.clock.set(now);
      const res = await app.ingest(wireEvents.reverse());
      assert.equal(res.status, 200, JSON.stringify(res.body));

      // The reference: replay every agent, classify the whole installation, the allowance's clock
      // recomputed from the raw events (when demand first exceeded the license, one clock per license).
      const license = engineLicense(spec);
      const classified = classifyAgents(managed, license, now, zone, license ? plainOverSince(byAgent, license, now, zone) : null);
      const count = (status: ClassifiedAgent['status']) => classified.filter((a) => a.status === status).length;
      assert.equal(classified.length, managed.length);
      assert.equal(count('Licensed') + count('LicensedByExceed') + count('Unlicensed') + count('New'), managed.length);
      const ofCompany = (uid: string) => wire(countersOfClassified(classified.filter((a) => a.companyUid === uid), license));
      const context = `run ${run}, now ${new Date(now).toISOString()}, ${zone}, license ${JSON.stringify(spec)}`;

      const get = async (url: string) => {
        const answer = await app.vspc.inject({ url: `/api/v3${url}`, headers });
        assert.equal(answer.statusCode, 200, `${url}: ${answer.body}`);
        return answer.json().data;
      };
      for (const c of [A, B]) {
        const expected = { companyUid: c.uid, tenantUid: c.tenant, counters: ofCompany(c.uid) };
        assert.deepEqual(await get(`/licensing/console/usage/companies/vcc/${c.tenant}`), expected, `${context}: vcc ${c.tenant}`);
        assert.deepEqual(await get(`/licensing/console/usage/companies/${c.uid}`), expected, `${context}: company ${c.uid}`);
      }
      assert.deepEqual(
        await get('/licensing/console/usage/companies'),
        [A, B].map((c) => ({ companyUid: c.uid, tenantUid: c.tenant, counters: ofCompany(c.uid) })),
        `${context}: companies`,
      );

      const total = wire(countersOfClassified(classified, license));
      const usage = await get('/licensing/console/usage');
      const sum = (pick: (c: ConsoleLicenseCounter) => number) => total.reduce((n, c) => n + pick(c as ConsoleLicenseCounter), 0);
      assert.deepEqual(
        { ...usage, counters: usage.counters.map((c: Record<string, unknown>) => ({ ...c })) },
        {
          unitType: total[0]!.unitType,
          usedUnits: sum((c) => c.usedUnits),
          usedCount: sum((c) => c.usedCount),
          newUnits: sum((c) => c.newUnits),
          newCount: sum((c) => c.newCount),
          licensedUnits: usage.licensedUnits,
          counters: total,
        },
        `${context}: installation`,
      );
      // What the license makes available: nothing once its expiry grace is over.
      assert.equal(usage.licensedUnits, vspcLicenseLapsed(license, now) ? 0 : (spec?.units ?? 0), `${context}: licensedUnits`);
      // Conservation on the answer: used + new of the installation + the Unlicensed = managed agents.
      assert.equal(usage.usedCount + usage.newCount + count('Unlicensed'), managed.length, `${context}: conservation`);

      const status = (await get('/licensing/console')).status;
      const expectedStatus = !license
        ? 'Unknown'
        : vspcLicenseExpired(license, now)
          ? 'Expired'
          : count('LicensedByExceed') + count('Unlicensed') > 0
            ? 'Warning'
            : 'Valid';
      assert.equal(status, expectedStatus, `${context}: status`);

      // The month-end reports of the clock's month (a draft up to now) and of the month before
      // (final): the managed agents of the raw events, classified at every instant where the
      // pool may change. The live counters are the same states at one of those instants, `now`.
      const thisMonth = startOfMonth(now, zone);
      const lastMonth = startOfMonth(thisMonth - 1, zone);
      for (const [start, end] of [[thisMonth, now + 1], [lastMonth, thisMonth]] as const) {
        const month = DateTime.fromMillis(start, { zone }).toFormat('yyyy-MM');
        const answer = await app.vspc.inject({ url: `/tally/v1/reports/vspc/${month}`, headers });
        assert.equal(answer.statusCode, 200, answer.body);
        const report: { companyUid: string; counters: ReportCounter[] }[] = answer.json().companies;
        const expected = managedReportFromEvents(byAgent, license, start, end, zone);
        for (const c of [A, B]) {
          const counters = report.find((r) => r.companyUid === c.uid)?.counters;
          assert.deepEqual(counters, expected.get(c.uid), `${context}: report ${month}, ${c.uid}`);
          if (start !== thisMonth) continue;
          ofCompany(c.uid).forEach((live, i) => {
            assert.ok((counters?.[i]?.reportedCount ?? 0) >= live.usedCount, `${context}: the month's maximum holds the live used count`);
            assert.ok((counters?.[i]?.newCount ?? 0) >= live.newCount, `${context}: the month's new agents hold the live new count`);
          });
        }
      }
    }),
    { numRuns: RUNS, seed: SEED },
  );
});
