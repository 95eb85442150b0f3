/**
 * The run's record: bench/results/latest.json, and the tables between the `bench:start` and
 * `bench:end` markers of bench/README.md (the rest of the README, including the PostgreSQL
 * section, is left as it is).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib.js';

export type Verdict = 'pass' | 'fail' | 'recorded' | 'not measured';

export interface Measurement {
  id: string;
  target: string;
  /** What was measured for Tally and for the reference, as the table shows them. */
  tally: string;
  reference: string;
  /** The compared number: a ratio (Tally ÷ reference) or a value in `unit`. */
  value: number | null;
  unit: string;
  /** The target's bound; null where the issue asks only to record. */
  threshold: number | null;
  comparison: '>=' | '<=' | null;
  verdict: Verdict;
  /** False when the run did not include the scale the target is defined at (see note). */
  atTargetScale: boolean;
  note?: string;
  /** Raw numbers behind the row (req/s, p50, p99 per round, …). */
  detail: Record<string, unknown>;
}

export function judge(value: number | null, threshold: number | null, comparison: '>=' | '<=' | null): Verdict {
  if (value === null || !Number.isFinite(value)) return 'not measured';
  if (threshold === null || comparison === null) return 'recorded';
  return (comparison === '>=' ? value >= threshold : value <= threshold) ? 'pass' : 'fail';
}

export interface ReadRow {
  subject: string;
  label: string;
  workloads: number | null;
  vb365: { rps: number; p50: number; p99: number; cpuUs?: number; failures: number };
  vspc: { rps: number; p50: number; p99: number; cpuUs?: number; failures: number };
  rssMB: number | null;
  peakRssMB: number | null;
}

export interface LatencyRow {
  label: string;
  workloads: number;
  vb365: { rps: number; p50: number; p99: number; failures: number };
  vspc: { rps: number; p50: number; p99: number; failures: number };
}

export interface LedgerRow {
  label: string;
  kind: string;
  workloads: number;
  users: number;
  organizations: number;
  agents: number;
  companies: number;
  events: number;
  generationSeconds: number;
  generationEventsPerSecond: number;
  databaseMB: number;
}

export interface BenchReport {
  benchmark: 'issue-7';
  date: string;
  command: string;
  git: { commit: string; dirty: boolean };
  machine: {
    cpus: { model: string; speed: number }[];
    cpuCount: number;
    memoryGB: number;
    node: string;
    platform: string;
    kernel: string;
  };
  parameters: Record<string, unknown>;
  ledgers: LedgerRow[];
  reads: ReadRow[];
  latency: LatencyRow[];
  measurements: Measurement[];
  /** Sizes of the issue's set this run left out, and why. */
  notRun: string[];
  errors: string[];
}

const fmt = (n: number | null, digits = 2) => (n === null || !Number.isFinite(n) ? '–' : n >= 1000 ? Math.round(n).toLocaleString('en-US') : String(+n.toFixed(digits)));
const size = (n: number | null) => (n === null ? '–' : n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1_000 ? `${n / 1_000}k` : String(n));
const mark: Record<Verdict, string> = { pass: '✅ pass', fail: '❌ fail', recorded: 'recorded', 'not measured': 'not measured' };

export function markdown(report: BenchReport): string {
  const m = report.machine;
  const p = report.parameters;
  const lines: string[] = [];
  lines.push('| # | target | Tally | reference | measured | target | result |', '|---|---|---|---|---|---|---|');
  for (const r of report.measurements) {
    const bound = r.threshold === null ? '–' : `${r.comparison === '>=' ? '≥' : '≤'} ${fmt(r.threshold)}${r.unit === '×' ? '×' : ` ${r.unit}`}`;
    const value = r.value === null ? '–' : `${fmt(r.value)}${r.unit === '×' ? '×' : ` ${r.unit}`}`;
    const scale = r.atTargetScale ? '' : ' (smaller scale)';
    lines.push(`| ${r.id} | ${r.target} | ${r.tally} | ${r.reference} | ${value} | ${bound} | ${mark[r.verdict]}${scale} |`);
  }
  const notes = report.measurements.filter((r) => r.note);
  if (notes.length > 0) {
    lines.push('');
    for (const r of notes) lines.push(`- ${r.id}: ${r.note}`);
  }
  lines.push('', 'Reads (requests/s, latency in ms, the server\'s CPU per request in µs; bearer token checked on every Tally request):', '');
  lines.push('| server | workloads | VB365 req/s | p50 | p99 | CPU µs | VSPC req/s | p50 | p99 | CPU µs | RSS MB (peak) |', '|---|---|---|---|---|---|---|---|---|---|---|');
  const failed = (x: { failures: number }) => (x.failures > 0 ? ` (${x.failures} failed)` : '');
  for (const r of report.reads) {
    const rss = r.rssMB === null ? '–' : `${fmt(r.rssMB, 0)} (${fmt(r.peakRssMB, 0)})`;
    const cpu = (s: { cpuUs?: number }) => (s.cpuUs === undefined ? '–' : fmt(s.cpuUs, 1));
    lines.push(`| ${r.label} | ${size(r.workloads)} | ${fmt(r.vb365.rps)}${failed(r.vb365)} | ${fmt(r.vb365.p50)} | ${fmt(r.vb365.p99)} | ${cpu(r.vb365)} | ${fmt(r.vspc.rps)}${failed(r.vspc)} | ${fmt(r.vspc.p50)} | ${fmt(r.vspc.p99)} | ${cpu(r.vspc)} | ${rss} |`);
  }
  if (report.latency.length > 0) {
    lines.push('', `Latency against ledger size at a fixed ${p.latencyRate} req/s offered (ms):`, '');
    lines.push('| server | workloads | VB365 p50 | p99 | VSPC p50 | p99 |', '|---|---|---|---|---|---|');
    for (const r of report.latency) {
      lines.push(`| ${r.label} | ${size(r.workloads)} | ${fmt(r.vb365.p50)} | ${fmt(r.vb365.p99)}${failed(r.vb365)} | ${fmt(r.vspc.p50)} | ${fmt(r.vspc.p99)}${failed(r.vspc)} |`);
    }
  }
  lines.push('', 'Ledgers (generated through `POST /tally/v1/events`, NDJSON batches of 10,000 on 4 connections, and cached in `bench/.cache/ledgers`: ' +
    'the generation figures are those of the run that generated each ledger, with the code of that day; later migrations upgrade the cached databases as they would a user\'s):', '');
  lines.push('| ledger | users (organizations) | agents (companies) | events | generated in | events/s | database MB |', '|---|---|---|---|---|---|---|');
  for (const l of report.ledgers) {
    lines.push(`| ${l.label} | ${fmt(l.users)} (${fmt(l.organizations)}) | ${fmt(l.agents)} (${fmt(l.companies)}) | ${fmt(l.events)} | ${fmt(l.generationSeconds, 1)} s | ${fmt(l.generationEventsPerSecond)} | ${fmt(l.databaseMB, 0)} |`);
  }
  if (report.notRun.length > 0) {
    lines.push('', 'Not run:', '', ...report.notRun.map((e) => `- ${e}`));
  }
  if (report.errors.length > 0) {
    lines.push('', 'Errors in this run:', '', ...report.errors.map((e) => `- ${e}`));
  }
  lines.push(
    '',
    `${m.cpuCount} × ${m.cpus[0]?.model ?? 'unknown CPU'}, ${m.memoryGB} GB, Node ${m.node}, ${m.platform} ${m.kernel}; ` +
      `commit ${report.git.commit.slice(0, 12)}${report.git.dirty ? ' (with uncommitted changes)' : ''}; ${report.date.slice(0, 16).replace('T', ' ')} UTC. ` +
      `Reads: ${p.rounds} alternating rounds of ${p.readSeconds} s after ${p.warmupSeconds} s of warm-up, ${p.connections} connections; load: ${p.loadGenerator}. ` +
      `Reproduce: \`${report.command}\`.`,
  );
  return lines.join('\n');
}

export function writeReport(report: BenchReport): void {
  writeFileSync(path.join(ROOT, 'bench', 'results', 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  const readmePath = path.join(ROOT, 'bench', 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const section = `<!-- bench:start -->\n${markdown(report)}\n<!-- bench:end -->`;
  if (!/<!-- bench:start -->[\s\S]*<!-- bench:end -->/.test(readme)) throw new Error('bench/README.md has no <!-- bench:start --> … <!-- bench:end --> markers');
  writeFileSync(readmePath, readme.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, () => section));
}
