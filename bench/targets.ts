/**
 * The seven targets of issue #7, each turned into a row from what the run measured: the compared
 * number, its bound, the verdict, and whether the run reached the scale the target is defined at.
 */
import { formatSize } from './ledger.js';
import type { Summary } from './reads.js';
import { judge, type Measurement } from './results.js';
import type { Memory } from './server-probes.js';
import { ENDPOINTS, type Endpoint } from './seed.js';

const MILLION = 1_000_000;
const THOUSAND = 1_000;

export interface Collected {
  sizes: number[];
  /** The ledger size the reads comparisons (targets 1, 2, 7) ran on: 1M when the run includes it. */
  readSize: number | null;
  /** Saturating load (as fast as answered). */
  reads: Map<string, Record<Endpoint, Summary>>;
  /** The offered load of the latency measurements, and their results per ledger server. */
  latencyRate: number;
  latency: Map<string, Record<Endpoint, Summary>>;
  memory: Map<number, Memory>;
  ingestion?: { events: number; tallyEventsPerSecond: number; rawEventsPerSecond: number; ledgerOnlyEventsPerSecond: number; detail: Record<string, unknown> };
  monthEnd?: { agents: number; companies: number; apiSeconds: number[]; cliSeconds: number; detail: Record<string, unknown> };
  startupSeconds?: number[];
}

export const tallySubject = (size: number) => `tally-${formatSize(size)}`;
const FACE: Record<Endpoint, string> = { vb365: 'VB365 LicensingInformation', vspc: 'VSPC usage by tenant' };
const reads = (s: Summary | undefined) =>
  s ? `${s.rps.toLocaleString('en-US')} req/s, p99 ${s.p99} ms${s.cpuUs === undefined ? '' : `, ${s.cpuUs} µs CPU/req`}${s.failures > 0 ? `, ${s.failures} failed (timeouts or errors)` : ''}` : '–';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? null : +(a / b).toFixed(3));

function row(r: Omit<Measurement, 'verdict'>): Measurement {
  return { ...r, verdict: judge(r.value, r.threshold, r.comparison) };
}

export function targets(c: Collected): Measurement[] {
  const out: Measurement[] = [];
  const at = c.readSize;
  const tally = at === null ? undefined : c.reads.get(tallySubject(at));
  const scaleNote = at === MILLION ? undefined : `measured on the ${at === null ? '–' : formatSize(at)} ledger; the target is defined at 1M workloads`;

  // 1. Reads against a bare node:http server answering the same bytes, both over plain HTTP.
  for (const e of ENDPOINTS) {
    const bare = c.reads.get('bare')?.[e];
    out.push(row({
      id: `1-${e}`, target: `Reads, ${FACE[e]}, ${at === null ? '' : formatSize(at)} ledger, vs bare node:http (same bytes, HTTP)`,
      tally: reads(tally?.[e]), reference: reads(bare), value: ratio(tally?.[e].rps, bare?.rps), unit: '×', threshold: 0.8, comparison: '>=',
      atTargetScale: at === MILLION, ...(scaleNote ? { note: scaleNote } : {}), detail: { tally: tally?.[e], bare },
    }));
  }
  // 1, by CPU: the same loads, the servers' CPU per request (bare ÷ Tally: above 1 is Tally cheaper).
  // Throughput alone compresses toward 1 when the load generator, not the server, is the limit.
  for (const e of ENDPOINTS) {
    const bare = c.reads.get('bare')?.[e];
    out.push(row({
      id: `1cpu-${e}`, target: `Reads by server CPU per request, ${FACE[e]}, ${at === null ? '' : formatSize(at)} ledger: bare ÷ Tally (same loads as 1)`,
      tally: tally?.[e].cpuUs === undefined ? '–' : `${tally[e].cpuUs} µs/request`, reference: bare?.cpuUs === undefined ? '–' : `${bare.cpuUs} µs/request`,
      value: ratio(bare?.cpuUs, tally?.[e].cpuUs), unit: '×', threshold: 0.8, comparison: '>=',
      atTargetScale: at === MILLION, ...(scaleNote ? { note: scaleNote } : {}), detail: { tally: tally?.[e].cpuUs, bare: bare?.cpuUs },
    }));
  }
  // 2. Reads against a Prism mock of the same paths.
  for (const e of ENDPOINTS) {
    const prism = c.reads.get('prism')?.[e];
    out.push(row({
      id: `2-${e}`, target: `Reads, ${FACE[e]}, vs Prism mock (OpenAPI examples)`,
      tally: reads(tally?.[e]), reference: reads(prism), value: ratio(tally?.[e].rps, prism?.rps), unit: '×', threshold: 20, comparison: '>=',
      atTargetScale: at === MILLION, ...(scaleNote ? { note: scaleNote } : {}), detail: { tally: tally?.[e], prism },
    }));
  }
  // 3. Flat reads: p99 on the largest ledger against p99 on the smallest, at a fixed offered load.
  const smallest = Math.min(...c.sizes);
  const largest = Math.max(...c.sizes);
  for (const e of ENDPOINTS) {
    const small = c.latency.get(tallySubject(smallest))?.[e];
    const large = c.latency.get(tallySubject(largest))?.[e];
    const full = smallest === THOUSAND && largest === 10 * MILLION;
    out.push(row({
      id: `3-${e}`, target: `Flat reads, ${FACE[e]}: p99 at ${formatSize(largest)} ÷ p99 at ${formatSize(smallest)}, ${c.latencyRate} req/s offered`,
      tally: large ? `p99 ${large.p99} ms (${formatSize(largest)})${large.failures > 0 ? `, ${large.failures} failed` : ''}` : '–',
      reference: small ? `p99 ${small.p99} ms (${formatSize(smallest)})${small.failures > 0 ? `, ${small.failures} failed` : ''}` : '–',
      value: ratio(large?.p99, small?.p99), unit: '×', threshold: 1.2, comparison: '<=', atTargetScale: full,
      ...(full ? {} : { note: `the run covered ${formatSize(smallest)} to ${formatSize(largest)} workloads; the target compares 10M with 1k` }),
      detail: { small, large },
    }));
  }
  // 4. Ingestion over HTTP, absolute and against the raw insert of the same rows.
  const ing = c.ingestion;
  out.push(row({
    id: '4-rate', target: `Ingestion over HTTP into SQLite (${ing ? ing.events.toLocaleString('en-US') : '–'} events, NDJSON)`,
    tally: ing ? `${ing.tallyEventsPerSecond.toLocaleString('en-US')} events/s` : '–', reference: '–',
    value: ing?.tallyEventsPerSecond ?? null, unit: 'events/s', threshold: 100_000, comparison: '>=', atTargetScale: true, detail: ing?.detail ?? {},
  }));
  out.push(row({
    id: '4-raw', target: 'Ingestion vs raw better-sqlite3 insert of the same rows (one process)',
    tally: ing ? `${ing.tallyEventsPerSecond.toLocaleString('en-US')} events/s` : '–', reference: ing ? `${ing.rawEventsPerSecond.toLocaleString('en-US')} events/s` : '–',
    value: ratio(ing?.tallyEventsPerSecond, ing?.rawEventsPerSecond), unit: '×', threshold: 0.6, comparison: '>=', atTargetScale: true, detail: ing?.detail ?? {},
  }));
  // About the most a design that acknowledged batches once in the ledger could reach with this layout.
  out.push(row({
    id: '4-log', target: 'Raw better-sqlite3 insert of the ledger rows alone (`events`, no read models, same transactions)',
    tally: '–', reference: ing ? `${ing.ledgerOnlyEventsPerSecond.toLocaleString('en-US')} events/s` : '–',
    value: ing?.ledgerOnlyEventsPerSecond ?? null, unit: 'events/s', threshold: null, comparison: null, atTargetScale: true, detail: ing?.detail ?? {},
  }));
  // 5. Month-end report.
  const me = c.monthEnd;
  const fullReport = me !== undefined && me.agents >= MILLION && me.companies >= 10_000;
  out.push(row({
    id: '5', target: `Month-end report (${me ? `${me.companies.toLocaleString('en-US')} companies, ${formatSize(me.agents)} agents` : '–'}), admin API, median of ${me?.apiSeconds.length ?? 0}`,
    tally: me ? `${me.apiSeconds.join(' / ')} s (CLI ${me.cliSeconds} s)` : '–', reference: '–',
    value: me ? median(me.apiSeconds) : null, unit: 's', threshold: 1, comparison: '<=', atTargetScale: fullReport,
    ...(me && !fullReport ? { note: `report ledger of ${formatSize(me.agents)} agents in ${me.companies} companies; the target is 1M agents in 10,000 companies` } : {}),
    detail: me?.detail ?? {},
  }));
  // 6. Memory with the largest ledger, and start-up on an existing database.
  const memory = c.memory.get(largest);
  out.push(row({
    id: '6-rss', target: `Server RSS after the read load, ${formatSize(largest)} ledger`,
    tally: memory ? `${memory.rssMB} MB (peak ${memory.peakRssMB} MB)` : '–', reference: '–',
    value: memory?.rssMB ?? null, unit: 'MB', threshold: 150, comparison: '<=', atTargetScale: largest === 10 * MILLION,
    ...(largest === 10 * MILLION ? {} : { note: `largest ledger in this run: ${formatSize(largest)}; the target is defined at 10M` }),
    detail: { ...memory },
  }));
  const startup = c.startupSeconds;
  out.push(row({
    id: '6-start', target: `Start-up to first answer on an existing database (${formatSize(largest)} ledger), median of ${startup?.length ?? 0}`,
    tally: startup ? `${startup.map((s) => s.toFixed(3)).join(' / ')} s` : '–', reference: '–',
    value: startup ? +median(startup).toFixed(3) : null, unit: 's', threshold: 1, comparison: '<=', atTargetScale: true,
    detail: { seconds: startup },
  }));
  // 7. HTTPS against plain HTTP on the same server and ledger.
  for (const e of ENDPOINTS) {
    const https = c.reads.get('tally-https')?.[e];
    out.push(row({
      id: `7-${e}`, target: `HTTPS ÷ HTTP throughput, ${FACE[e]}, ${at === null ? '' : formatSize(at)} ledger`,
      tally: `HTTPS ${reads(https)}`, reference: `HTTP ${reads(tally?.[e])}`, value: ratio(https?.rps, tally?.[e].rps), unit: '×', threshold: null, comparison: null,
      atTargetScale: true, detail: { https, http: tally?.[e] },
    }));
  }
  return out;
}
