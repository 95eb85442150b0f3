/**
 * bench/postgres: ingest and read throughput on PostgreSQL with one and two server nodes, with the
 * embedded SQLite store measured in the same run as the reference. Results go to
 * bench/results/postgres.json and the table in bench/README.md.
 *
 *   npm run build && node --import tsx bench/postgres.ts [--events N] [--seconds S]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { autocannon, call, machine, ROOT, startNode, token, type Node } from './lib.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const EVENTS = option('events', 100_000);
const SECONDS = option('seconds', 5);
const BATCH = 5_000;
const CONNECTIONS = 32;
const PASSWORD = 'bench-admin-password';
const CLOCK = '2026-11-20T12:00:00Z';
const POSTGRES_URL = process.env.TALLY_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ORG = (i: number) => `0a000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const COMPANY = '0c000000-0000-4000-8000-000000000001';
const TENANT = '0d000000-0000-4000-8000-000000000001';

/** The synthetic ledger: users backed up across 20 organizations, agents in one company. */
function batches(): string[] {
  const out: string[] = [];
  const now = Date.parse(CLOCK);
  for (let start = 0; start < EVENTS; start += BATCH) {
    const events = [];
    for (let i = start; i < Math.min(EVENTS, start + BATCH); i++) {
      if (i % 10 === 9) {
        events.push({ id: `ag-${i}`, type: 'vspc.agentActivated', at: new Date(now - (i % 60) * 86_400_000).toISOString(), companyUid: COMPANY, agent: { uid: `0e000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, name: `agent-${i}`, mode: i % 3 ? 'workstation' : 'server' } });
      } else {
        events.push({ id: `b-${i}`, type: 'vb365.backup', at: new Date(now - (i % 40) * 86_400_000).toISOString(), organizationId: ORG(i % 20), user: { id: `u-${Math.floor(i / 2)}`, name: `user${Math.floor(i / 2)}@example.com` } });
      }
    }
    out.push(JSON.stringify({ events }));
  }
  return out;
}

async function setUp(node: Node, tok: string) {
  const h = { authorization: `Bearer ${tok}`, 'content-type': 'application/json' };
  for (let i = 0; i < 20; i++) await call('PUT', `${node.vspc}/tally/v1/organizations/${ORG(i)}`, h, JSON.stringify({ name: `org${i}.example` }));
  await call('PUT', `${node.vspc}/tally/v1/companies/${COMPANY}`, h, JSON.stringify({ name: 'Bench', tenantUid: TENANT }));
  await call('PUT', `${node.vspc}/tally/v1/licenses/vb365`, h, JSON.stringify({ type: 'Subscription', totalNumber: 1_000_000, expirationDate: '2027-12-31T00:00:00Z' }));
}

async function ingest(nodes: Node[], tokens: string[], bodies: string[]): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 2 * nodes.length }, async (_, worker) => {
    const n = worker % nodes.length;
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await call('POST', `${nodes[n]!.vspc}/tally/v1/events`, { authorization: `Bearer ${tokens[n]}`, 'content-type': 'application/json' }, body);
      if (res.status !== 200) throw new Error(`ingest: ${res.status} ${res.text.slice(0, 200)}`);
    }
  }));
  return EVENTS / ((performance.now() - started) / 1000);
}

async function reads(nodes: Node[], tokens: string[], face: 'vb365' | 'vspc') {
  const runs = await Promise.all(nodes.map((node, i) =>
    autocannon(
      face === 'vb365' ? `${node.vb365}/v6/Organizations/${ORG(0)}/LicensingInformation` : `${node.vspc}/api/v3/licensing/console/usage/companies/vcc/${TENANT}`,
      { authorization: `Bearer ${tokens[i]}` },
      SECONDS,
      Math.ceil(CONNECTIONS / nodes.length),
    ),
  ));
  if (runs.some((r) => r.non2xx > 0)) throw new Error('reads answered non-2xx');
  return { rps: Math.round(runs.reduce((s, r) => s + r.rps, 0)), p99: Math.max(...runs.map((r) => r.p99)) };
}

async function scenario(
  label: string,
  nodeCount: number,
  databaseArgs: () => Promise<{ args: string[]; drop: () => Promise<void>; settle?: () => Promise<void> }>,
) {
  const db = await databaseArgs();
  const nodes: Node[] = [];
  try {
    for (let i = 0; i < nodeCount; i++) nodes.push(await startNode(['--no-demo', '--clock', CLOCK, '--admin-password', PASSWORD, ...db.args]));
    const tokens = await Promise.all(nodes.map((n) => token(n.vspc, 'vspc', PASSWORD)));
    await setUp(nodes[0]!, tokens[0]!);
    const eventsPerSecond = Math.round(await ingest(nodes, tokens, batches()));
    // Reads are measured in steady state: what autovacuum does shortly after a bulk load.
    await db.settle?.();
    const vb365 = await reads(nodes, tokens, 'vb365');
    const vspc = await reads(nodes, tokens, 'vspc');
    const result = { label, nodes: nodeCount, eventsPerSecond, vb365, vspc };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    for (const node of nodes) await node.stop();
    await db.drop();
  }
}

async function postgresSchema() {
  const schema = `tally_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    args: ['--database', url.toString()],
    settle: async () => {
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      await c.query('VACUUM ANALYZE');
      await c.end();
    },
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

const results = [
  await scenario('SQLite, 1 node (reference)', 1, async () => ({ args: [], drop: async () => {} })),
  await scenario('PostgreSQL, 1 node', 1, postgresSchema),
  await scenario('PostgreSQL, 2 nodes', 2, postgresSchema),
];
const reference = results[0]!;
const report = {
  benchmark: 'postgres',
  date: new Date().toISOString(),
  machine: machine(),
  command: 'npm run build && node --import tsx bench/postgres.ts',
  parameters: { events: EVENTS, batch: BATCH, readSeconds: SECONDS, connections: CONNECTIONS },
  results: results.map((r) => ({
    ...r,
    ingestVsSqlite: +(r.eventsPerSecond / reference.eventsPerSecond).toFixed(2),
    vb365ReadsVsSqlite: +(r.vb365.rps / reference.vb365.rps).toFixed(2),
    vspcReadsVsSqlite: +(r.vspc.rps / reference.vspc.rps).toFixed(2),
  })),
};
writeFileSync(path.join(ROOT, 'bench', 'results', 'postgres.json'), `${JSON.stringify(report, null, 2)}\n`);

const table = [
  '| setup | ingest events/s | × SQLite | VB365 reads/s | × SQLite | VSPC reads/s | × SQLite | p99 ms (VB365 / VSPC) |',
  '|---|---|---|---|---|---|---|---|',
  ...report.results.map((r) => `| ${r.label} | ${r.eventsPerSecond} | ${r.ingestVsSqlite} | ${r.vb365.rps} | ${r.vb365ReadsVsSqlite} | ${r.vspc.rps} | ${r.vspcReadsVsSqlite} | ${r.vb365.p99} / ${r.vspc.p99} |`),
].join('\n');
const readmePath = path.join(ROOT, 'bench', 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const section = `<!-- postgres:start -->\n${table}\n\n${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}, ${EVENTS} events in batches of ${BATCH}, reads for ${SECONDS} s with ${CONNECTIONS} connections, ${report.date.slice(0, 10)}.\n<!-- postgres:end -->`;
writeFileSync(readmePath, readme.replace(/<!-- postgres:start -->[\s\S]*<!-- postgres:end -->/, section));
console.log(table);
