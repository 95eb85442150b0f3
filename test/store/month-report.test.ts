/**
 * The month-end report read from the `vspc_agent_segments` read model (counts for the agents
 * managed all month, rows only for the stretches that change within it; every stretch of the
 * month when the license is exceeded at some instant) equals a replay of every agent's raw events
 * classified by the engine at every instant where the pool may change (only managed agents count), on random ledgers: moves between companies, mode changes,
 * re-activations, deactivations, events at the month's edges and events dated after `now`.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { defaultAgentWeights, type VspcLicense } from '../../src/domain/licenses.js';
import { agentSegments, companyMonthCounters } from '../../src/domain/monthlyReport.js';
import type { AgentEvent } from '../../src/domain/vspc.js';
import { agentUidsIn, monthStretches, writeAgentSegments } from '../../src/store/agentSegments.js';
import { migrateToLatest } from '../../src/store/database.js';
import type { Database } from '../../src/store/schema.js';
import { adminPut, startTestApp } from '../support/harness.js';
import { managedReportFromEvents } from '../support/managedReport.js';
import { TEST_STORE } from '../support/stores.js';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const NOV = Date.parse('2026-11-01T00:00:00Z');
const OCT = Date.parse('2026-10-01T00:00:00Z');
const DAY = 86_400_000;
const companiesOf = (run: number) => [1, 2].map((c) => `0c000000-0000-4000-8000-${String(run * 10 + c).padStart(12, '0')}`);
// Instants around the October and November boundaries, inside the months, and after now; in August
// and on 1 September too, so that an over-limit period begun then runs out its 60 days in October.
const INSTANTS = [Date.parse('2026-08-20T00:00:00Z'), Date.parse('2026-09-01T00:00:00Z'), OCT - 5 * DAY, OCT - 1, OCT, OCT + 1, OCT + 10 * DAY, NOV - 1, NOV, NOV + 1, NOV + 3 * DAY, NOV + 9 * DAY, NOW, NOW + 1, NOW + 2 * DAY];

const agentHistory = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('on' as const), at: fc.constantFrom(...INSTANTS), company: fc.integer({ min: 0, max: 1 }), mode: fc.constantFrom('server' as const, 'workstation' as const) }),
    fc.record({ kind: fc.constant('off' as const), at: fc.constantFrom(...INSTANTS) }),
    fc.record({ kind: fc.constant('mode' as const), at: fc.constantFrom(...INSTANTS), mode: fc.constantFrom('server' as const, 'workstation' as const) }),
  ),
  { minLength: 1, maxLength: 5 },
);

// Mostly a license that nothing exceeds (the fast path), else one exceeded at some instant, or past its grace in or before the month.
const licenseArb = fc.oneof(
  { weight: 2, arbitrary: fc.record({ type: fc.constantFrom('Rental' as const, 'Subscription' as const), units: fc.constant(100_000), expiration: fc.constant('2030-01-01T00:00:00Z') }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constantFrom('Rental' as const, 'Subscription' as const, 'Evaluation' as const),
      units: fc.constantFrom(0, 1, 2, 4, 11, 15, 100_000),
      expiration: fc.constantFrom('2030-01-01T00:00:00Z', '2026-11-09T23:59:59.999Z', '2026-10-10T00:00:00Z', '2026-09-01T00:00:00Z'),
    }),
  },
);

test('report from the read model = the managed agents replayed from the raw events (draft November, final October)', async () => {
  let run = 0;
  // One server for every run: each run has its own companies and agents, and forgets the frozen reports and the earlier agents.
  const app = await startTestApp({ clock: new Date(NOW).toISOString() });
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(agentHistory, { minLength: 1, maxLength: 12 }), licenseArb, async (agents, { type, units, expiration }) => {
        run++;
        const COMPANIES = companiesOf(run);
        await app.ctx.store.db.deleteFrom('reports').execute();
        // The pool is the installation's: earlier runs' agents leave it (their events stay in the ledger).
        await app.ctx.store.db.deleteFrom('vspc_agent_segments').execute();
        for (const uid of COMPANIES) await adminPut(app, `/tally/v1/companies/${uid}`, { name: uid });
        const license: VspcLicense = { type, edition: null, units, expirationDate: Date.parse(expiration), weights: defaultAgentWeights(type), autoUpdate: false, lastReportSentAt: null };
        await adminPut(app, '/tally/v1/licenses/vspc', { type, units, expirationDate: expiration, weights: license.weights });
        const raw: AgentEvent[][] = [];
        const events = agents.flatMap((history, a) => {
          const uid = agentUid(run, a);
          const mine: AgentEvent[] = [];
          const wire = history.map((e, i) => {
            const id = `r${run}-a${a}-${i}`;
            const at = new Date(e.at).toISOString();
            if (e.kind === 'on') {
              mine.push({ id, at: e.at, type: 'activated', companyUid: COMPANIES[e.company]!, mode: e.mode, name: `agent${a}` });
              return { id, type: 'vspc.agentActivated', at, companyUid: COMPANIES[e.company], agent: { uid, name: `agent${a}`, mode: e.mode } };
            }
            if (e.kind === 'off') {
              mine.push({ id, at: e.at, type: 'deactivated' });
              return { id, type: 'vspc.agentDeactivated', at, agentUid: uid };
            }
            mine.push({ id, at: e.at, type: 'modeChanged', mode: e.mode });
            return { id, type: 'vspc.agentModeChanged', at, agentUid: uid, mode: e.mode };
          });
          raw.push(mine.map((e) => e));
          return wire.map((w, i) => ({ ...w, __uid: uid, __i: i }));
        });
        const res = await app.ingest(events.map(({ __uid, __i, ...e }) => e));
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const segments = raw.map((list, a) => agentSegments(agentUid(run, a), list));
        const byAgent = new Map(raw.map((list, a) => [agentUid(run, a), list]));
        const unlimited = units === 100_000 && expiration === '2030-01-01T00:00:00Z';
        for (const [month, start, end] of [['2026-11', NOV, NOW + 1], ['2026-10', OCT, NOV]] as const) {
          const answer = await app.vspc.inject({ url: `/tally/v1/reports/vspc/${month}`, headers: { authorization: `Bearer ${app.adminToken}` } });
          assert.equal(answer.statusCode, 200, answer.body);
          const byCompany = new Map<string, unknown>(answer.json().companies.map((c: { companyUid: string; counters: unknown }) => [c.companyUid, c.counters]));
          // Every agent's events replayed at every instant where the pool may change, the managed ones counted.
          const managed = managedReportFromEvents(byAgent, license, start, end, 'UTC');
          for (const company of COMPANIES) {
            assert.deepEqual(byCompany.get(company), managed.get(company), `run ${run}, ${month}, ${company}, ${type} ${units} until ${expiration}`);
            // Within the license and its grace that is every agent, as the report always counted.
            if (!unlimited) continue;
            const every = companyMonthCounters(company, segments, license, start, end);
            assert.deepEqual(byCompany.get(company), every.some((c) => c.reportedCount > 0 || c.newCount > 0) ? every : undefined);
          }
        }
      }),
      { numRuns: 40, seed: 20261124 },
    );
  } finally {
    await app.close();
  }
});

function agentUid(run: number, agent: number): string {
  return `0a000000-0000-4000-8000-${String(run * 100 + agent).padStart(12, '0')}`;
}

test('the backfill of an existing ledger rebuilds exactly the stretches ingestion wrote', async () => {
  const app = await startTestApp({ clock: new Date(NOW).toISOString() });
  try {
    const company = companiesOf(0)[0]!;
    const events = Array.from({ length: 30 }, (_, i) => [
      { id: `on${i}`, type: 'vspc.agentActivated', at: new Date(OCT + i * DAY).toISOString(), companyUid: company, agent: { uid: agentUid(0, i), name: `a${i}`, mode: i % 2 ? 'server' : 'workstation' } },
      ...(i % 3 === 0 ? [{ id: `off${i}`, type: 'vspc.agentDeactivated', at: new Date(NOV + i * DAY).toISOString(), agentUid: agentUid(0, i) }] : []),
    ]).flat();
    assert.equal((await app.ingest(events)).status, 200);
    const db = app.ctx.store.db;
    const read = () => db.selectFrom('vspc_agent_segments').selectAll().orderBy('agent_uid').orderBy('from_at').execute();
    const written = await read();
    assert.equal(written.length, 30);
    await db.deleteFrom('vspc_agent_segments').execute();
    for await (const uids of agentUidsIn(db)) await writeAgentSegments(db, uids);
    assert.deepEqual(await read(), written);
  } finally {
    await app.close();
  }
});

test('the report reads stretches through indexes only: one walk of the open stretches, ranges for the rest (SQLite plans)', { skip: TEST_STORE === 'postgres' }, async () => {
  // A full scan or a sort of every stretch made the report take seconds at a million agents.
  const statements: { sql: string; parameters: readonly unknown[] }[] = [];
  const sqlite = new SQLite(':memory:');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), log: (event) => void statements.push(event.query) });
  try {
    await migrateToLatest(db, 'sqlite');
    for (const newSince of [NOV, null]) {
      statements.length = 0;
      await monthStretches(db, NOV, NOW + 1, newSince);
      assert.ok(statements.length >= 4);
      for (const statement of statements) {
        const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...(statement.parameters as unknown[])) as { detail: string }[];
        const steps = plan.map((row) => row.detail);
        for (const step of steps.filter((s) => s.includes('vspc_agent_segments'))) {
          assert.match(step, /^(SEARCH vspc_agent_segments USING COVERING INDEX |SCAN vspc_agent_segments USING COVERING INDEX vspc_agent_segments_open$)/, statement.sql);
        }
        // The walk over every managed agent groups in index order, without a temporary B-tree.
        if (steps.some((s) => s.startsWith('SCAN'))) assert.ok(!steps.some((s) => s.includes('TEMP B-TREE')), steps.join('; '));
      }
    }
  } finally {
    await db.destroy();
  }
});
