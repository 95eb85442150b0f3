/**
 * The mixed-load bench (issue 15): the two seed endpoints polled at a fixed rate, measured from the
 * intended send time, while ingestion runs as fast as Tally accepts it; against the same reads
 * idle and the same ingestion alone, in one run, on SQLite and PostgreSQL, per ledger size.
 *
 * - target: reads under ingestion p99 ≤ 3 × idle p99 (each seed endpoint);
 * - target: ingestion throughput during the reads ≥ 0.9 × ingestion alone;
 * - soak: `soakSeconds` of closed-loop reads of the VSPC seed endpoint beside continuous
 *   ingestion, answers counted per 30 s: read throughput must not fall as the ledger grows (last
 *   window ≥ 0.8 × first, recorded).
 *
 * SQLite ledgers are copies of bench/.cache's (never ingested into); PostgreSQL ledgers are built
 * through the API into a schema of their own, dropped afterwards. Results: bench/results/mixed.json.
 *
 *   npm run bench -- --only-mixed [--mixed-sizes 1k,1M] [--mixed-stores sqlite,postgres]
 *                     [--mixed-seconds 20] [--mixed-rate 100] [--soak-seconds 180]
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureLedger, SERVE_ARGS } from './cache.js';
import { runBenchProgram } from './child.js';
import { ADMIN_PASSWORD, formatSize } from './ledger.js';
import { ROOT, startServer, token, type Node } from './lib.js';
import { SEED_PATHS, type Endpoint } from './seed.js';

export interface MixedOptions {
  stores: ('sqlite' | 'postgres')[];
  sizes: number[];
  seconds: number;
  rate: number;
  soakSeconds: number;
  postgresUrl?: string;
  log: (line: string) => void;
}

interface OpenResult {
  requests: number;
  failed: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}
interface IngestResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  failed: number;
}
interface ClosedResult {
  windowSeconds: number;
  windows: number[];
  failed: number;
}

export interface MixedRow {
  store: 'sqlite' | 'postgres';
  size: number;
  idle: Record<Endpoint, OpenResult>;
  underIngestion: Record<Endpoint, OpenResult>;
  /** Under-ingestion p99 ÷ idle p99 per endpoint (target ≤ 3). */
  p99Ratio: Record<Endpoint, number>;
  ingestionAlone: IngestResult;
  ingestionDuringReads: IngestResult;
  /** During ÷ alone (target ≥ 0.9). */
  ingestionRatio: number;
  soak?: ClosedResult & { lastOverFirst: number };
}

const NICE = 10;

async function server(store: 'sqlite' | 'postgres', size: number, options: MixedOptions): Promise<{ node: Node; cleanup: () => Promise<void> }> {
  if (store === 'sqlite') {
    const ledger = await ensureLedger('reads', size, { log: options.log });
    const dir = mkdtempSync(path.join(tmpdir(), 'tally-mixed-'));
    cpSync(ledger.dir, dir, { recursive: true });
    const node = await startServer(dir, ['--http', ...SERVE_ARGS]);
    return { node, cleanup: async () => { await node.stop(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const { default: pg } = await import('pg');
  const base = options.postgresUrl ?? process.env.TALLY_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `tally_mixed_${Date.now()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'tally-mixed-'));
  const node = await startServer(dir, ['--http', '--database', url.toString(), ...SERVE_ARGS]);
  options.log(`  building the ${formatSize(size)} ledger on PostgreSQL through the API`);
  await runBenchProgram('ingest-client.ts', { url: node.vspc, kind: 'reads', size, connections: 4, batch: 10_000 }, { nice: NICE });
  return {
    node,
    cleanup: async () => {
      await node.stop();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function reads(node: Node, auth: Record<string, string>, seconds: number, rate: number): Promise<Record<Endpoint, OpenResult>> {
  const one = (endpoint: Endpoint) =>
    // The pollers stand for clients on other machines: they run at normal priority, so that what
    // they measure is the server's delay, not their own wait for a core (only load is niced).
    runBenchProgram<OpenResult>('mixed-client.ts', { mode: 'open', url: `${endpoint === 'vb365' ? node.vb365 : node.vspc}${SEED_PATHS[endpoint]}`, headers: auth, rate, seconds });
  return Promise.all([one('vb365'), one('vspc')]).then(([vb365, vspc]) => ({ vb365, vspc }));
}

function ingestion(node: Node, auth: Record<string, string>, seconds: number, prefix: string): Promise<IngestResult> {
  return runBenchProgram<IngestResult>('mixed-client.ts', { mode: 'ingest', url: node.vspc, headers: auth, seconds, connections: 4, batch: 10_000, prefix }, { nice: NICE });
}

export async function measureMixed(options: MixedOptions): Promise<MixedRow[]> {
  const rows: MixedRow[] = [];
  for (const store of options.stores) {
    for (const size of options.sizes) {
      options.log(`mixed load: ${store}, ${formatSize(size)} ledger`);
      const { node, cleanup } = await server(store, size, options);
      try {
        const auth = { authorization: `Bearer ${await token(node.vb365, 'vb365', ADMIN_PASSWORD)}` };
        const run = Date.now();
        // Warm the caches and the connections.
        await reads(node, auth, 3, options.rate);
        const idle = await reads(node, auth, options.seconds, options.rate);
        options.log(`  idle p99: vb365 ${idle.vb365.p99} ms, vspc ${idle.vspc.p99} ms`);
        const ingestionAlone = await ingestion(node, auth, options.seconds, `alone-${run}`);
        options.log(`  ingestion alone: ${Math.round(ingestionAlone.eventsPerSecond)} events/s`);
        const [underIngestion, ingestionDuringReads] = await Promise.all([
          // The reads start once ingestion is under way.
          new Promise((resolve) => setTimeout(resolve, 1_000)).then(() => reads(node, auth, options.seconds - 2, options.rate)),
          ingestion(node, auth, options.seconds, `during-${run}`),
        ]);
        const ratio = (e: Endpoint) => +(underIngestion[e].p99 / Math.max(idle[e].p99, 0.001)).toFixed(2);
        const row: MixedRow = {
          store,
          size,
          idle,
          underIngestion,
          p99Ratio: { vb365: ratio('vb365'), vspc: ratio('vspc') },
          ingestionAlone,
          ingestionDuringReads,
          ingestionRatio: +(ingestionDuringReads.eventsPerSecond / ingestionAlone.eventsPerSecond).toFixed(3),
        };
        options.log(`  under ingestion p99: vb365 ${underIngestion.vb365.p99} ms (${row.p99Ratio.vb365}×), vspc ${underIngestion.vspc.p99} ms (${row.p99Ratio.vspc}×); ingestion ${Math.round(ingestionDuringReads.eventsPerSecond)} events/s (${row.ingestionRatio}×)`);
        if (options.soakSeconds > 0) {
          const [soak] = await Promise.all([
            runBenchProgram<ClosedResult>('mixed-client.ts', { mode: 'closed', url: `${node.vspc}${SEED_PATHS.vspc}`, headers: auth, seconds: options.soakSeconds, connections: 4, windowSeconds: 30 }, { nice: NICE }),
            ingestion(node, auth, options.soakSeconds, `soak-${run}`),
          ]);
          const full = soak.windows.filter((_, i) => (i + 1) * soak.windowSeconds <= options.soakSeconds);
          row.soak = { ...soak, lastOverFirst: full.length > 1 ? +(full.at(-1)! / full[0]!).toFixed(2) : 1 };
          options.log(`  soak: reads per ${soak.windowSeconds} s ${soak.windows.join(', ')} (last ÷ first ${row.soak.lastOverFirst})`);
        }
        rows.push(row);
      } finally {
        await cleanup();
      }
    }
  }
  return rows;
}

export function writeMixed(rows: MixedRow[], command: string): string {
  const file = path.join(ROOT, 'bench', 'results', 'mixed.json');
  const verdict = (ok: boolean) => (ok ? 'pass' : 'fail');
  writeFileSync(file, `${JSON.stringify({
    recordedAt: new Date().toISOString(),
    command,
    targets: rows.map((r) => ({
      store: r.store,
      size: r.size,
      readsUnderIngestion: verdict(r.p99Ratio.vb365 <= 3 && r.p99Ratio.vspc <= 3),
      ingestionDuringReads: verdict(r.ingestionRatio >= 0.9),
      soak: r.soak ? verdict(r.soak.lastOverFirst >= 0.8) : 'not measured',
    })),
    rows,
  }, null, 2)}\n`);
  return file;
}
