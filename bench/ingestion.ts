/**
 * Ingestion throughput: Tally over HTTP (NDJSON batches of 10,000 on 4 connections, bodies built
 * before the clock starts) into a fresh SQLite database, against the raw better-sqlite3 insert of
 * the same rows into a fresh database of the same schema (bench/raw-insert.ts), alternating, each
 * trial on a new database. Both databases must end with the same rows.
 *
 * A third trial inserts the `events` rows alone (the ledger without its read models), the same way
 * (one transaction per batch of 10,000, synchronous=FULL, the table's current indexes): about the
 * most a design that acknowledged a batch once it is in the ledger, and brought the read models up
 * to date later, could ingest on this machine with this layout.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { CACHE_DIR, SERVE_ARGS } from './cache.js';
import { runBenchProgram } from './child.js';
import { startServer } from './lib.js';

const TABLES = ['events', 'vb365_users', 'vspc_agents', 'vspc_agent_companies', 'vspc_agent_segments'] as const;

export interface IngestTrial {
  eventsPerSecond: number;
  seconds: number;
  rows: Record<(typeof TABLES)[number], number>;
}

export interface IngestOptions {
  events: number;
  rounds: number;
  connections: number;
  batch: number;
}

function countRows(file: string): IngestTrial['rows'] {
  const db = new SQLite(file, { readonly: true });
  try {
    return Object.fromEntries(TABLES.map((t) => [t, (db.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n])) as IngestTrial['rows'];
  } finally {
    db.close();
  }
}

function scratchDir(): string {
  mkdirSync(path.join(CACHE_DIR, 'tmp'), { recursive: true });
  return mkdtempSync(path.join(CACHE_DIR, 'tmp', 'ingest-'));
}

async function tallyTrial(options: IngestOptions): Promise<IngestTrial> {
  const dir = scratchDir();
  try {
    const server = await startServer(dir, ['--http', ...SERVE_ARGS]);
    let result: { seconds: number; eventsPerSecond: number };
    try {
      result = await runBenchProgram('ingest-client.ts', {
        url: server.vspc, kind: 'reads', size: options.events, connections: options.connections, batch: options.batch, prebuild: true,
      }, { nice: 10 });
    } finally {
      await server.stop();
    }
    return { eventsPerSecond: Math.round(result.eventsPerSecond), seconds: +result.seconds.toFixed(2), rows: countRows(path.join(dir, 'tally.db')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function rawTrial(options: IngestOptions, ledgerOnly = false): Promise<IngestTrial> {
  const dir = scratchDir();
  try {
    // An empty database made by Tally's own migrations (the server creates and migrates it).
    const server = await startServer(dir, ['--http', ...SERVE_ARGS]);
    await server.stop();
    const file = path.join(dir, 'tally.db');
    const result = await runBenchProgram<{ seconds: number; eventsPerSecond: number }>('raw-insert.ts', { db: file, kind: 'reads', size: options.events, batch: options.batch, ledgerOnly });
    return { eventsPerSecond: Math.round(result.eventsPerSecond), seconds: +result.seconds.toFixed(2), rows: countRows(file) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureIngestion(options: IngestOptions, log: (line: string) => void) {
  const trials = { tally: [] as IngestTrial[], raw: [] as IngestTrial[], log: [] as IngestTrial[] };
  const label = { tally: 'Tally over HTTP', raw: 'raw better-sqlite3', log: 'raw better-sqlite3, ledger only' };
  const run = { tally: () => tallyTrial(options), raw: () => rawTrial(options), log: () => rawTrial(options, true) };
  for (let round = 0; round < options.rounds; round++) {
    // Tally and the raw insert swap places every round, as they always did; the ledger-only
    // reference comes last.
    for (const which of round % 2 === 0 ? (['tally', 'raw', 'log'] as const) : (['raw', 'tally', 'log'] as const)) {
      const trial = await run[which]();
      trials[which].push(trial);
      log(`round ${round + 1}/${options.rounds} ingest ${label[which]}: ${options.events} events in ${trial.seconds} s = ${trial.eventsPerSecond} events/s`);
    }
  }
  const { tally, raw, log: ledgerOnly } = trials;
  const reference = JSON.stringify(tally[0]!.rows);
  for (const trial of [...tally, ...raw]) {
    if (JSON.stringify(trial.rows) !== reference) throw new Error(`ingestion trials wrote different rows: ${reference} vs ${JSON.stringify(trial.rows)}`);
  }
  const ledgerRows = JSON.stringify({ ...Object.fromEntries(TABLES.map((t) => [t, 0])), events: tally[0]!.rows.events });
  for (const trial of ledgerOnly) {
    if (JSON.stringify(trial.rows) !== ledgerRows) throw new Error(`the ledger-only trial wrote ${JSON.stringify(trial.rows)}, expected ${ledgerRows}`);
  }
  const median = (trials: IngestTrial[]) => {
    const xs = trials.map((t) => t.eventsPerSecond).sort((a, b) => a - b);
    const mid = Math.floor(xs.length / 2);
    return Math.round(xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2);
  };
  return { tally, raw, ledgerOnly, tallyEventsPerSecond: median(tally), rawEventsPerSecond: median(raw), ledgerOnlyEventsPerSecond: median(ledgerOnly), rows: tally[0]!.rows };
}
