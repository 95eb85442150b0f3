/**
 * Load for the mixed-load bench (bench/mixed.ts), run as its own process (niced by the caller).
 * Prints one JSON line with its result.
 *
 * - `open`: GETs `url` at a fixed `rate` for `seconds`, each latency measured from the request's
 *   **intended** send time (start + i / rate) to the end of its answer, so that a server that
 *   stalls is charged for every request that should have been sent meanwhile (no coordinated
 *   omission). Requests are sent on time whatever is outstanding (keep-alive connections, up to
 *   `connections`, more are opened when needed).
 * - `closed`: `connections` loops GET `url` back to back for `seconds`; counts answers per
 *   `windowSeconds` (the soak: read throughput must not fall as the ledger grows).
 * - `ingest`: POSTs NDJSON batches of `batch` synthetic backups (unique ids with `prefix`) on
 *   `connections` connections as fast as they are accepted, for `seconds`.
 *
 *   node --import tsx bench/mixed-client.ts '{"mode":"open","url":"http://…","headers":{…},"rate":100,"seconds":20}'
 */
import http from 'node:http';

interface Options {
  mode: 'open' | 'closed' | 'ingest';
  url: string;
  headers: Record<string, string>;
  seconds: number;
  rate?: number;
  connections?: number;
  windowSeconds?: number;
  batch?: number;
  prefix?: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const agent = new http.Agent({ keepAlive: true, maxSockets: options.mode === 'open' ? 256 : (options.connections ?? 4) });
const TIMEOUT_MS = 30_000;
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

function send(method: string, url: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const request = http.request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: TIMEOUT_MS }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(0));
    request.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const round = (ms: number) => +ms.toFixed(3);

async function open(): Promise<void> {
  const rate = options.rate ?? 100;
  const total = Math.round(options.seconds * rate);
  const start = performance.now() + 50;
  const latencies: number[] = [];
  let failed = 0;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(send('GET', options.url, options.headers).then((status) => {
      if (status >= 200 && status < 300) latencies.push(performance.now() - due);
      else failed++;
    }));
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  print({ requests: latencies.length, failed, p50: round(percentile(latencies, 50)), p90: round(percentile(latencies, 90)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1) ?? 0) });
}

async function closed(): Promise<void> {
  const windowMs = (options.windowSeconds ?? 30) * 1000;
  const start = performance.now();
  const end = start + options.seconds * 1000;
  const windows: number[] = [];
  let failed = 0;
  await Promise.all(Array.from({ length: options.connections ?? 4 }, async () => {
    while (performance.now() < end) {
      const status = await send('GET', options.url, options.headers);
      if (status < 200 || status >= 300) {
        failed++;
        continue;
      }
      const w = Math.floor((performance.now() - start) / windowMs);
      if (performance.now() <= end) windows[w] = (windows[w] ?? 0) + 1;
    }
  }));
  print({ windowSeconds: windowMs / 1000, windows: Array.from(windows, (n) => n ?? 0), failed });
}

const ORGS = 20;
function* batches(prefix: string, size: number): Generator<string> {
  const at = '2026-11-19T00:00:00Z';
  for (let b = 0; ; b++) {
    const lines: string[] = [];
    for (let i = 0; i < size; i++) {
      const n = b * size + i;
      const org = `0f000000-0000-4000-8000-${(n % ORGS).toString(16).padStart(12, '0')}`;
      lines.push(JSON.stringify({ id: `${prefix}-${n}`, type: 'vb365.backup', at, organizationId: org, user: { id: `${prefix}-user-${n % 200_000}`, name: `user ${n % 200_000}` } }));
    }
    yield `${lines.join('\n')}\n`;
  }
}

async function ingest(): Promise<void> {
  const source = batches(options.prefix ?? `mixed-${Date.now()}`, options.batch ?? 10_000);
  const headers = { ...options.headers, 'content-type': 'application/x-ndjson' };
  // Built ahead, so that building batches does not slow the client down.
  const ready = Array.from({ length: 8 }, () => source.next().value as string);
  const started = performance.now();
  const end = started + options.seconds * 1000;
  let events = 0;
  let failed = 0;
  await Promise.all(Array.from({ length: options.connections ?? 4 }, async () => {
    while (performance.now() < end) {
      const body = ready.shift() ?? (source.next().value as string);
      ready.push(source.next().value as string);
      const status = await send('POST', `${options.url}/tally/v1/events`, headers, body);
      if (status === 200) events += options.batch ?? 10_000;
      else failed++;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  print({ events, seconds, eventsPerSecond: events / seconds, failed });
}

if (options.mode === 'open') await open();
else if (options.mode === 'closed') await closed();
else await ingest();
agent.destroy();
