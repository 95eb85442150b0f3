/**
 * Generated ledgers are kept between runs in bench/.cache/ledgers (gitignored), one Tally data
 * directory per (kind, size, generator version): generating 10 million workloads takes a while,
 * measuring them does not. A ledger is generated into a `.partial` directory through the real
 * ingestion path and renamed only when complete, so an interrupted run never leaves a half ledger.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runBenchProgram } from './child.js';
import { ADMIN_PASSWORD, CLOCK, formatSize, GENERATOR_VERSION, planLedger, type LedgerKind, type LedgerPlan } from './ledger.js';
import { ROOT, startServer } from './lib.js';

export const CACHE_DIR = path.join(ROOT, 'bench', '.cache');

/** The arguments every bench server runs with (plain HTTP unless the caller adds nothing else). */
export const SERVE_ARGS = ['--no-demo', '--clock', CLOCK, '--admin-password', ADMIN_PASSWORD];

export interface LedgerManifest {
  kind: LedgerKind;
  size: number;
  generatorVersion: number;
  plan: LedgerPlan;
  entities: number;
  events: number;
  /** Wall time of the event ingestion (entities excluded) and its average rate. */
  seconds: number;
  eventsPerSecond: number;
  /** The rate over the last tenth of the events: it falls as the ledger grows, this is where it ended. */
  tailEventsPerSecond?: number;
  connections: number;
  batch: number;
  createdAt: string;
}

export interface Ledger {
  dir: string;
  manifest: LedgerManifest;
  generated: boolean;
}

export function ledgerDir(kind: LedgerKind, size: number): string {
  return path.join(CACHE_DIR, 'ledgers', `${kind}-${formatSize(size)}-g${GENERATOR_VERSION}`);
}

export interface GenerateOptions {
  regenerate?: boolean;
  connections?: number;
  batch?: number;
  log?: (line: string) => void;
}

export async function ensureLedger(kind: LedgerKind, size: number, options: GenerateOptions = {}): Promise<Ledger> {
  const dir = ledgerDir(kind, size);
  const manifestFile = path.join(dir, 'manifest.json');
  const log = options.log ?? ((line) => console.log(line));
  if (!options.regenerate && existsSync(manifestFile)) {
    return { dir, manifest: JSON.parse(readFileSync(manifestFile, 'utf8')) as LedgerManifest, generated: false };
  }
  const plan = planLedger(kind, size);
  const label = `${kind}-${formatSize(size)}`;
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const connections = options.connections ?? 4;
  const batch = options.batch ?? 10_000;
  log(`ledger ${label}: generating ${plan.events} events (${plan.users} users in ${plan.organizations} organizations, ${plan.agents} agents in ${plan.companies} companies) over HTTP`);
  const server = await startServer(partial, ['--http', ...SERVE_ARGS]);
  let result: { entities: number; events: number; seconds: number; eventsPerSecond: number };
  // Progress samples (events done, seconds) to find the rate at the end of the generation.
  const samples: [number, number][] = [[0, 0]];
  try {
    result = await runBenchProgram('ingest-client.ts', { url: server.vspc, kind, size, connections, batch }, {
      nice: 10,
      onLine: (line) => {
        if (line.phase === 'events') {
          const done = line.done as number;
          const seconds = line.seconds as number;
          const rate = done / seconds;
          samples.push([done, seconds]);
          log(`ledger ${label}: ${done}/${plan.events} events, ${Math.round(rate)}/s, about ${Math.round((plan.events - done) / rate)} s to go`);
        } else if (line.phase === 'entities') {
          log(`ledger ${label}: ${line.done as number} entities`);
        }
      },
    });
  } finally {
    // A clean stop checkpoints the WAL into the database file.
    await server.stop();
  }
  samples.push([result.events, result.seconds]);
  const tailStart = [...samples].reverse().find(([done]) => done <= result.events * 0.9) ?? samples[0]!;
  const tailRate = (result.events - tailStart[0]) / (result.seconds - tailStart[1]);
  const manifest: LedgerManifest = {
    kind, size, generatorVersion: GENERATOR_VERSION, plan,
    entities: result.entities, events: result.events,
    seconds: +result.seconds.toFixed(1), eventsPerSecond: Math.round(result.eventsPerSecond), tailEventsPerSecond: Math.round(tailRate),
    connections, batch, createdAt: new Date().toISOString(),
  };
  writeFileSync(path.join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  log(`ledger ${label}: ${manifest.events} events in ${manifest.seconds} s (${manifest.eventsPerSecond} events/s)`);
  return { dir, manifest, generated: true };
}
