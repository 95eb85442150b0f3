/**
 * Several stateless nodes on one PostgreSQL: interleaved and overlapping batches (the same event
 * ids sent to different nodes at once) end with exact answers, nothing lost and nothing doubled;
 * tokens and the time-travel clock are shared.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { agentStateAt, consoleCounters, type AgentEvent } from '../../src/domain/vspc.js';
import { newtonsoftCamelCase } from '../../src/http/vspc/enums.js';
import { activityAt, classifyUsers, organizationLicensingInformation } from '../../src/domain/vb365.js';
import { agentEventOf, isCountingBackup, validateEvent, type LedgerEvent } from '../../src/ingest/events.js';
import { defaultAgentWeights } from '../../src/domain/licenses.js';
import { parseRfc3339 } from '../../src/time.js';
import { createTestDatabase, type TestDatabase } from '../support/stores.js';
import { passwordToken, request, spawnTally, type ServerProcess } from '../support/server.js';

const CLOCK = '2026-11-20T12:00:00Z';
const PASSWORD = 'nodes-admin-password';
const ORGS = ['0a000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000002'];
const COMPANIES = ['0c000000-0000-4000-8000-000000000001', '0c000000-0000-4000-8000-000000000002', '0c000000-0000-4000-8000-000000000003'];
const TENANT = (i: number) => `0d000000-0000-4000-8000-00000000000${i + 1}`;
const hex = (n: number) => n.toString(16).padStart(12, '0');

let database: TestDatabase;
let a: ServerProcess;
let b: ServerProcess;
let tokenA: string;
let tokenB: string;

before(async () => {
  database = await createTestDatabase('postgres');
  const args = ['--no-demo', '--clock', CLOCK, '--admin-password', PASSWORD];
  a = await spawnTally({ database, args });
  b = await spawnTally({ database, args });
  tokenA = await passwordToken(a.vspc, 'vspc', 'admin', PASSWORD);
  tokenB = await passwordToken(b.vb365, 'vb365', 'admin', PASSWORD);
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await database?.drop();
});

const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

async function put(base: string, token: string, url: string, body: unknown) {
  const res = await request('PUT', `${base}${url}`, { headers: json(token), body: JSON.stringify(body) });
  assert.equal(res.status, 200, res.text);
}

/** A deterministic ledger: backups of 2 × 250 users and 3 × 60 agents with moves and revocations. */
function buildEvents(): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  ORGS.forEach((org, o) => {
    for (let u = 0; u < 250; u++) {
      const user = { id: `user-${o}-${u}`, name: `user${u}@org${o}.example` };
      const day = (u * 7) % 200;
      events.push({ id: `b-${o}-${u}-1`, type: 'vb365.backup', at: new Date(Date.parse(CLOCK) - (day + 30) * 86_400_000).toISOString(), organizationId: org, user });
      if (u % 5 !== 0) events.push({ id: `b-${o}-${u}-2`, type: 'vb365.backup', at: new Date(Date.parse(CLOCK) - (u % 20) * 3_600_000).toISOString(), organizationId: org, user });
    }
  });
  COMPANIES.forEach((company, c) => {
    for (let i = 0; i < 60; i++) {
      const uid = `0e000000-0000-4000-8${c}00-${hex(i)}`;
      const at = new Date(Date.parse(CLOCK) - ((i * 11) % 90) * 86_400_000).toISOString();
      events.push({ id: `ag-${c}-${i}`, type: 'vspc.agentActivated', at, companyUid: company, agent: { uid, name: `agent-${c}-${i}`, mode: i % 3 === 0 ? 'server' : 'workstation' } });
      if (i % 9 === 0) events.push({ id: `ag-${c}-${i}-off`, type: 'vspc.agentDeactivated', at: new Date(Date.parse(at) + 86_400_000).toISOString(), agentUid: uid });
      if (i % 13 === 1) events.push({ id: `ag-${c}-${i}-move`, type: 'vspc.agentActivated', at: new Date(Date.parse(at) + 3_600_000).toISOString(), companyUid: COMPANIES[(c + 1) % 3], agent: { uid, name: `agent-${c}-${i}`, mode: 'server' } });
    }
  });
  return events;
}

/** The answers computed straight from the event list by the pure engine. */
function expectedAnswers(raw: Record<string, unknown>[], now: number) {
  const events = raw.map((e, i) => (validateEvent(e, i) as { ok: true; event: LedgerEvent }).event);
  const backups = new Map<string, number[]>();
  const agents = new Map<string, AgentEvent[]>();
  for (const event of events) {
    if (isCountingBackup(event)) {
      const key = `${event.organizationId}|${event.user.id}`;
      backups.set(key, [...(backups.get(key) ?? []), event.at]);
    }
    const agent = agentEventOf(event);
    if (agent) agents.set(agent.agentUid, [...(agents.get(agent.agentUid) ?? []), agent.event]);
  }
  const activities = [...backups].flatMap(([key, ats]) => {
    const [org, user] = key.split('|') as [string, string];
    const activity = activityAt(org, user, ats, now);
    return activity ? [activity] : [];
  });
  const license = { type: 'Subscription' as const, totalNumber: 300, expirationDate: null, autoUpdate: false, lastReportSentAt: null };
  const classified = classifyUsers(activities, license, now, 'UTC');
  const vspcLicense = { type: 'Rental' as const, edition: null, units: 1000, expirationDate: null, weights: defaultAgentWeights('Rental') };
  const states = [...agents].flatMap(([uid, list]) => {
    const state = agentStateAt(uid, list, now);
    return state ? [state] : [];
  });
  return {
    organizations: ORGS.map((org) => JSON.stringify(organizationLicensingInformation(classified, org))),
    tenants: COMPANIES.map((company) =>
      consoleCounters(states.filter((s) => s.companyUid === company), vspcLicense, now, 'UTC').map((c) => ({
        ...c,
        type: newtonsoftCamelCase(c.type),
        unitType: newtonsoftCamelCase(c.unitType),
      })),
    ),
  };
}

async function answers(node: ServerProcess, token: string) {
  const organizations: string[] = [];
  for (const org of ORGS) {
    const res = await request('GET', `${node.vb365}/v6/Organizations/${org}/LicensingInformation`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, res.text);
    organizations.push(res.text);
  }
  const tenants: unknown[] = [];
  for (let i = 0; i < COMPANIES.length; i++) {
    const res = await request('GET', `${node.vspc}/api/v3/licensing/console/usage/companies/vcc/${TENANT(i)}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, res.text);
    tenants.push(res.json().data.counters);
  }
  return { organizations, tenants };
}

test('a token issued by one node is accepted by the other', async () => {
  const res = await request('GET', `${b.vspc}/tally/v1/clock`, { headers: { authorization: `Bearer ${tokenA}` } });
  assert.equal(res.status, 200);
});

test('overlapping batches on two nodes: nothing lost, nothing doubled, identical exact answers', async () => {
  for (const org of ORGS) await put(a.vspc, tokenA, `/tally/v1/organizations/${org}`, { name: `${org}.example` });
  for (let i = 0; i < COMPANIES.length; i++) await put(b.vspc, tokenB, `/tally/v1/companies/${COMPANIES[i]}`, { name: `Company ${i}`, tenantUid: TENANT(i) });
  await put(a.vspc, tokenA, '/tally/v1/licenses/vb365', { type: 'Subscription', totalNumber: 300, expirationDate: '2027-12-31T00:00:00Z' });
  await put(b.vspc, tokenB, '/tally/v1/licenses/vspc', { type: 'Rental', units: 1000, expirationDate: '2027-12-31T00:00:00Z' });

  const events = buildEvents();
  // Batches of 97 with a 40-event overlap between neighbours; every batch goes to BOTH nodes at
  // once, and the order of batches differs between the nodes.
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < events.length; start += 57) batches.push(events.slice(start, start + 97));
  const sends = batches.flatMap((batch, i) => [
    { node: a, token: tokenA, batch, order: i },
    { node: b, token: tokenB, batch, order: batches.length - i },
  ]).sort((x, y) => x.order - y.order);
  const results = await runConcurrently(sends, 8, async ({ node, token, batch }) => {
    const res = await request('POST', `${node.vspc}/tally/v1/events`, { headers: json(token), body: JSON.stringify({ events: batch }) });
    assert.equal(res.status, 200, res.text);
    const body = res.json() as { accepted: number; duplicates: number };
    assert.equal(body.accepted + body.duplicates, batch.length);
    return body.accepted;
  });
  const accepted = results.reduce((sum, n) => sum + n, 0);
  assert.equal(accepted, events.length, 'every event accepted exactly once across both nodes');

  const expected = expectedAnswers(events, parseRfc3339(CLOCK)!);
  const fromA = await answers(a, tokenA);
  const fromB = await answers(b, tokenB);
  assert.deepEqual(fromA, fromB);
  assert.deepEqual(fromA.organizations, expected.organizations);
  assert.deepEqual(fromA.tenants, expected.tenants);

  // Re-sending everything to either node changes nothing.
  const again = await request('POST', `${b.vspc}/tally/v1/events`, { headers: json(tokenB), body: JSON.stringify({ events: events.slice(0, 500) }) });
  assert.deepEqual(again.json(), { accepted: 0, duplicates: 500 });
});

test('moving the clock on one node moves it for every node', async () => {
  const moved = await request('PUT', `${a.vb365}/tally/v1/clock`, { headers: json(tokenA), body: JSON.stringify({ now: '2026-12-01T00:00:00Z' }) });
  assert.equal(moved.status, 200, moved.text);
  const seen = await request('GET', `${b.vspc}/tally/v1/clock`, { headers: { authorization: `Bearer ${tokenB}` } });
  assert.deepEqual(seen.json(), { now: '2026-12-01T00:00:00.000Z', fixed: true });
  const fromA = await answers(a, tokenA);
  const fromB = await answers(b, tokenB);
  assert.deepEqual(fromA, fromB);
});

test('different events of one agent sent to two nodes at once: the later state wins on every agent', async () => {
  const company = '0c000000-0000-4000-8000-000000000009';
  const tenant = '0d000000-0000-4000-8000-000000000009';
  await put(a.vspc, tokenA, `/tally/v1/companies/${company}`, { name: 'Race', tenantUid: tenant });
  const agents = Array.from({ length: 120 }, (_, i) => `0e000000-0000-4000-8900-${hex(i)}`);
  // Each agent is activated through one node and deactivated (an hour later) through the other,
  // both requests in flight together.
  await runConcurrently(agents, 6, async (uid) => {
    const activate = { id: `race-on-${uid}`, type: 'vspc.agentActivated', at: '2026-11-02T08:00:00Z', companyUid: company, agent: { uid, name: uid, mode: 'server' } };
    const deactivate = { id: `race-off-${uid}`, type: 'vspc.agentDeactivated', at: '2026-11-02T09:00:00Z', agentUid: uid };
    const [first, second] = uid.endsWith('1') ? [[a, tokenA], [b, tokenB]] as const : [[b, tokenB], [a, tokenA]] as const;
    const results = await Promise.all([
      request('POST', `${first[0].vspc}/tally/v1/events`, { headers: json(first[1]), body: JSON.stringify({ events: [activate] }) }),
      request('POST', `${second[0].vspc}/tally/v1/events`, { headers: json(second[1]), body: JSON.stringify({ events: [deactivate] }) }),
    ]);
    for (const res of results) assert.equal(res.status, 200, res.text);
  });
  for (const [node, token] of [[a, tokenA], [b, tokenB]] as const) {
    const res = await request('GET', `${node.vspc}/api/v3/licensing/console/usage/companies/vcc/${tenant}`, { headers: { authorization: `Bearer ${token}` } });
    const counters = res.json().data.counters as { usedCount: number; newCount: number }[];
    assert.deepEqual(counters.map((c) => [c.usedCount, c.newCount]), [[0, 0], [0, 0]], 'every agent was deactivated');
  }
});

async function runConcurrently<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  }));
  return results;
}

test('a writer that dies right after its commit leaves no node answering without its batch', async () => {
  const org = '0a000000-0000-4000-8000-0000000000d1';
  await put(a.vspc, tokenA, `/tally/v1/organizations/${org}`, { name: 'dying-writer.example' });
  // Room for every user whatever the earlier tests ingested (the new user must count).
  await put(a.vspc, tokenA, '/tally/v1/licenses/vb365', { type: 'Subscription', totalNumber: 100_000, expirationDate: '2027-12-31T00:00:00Z' });
  const licensed = async (node: ServerProcess, token: string) =>
    (await request('GET', `${node.vb365}/v6/Organizations/${org}/LicensingInformation`, { headers: { authorization: `Bearer ${token}` } })).json().licensedUsers as number;
  // Both nodes have the answer cached (read until the license change reached both).
  for (const [node, token] of [[a, tokenA], [b, tokenB]] as const) {
    const deadline = Date.now() + 5_000;
    while ((await licensed(node, token)) !== 0) assert.ok(Date.now() < deadline);
  }
  // Another process commits a batch through the store's write path, and is killed the moment its
  // batch is visible to another session: whatever it would have done after the commit (the ledger
  // counter was once raised after it, by a statement of its own) never happens.
  const { spawn } = await import('node:child_process');
  const { pathToFileURL } = await import('node:url');
  const path = await import('node:path');
  const { default: pg } = await import('pg');
  const root = path.resolve(import.meta.dirname, '..', '..');
  const events = [{ id: 'dying-1', type: 'vb365.backup', at: '2026-11-19T00:00:00Z', organizationId: org, user: { id: 'dying-user', name: 'dying-user' } }];
  const script = `
    const { openPostgresStore } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'src/store/database.ts')).href)});
    const { IngestionService } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'src/services/ingestion.ts')).href)});
    const store = await openPostgresStore(${JSON.stringify(database.url)}, { listen: false });
    await new IngestionService(store.db).ingest(${JSON.stringify(events)});
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const killed = new Promise((resolve) => child.once('exit', resolve));
  const watcher = new pg.Client({ connectionString: database.url });
  await watcher.connect();
  try {
    const deadline = Date.now() + 60_000;
    while ((await watcher.query("select 1 from events where id = 'dying-1'")).rowCount === 0) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `the batch was committed: ${stderr}`);
    }
    child.kill('SIGKILL');
    await killed;
  } finally {
    await watcher.end();
  }
  // Every node answers with the batch (within the change bound, docs/operations.md; the test allows
  // 5 s on a busy machine).
  for (const [node, token] of [[a, tokenA], [b, tokenB]] as const) {
    const deadline = Date.now() + 5_000;
    let users = await licensed(node, token);
    while (users !== 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      users = await licensed(node, token);
    }
    assert.equal(users, 1);
  }
});
