/**
 * bench/run: the benchmark suite of issue #7. Measures Tally side by side with references in one
 * run and records ratios: reads against a bare node:http server and a Prism mock, flat reads from
 * 1k to 10M workloads, ingestion against a raw better-sqlite3 insert, the month-end report, memory
 * and start-up, HTTPS against HTTP. Writes bench/results/latest.json and the tables in
 * bench/README.md.
 *
 *   npm run bench -- [--sizes 1k,100k,1M,10M] [--seconds 10] [--warmup 3] [--rounds 2] [--connections 10]
 *                    [--latency-rate 100] [--ingest-events 200k] [--ingest-rounds 2] [--report-agents 1M]
 *                    [--startup-tries 3] [--report-tries 3] [--load-generator wrk|autocannon] [--regenerate]
 *                    [--mixed-sizes 1k,1M] [--mixed-stores sqlite,postgres] [--mixed-seconds 20]
 *                    [--mixed-rate 100] [--soak-seconds 180] [--no-mixed] [--only-mixed]
 *
 * The mixed-load bench (bench/mixed.ts: reads under ingestion, ingestion under reads, the soak)
 * runs last and writes bench/results/mixed.json; `--only-mixed` runs it alone.
 *
 * Every server is a real `tally serve` process (dist/, so build first: `npm run bench` does); load
 * comes from other processes (wrk when it is installed, else autocannon; bench/latency-client.ts;
 * bench/ingest-client.ts) at nice 10 on loopback.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureLedger, SERVE_ARGS, type Ledger } from './cache.js';
import { measureIngestion } from './ingestion.js';
import { ADMIN_PASSWORD, formatSize, parseSize } from './ledger.js';
import { ROOT, startServer, token, type LoadGenerator, type Node } from './lib.js';
import { measureMixed, writeMixed } from './mixed.js';
import { measureMonthEnd } from './month-end.js';
import { alternate, summarize, verifyAnswers, type Subject } from './reads.js';
import { startBare, startPrism, type Reference } from './references.js';
import { writeReport, type BenchReport, type LedgerRow, type ReadRow } from './results.js';
import { SEED_PATHS } from './seed.js';
import { memoryOf, startupSeconds, type Memory } from './server-probes.js';
import { tallySubject, targets, type Collected } from './targets.js';
import { wrkVersion } from './wrk.js';

const { values: flags } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1k,100k,1M,10M' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    'latency-rate': { type: 'string', default: '100' },
    'ingest-events': { type: 'string', default: '200k' },
    'ingest-rounds': { type: 'string', default: '2' },
    'report-agents': { type: 'string' },
    'startup-tries': { type: 'string', default: '3' },
    'report-tries': { type: 'string', default: '3' },
    'load-generator': { type: 'string' },
    regenerate: { type: 'boolean', default: false },
    'mixed-sizes': { type: 'string', default: '1k,1M' },
    'mixed-stores': { type: 'string', default: 'sqlite,postgres' },
    'mixed-seconds': { type: 'string', default: '20' },
    'mixed-rate': { type: 'string', default: '100' },
    'soak-seconds': { type: 'string', default: '180' },
    'no-mixed': { type: 'boolean', default: false },
    'only-mixed': { type: 'boolean', default: false },
  },
});

// wrk when it is installed: autocannon's Node process is often slower than the servers it loads.
const wrkFound = wrkVersion();
const generator = (flags['load-generator'] ?? (wrkFound ? 'wrk' : 'autocannon')) as LoadGenerator;
if (generator !== 'wrk' && generator !== 'autocannon') throw new Error(`--load-generator: wrk or autocannon, not ${JSON.stringify(generator)}`);
if (generator === 'wrk' && !wrkFound) throw new Error('--load-generator wrk: wrk is not on the PATH (apt-get install wrk)');
const generatorLabel = generator === 'wrk' ? `${wrkFound!.split(' [')[0]}, one thread` : 'autocannon 8';
for (const flag of ['seconds', 'warmup'] as const) {
  if (generator === 'wrk' && !Number.isInteger(Number(flags[flag]))) throw new Error(`--${flag}: whole seconds with wrk, not ${flags[flag]}`);
}

const sizes = [...new Set(flags.sizes.split(',').map(parseSize))].sort((a, b) => a - b);
const readOptions = { rounds: Number(flags.rounds), seconds: Number(flags.seconds), warmupSeconds: Number(flags.warmup), connections: Number(flags.connections), generator };
const latencyRate = Number(flags['latency-rate']);
const ingestEvents = parseSize(flags['ingest-events']);
const largest = sizes.at(-1)!;
// The month-end target is 1M agents; a run limited to small sizes uses a report ledger of its own scale.
const reportAgents = flags['report-agents'] ? parseSize(flags['report-agents']) : Math.min(1_000_000, largest);
// Reads comparisons run on the 1M ledger (the targets' scale), or the largest one below it.
const readSize = sizes.includes(1_000_000) ? 1_000_000 : ([...sizes].reverse().find((s) => s <= 1_000_000) ?? largest);

const started = Date.now();
const log = (line: string) => {
  const t = Math.round((Date.now() - started) / 1000);
  console.log(`[${String(Math.floor(t / 60)).padStart(3)}:${String(t % 60).padStart(2, '0')}] ${line}`);
};
const errors: string[] = [];
async function phase<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
  log(`— ${name}`);
  try {
    return await work();
  } catch (error) {
    const message = `${name}: ${(error as Error).message}`;
    errors.push(message);
    log(`FAILED ${message}`);
    return undefined;
  }
}

/** The mixed-load bench (bench/mixed.ts); false when it failed. */
async function mixedPhase(): Promise<boolean> {
  const rows = await phase('mixed load: reads under ingestion, ingestion under reads, soak', () =>
    measureMixed({
      stores: flags['mixed-stores'].split(',').map((s) => s.trim()) as ('sqlite' | 'postgres')[],
      sizes: [...new Set(flags['mixed-sizes'].split(',').map(parseSize))].sort((a, b) => a - b),
      seconds: Number(flags['mixed-seconds']),
      rate: Number(flags['mixed-rate']),
      soakSeconds: Number(flags['soak-seconds']),
      log,
    }),
  );
  if (!rows) return false;
  const file = writeMixed(rows, `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`);
  log(`wrote ${path.relative(ROOT, file)}`);
  return true;
}

if (flags['only-mixed']) process.exit((await mixedPhase()) ? 0 : 1);

const collected: Collected = { sizes, readSize, latencyRate, reads: new Map(), latency: new Map(), memory: new Map() };

// 1. Ledgers, smallest first; the report ledger before anything larger than it.
const ledgers = new Map<number, Ledger>();
let reportLedger: Ledger | undefined;
for (const size of sizes) {
  if (!reportLedger && size > reportAgents) reportLedger = await phase(`report ledger (${formatSize(reportAgents)} agents)`, () => ensureLedger('report', reportAgents, { regenerate: flags.regenerate, log }));
  const ledger = await phase(`ledger of ${formatSize(size)} workloads`, () => ensureLedger('reads', size, { regenerate: flags.regenerate, log }));
  if (ledger) ledgers.set(size, ledger);
}
reportLedger ??= await phase(`report ledger (${formatSize(reportAgents)} agents)`, () => ensureLedger('report', reportAgents, { regenerate: flags.regenerate, log }));

// 2. Ingestion: Tally over HTTP against the raw insert of the same rows.
const ingestion = await phase(`ingestion of ${ingestEvents} events, Tally against raw better-sqlite3`, () =>
  measureIngestion({ events: ingestEvents, rounds: Number(flags['ingest-rounds']), connections: 4, batch: 10_000 }, log));
if (ingestion) {
  collected.ingestion = {
    events: ingestEvents,
    tallyEventsPerSecond: ingestion.tallyEventsPerSecond,
    rawEventsPerSecond: ingestion.rawEventsPerSecond,
    ledgerOnlyEventsPerSecond: ingestion.ledgerOnlyEventsPerSecond,
    detail: {
      tally: ingestion.tally.map((t) => t.eventsPerSecond), raw: ingestion.raw.map((t) => t.eventsPerSecond), ledgerOnly: ingestion.ledgerOnly.map((t) => t.eventsPerSecond),
      rows: ingestion.rows, connections: 4, batch: 10_000,
    },
  };
}

/** One listener per face, as deployed: VB365 paths on the VB365 port, VSPC paths on the VSPC port. */
const faces = (server: Node) => ({ vb365: server.vb365, vspc: server.vspc });

// 3. Reads: every ledger's server, HTTPS on the comparison ledger, the bare server and Prism, alternating.
let startupToken: string | undefined;
await phase('reads', async () => {
  const servers = new Map<string, Node>();
  const references: Reference[] = [];
  const subjects: Subject[] = [];
  try {
    for (const [size, ledger] of ledgers) {
      const server = await startServer(ledger.dir, ['--http', ...SERVE_ARGS]);
      servers.set(tallySubject(size), server);
      const auth = { authorization: `Bearer ${await token(server.vb365, 'vb365', ADMIN_PASSWORD)}` };
      if (size === largest) startupToken = auth.authorization.slice('Bearer '.length);
      subjects.push({ id: tallySubject(size), label: `Tally HTTP, ${formatSize(size)} ledger`, base: faces(server), headers: auth, pid: server.child.pid!, exactBytes: true });
    }
    const comparison = ledgers.get(readSize);
    if (comparison) {
      const server = await startServer(comparison.dir, SERVE_ARGS);
      servers.set('tally-https', server);
      const auth = { authorization: `Bearer ${await token(server.vb365, 'vb365', ADMIN_PASSWORD)}` };
      subjects.push({ id: 'tally-https', label: `Tally HTTPS, ${formatSize(readSize)} ledger`, base: faces(server), headers: auth, pid: server.child.pid!, exactBytes: true });
    }
    const bare = await startBare();
    references.push(bare);
    // The same requests as Tally's comparison server gets, token included: the bare server reads
    // none of it, but receiving it is part of the transport both pay.
    const comparisonHeaders = (subjects.find((s) => s.id === tallySubject(readSize)) ?? subjects[0])?.headers ?? {};
    subjects.push({ id: 'bare', label: bare.name, base: { vb365: bare.base, vspc: bare.base }, headers: comparisonHeaders, pid: bare.pid, exactBytes: true });
    const prism = await startPrism(log);
    references.push(prism);
    subjects.push({ id: 'prism', label: prism.name, base: { vb365: prism.base, vspc: prism.base }, headers: { authorization: 'Bearer bench' }, pid: prism.pid, exactBytes: false });
    for (const subject of subjects) await verifyAnswers(subject);

    const measured = await alternate(subjects, readOptions, log);
    for (const [id, byEndpoint] of measured) collected.reads.set(id, { vb365: summarize(byEndpoint.vb365), vspc: summarize(byEndpoint.vspc) });
    // Latency against ledger size (target 3) at a fixed offered load below every server's capacity:
    // at full speed p99 is mostly queueing behind the load generator's own connections.
    const ledgerSubjects = subjects.filter((s) => [...ledgers.keys()].some((size) => s.id === tallySubject(size)));
    log(`latency at a fixed ${latencyRate} req/s`);
    const latency = await alternate(ledgerSubjects, { ...readOptions, rate: latencyRate }, log);
    for (const [id, byEndpoint] of latency) collected.latency.set(id, { vb365: summarize(byEndpoint.vb365), vspc: summarize(byEndpoint.vspc) });
    for (const size of ledgers.keys()) collected.memory.set(size, memoryOf(servers.get(tallySubject(size))!.child.pid!));
    if (servers.has('tally-https')) collected.memory.set(-1, memoryOf(servers.get('tally-https')!.child.pid!));
  } finally {
    for (const server of servers.values()) await server.stop();
    for (const reference of references) await reference.stop();
  }
});

// 4. Start-up to first answer on the largest existing database (no other server running).
const largestLedger = ledgers.get(largest);
if (largestLedger && startupToken) {
  const tokenForStartup = startupToken;
  collected.startupSeconds = await phase(`start-up on the ${formatSize(largest)} ledger`, async () => {
    const times: number[] = [];
    for (let i = 0; i < Number(flags['startup-tries']); i++) {
      times.push(await startupSeconds(largestLedger.dir, ['--http', ...SERVE_ARGS], SEED_PATHS.vb365, tokenForStartup));
      log(`start-up to first answer: ${times.at(-1)!.toFixed(3)} s`);
    }
    return times;
  });
}

// 5. Month-end report.
if (reportLedger) {
  const ledger = reportLedger;
  const monthEnd = await phase(`month-end report (${formatSize(reportAgents)} agents)`, () => measureMonthEnd(ledger.dir, ledger.manifest.plan, Number(flags['report-tries']), log));
  if (monthEnd) {
    collected.monthEnd = {
      agents: ledger.manifest.plan.agents,
      companies: ledger.manifest.plan.companies,
      apiSeconds: monthEnd.apiSeconds,
      cliSeconds: monthEnd.cliSeconds,
      detail: { companiesReported: monthEnd.companiesReported, agentsReported: monthEnd.agentsReported, bytes: monthEnd.bytes, serverMemory: monthEnd.serverMemory },
    };
  }
}

// 6. The record.
const git = (args: string[]) => {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};
const databaseMB = (ledger: Ledger) => +(statSync(path.join(ledger.dir, 'tally.db')).size / 2 ** 20).toFixed(0);
const ledgerRow = (label: string, ledger: Ledger): LedgerRow => ({
  label,
  kind: ledger.manifest.kind,
  workloads: ledger.manifest.size,
  users: ledger.manifest.plan.users,
  organizations: ledger.manifest.plan.organizations,
  agents: ledger.manifest.plan.agents,
  companies: ledger.manifest.plan.companies,
  events: ledger.manifest.events,
  generationSeconds: ledger.manifest.seconds,
  generationEventsPerSecond: ledger.manifest.eventsPerSecond,
  databaseMB: databaseMB(ledger),
});
const readRow = (subject: string, label: string, workloads: number | null, memory: Memory | undefined): ReadRow | undefined => {
  const r = collected.reads.get(subject);
  if (!r) return undefined;
  const pick = (s: (typeof r)['vb365']) => ({ rps: s.rps, p50: s.p50, p99: s.p99, ...(s.cpuUs === undefined ? {} : { cpuUs: s.cpuUs }), failures: s.failures });
  return { subject, label, workloads, vb365: pick(r.vb365), vspc: pick(r.vspc), rssMB: memory?.rssMB ?? null, peakRssMB: memory?.peakRssMB ?? null };
};
// The issue's sizes this run left out, with what generating them would take at the rate the
// largest generated ledger ended with (a lower bound: the rate falls as the ledger grows).
const notRun = [1_000, 100_000, 1_000_000, 10_000_000].filter((s) => !sizes.includes(s) && s > largest).map((s) => {
  const basis = ledgers.get(largest)?.manifest;
  const rate = basis ? (basis.tailEventsPerSecond ?? basis.eventsPerSecond) : undefined;
  const estimate = rate ? `: generating its ledger through the HTTP ingestion path would take at least ${Math.round(s / rate / 60)} min at the rate the ${formatSize(largest)} ledger ended with (${rate.toLocaleString('en-US')} events/s, falling as the ledger grows)` : '';
  return `${formatSize(s)} workloads${estimate}. Include it with \`npm run bench -- --sizes ${[...sizes, s].map(formatSize).join(',')}\` (the ledger is cached for later runs).`;
});
const cpus = os.cpus();
const report: BenchReport = {
  benchmark: 'issue-7',
  date: new Date().toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  git: { commit: git(['rev-parse', 'HEAD']), dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '' },
  machine: {
    cpus: cpus.map((c) => ({ model: c.model, speed: c.speed })),
    cpuCount: cpus.length,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: os.release(),
  },
  parameters: {
    sizes: sizes.map(formatSize),
    readSize: formatSize(readSize),
    readSeconds: readOptions.seconds,
    warmupSeconds: readOptions.warmupSeconds,
    rounds: readOptions.rounds,
    connections: readOptions.connections,
    latencyRate,
    ingestEvents,
    ingestRounds: Number(flags['ingest-rounds']),
    reportAgents,
    clock: SERVE_ARGS[SERVE_ARGS.indexOf('--clock') + 1],
    loadGenerator: `${generatorLabel} in its own process at nice 10; fixed-rate latency bench/latency-client.ts and ingestion client bench/ingest-client.ts at nice 10`,
  },
  ledgers: [
    ...[...ledgers].map(([size, ledger]) => ledgerRow(`${formatSize(size)} workloads`, ledger)),
    ...(reportLedger ? [ledgerRow(`report: ${formatSize(reportAgents)} agents`, reportLedger)] : []),
  ],
  reads: [
    ...[...ledgers.keys()].map((size) => readRow(tallySubject(size), `Tally HTTP, ${formatSize(size)} ledger`, size, collected.memory.get(size))),
    readRow('tally-https', `Tally HTTPS, ${formatSize(readSize)} ledger`, readSize, collected.memory.get(-1)),
    readRow('bare', 'bare node:http, same bytes', null, undefined),
    readRow('prism', 'Prism mock (@stoplight/prism-cli 5)', null, undefined),
  ].filter((r): r is ReadRow => r !== undefined),
  latency: [...ledgers.keys()].flatMap((size) => {
    const r = collected.latency.get(tallySubject(size));
    if (!r) return [];
    const pick = (s: (typeof r)['vb365']) => ({ rps: s.rps, p50: s.p50, p99: s.p99, failures: s.failures });
    return [{ label: `Tally HTTP, ${formatSize(size)} ledger`, workloads: size, vb365: pick(r.vb365), vspc: pick(r.vspc) }];
  }),
  measurements: targets(collected),
  notRun,
  errors,
};
writeReport(report);
log(`wrote bench/results/latest.json and bench/README.md`);
if (!flags['no-mixed']) await mixedPhase();
for (const m of report.measurements) log(`${m.id.padEnd(8)} ${m.verdict.padEnd(12)} ${m.value ?? '–'} ${m.unit}  ${m.target}`);
process.exit(errors.length > 0 ? 1 : 0);
