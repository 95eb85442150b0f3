/**
 * Latency at a fixed offered load (target 3), with sub-millisecond resolution: autocannon records
 * latency in whole milliseconds, and the polled answers take 2–4 ms at p99 at 100 requests/s, so a
 * step of its histogram was a third of the value and a 1.2 bound could not be told from noise.
 *
 * Sends `rate` GET requests a second, spread evenly over `connections` keep-alive connections,
 * for `warmupSeconds` (not recorded) and then `seconds`; each latency is measured from sending the
 * request to the end of its response with `process.hrtime`. At an offered load far below the
 * server's capacity (100 requests/s against tens of thousands) no request waits for an earlier
 * one, so measuring from the send is not hiding queueing (coordinated omission) here. Prints one
 * JSON line in the shape of bench/lib.ts's LoadResult (latencies in ms, to the microsecond).
 *
 *   node --import tsx bench/latency-client.ts '{"url":"http://…","headers":{…},"rate":100,"seconds":10,"warmupSeconds":3,"connections":10}'
 */
import http from 'node:http';

interface Options {
  url: string;
  headers: Record<string, string>;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
/** A request with no answer after this long counts as a timeout (as autocannon's 10 s). */
const TIMEOUT_MS = 10_000;

interface Outcome {
  ms: number;
  status: number;
}

function send(): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const request = http.get(options.url, { agent, headers: options.headers, timeout: TIMEOUT_MS }, (response) => {
      response.resume();
      response.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: response.statusCode ?? 0 }));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error) => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: error.message === 'timeout' ? -1 : 0 }));
  });
}

/** Sends at the fixed rate for `seconds`; resolves with every outcome once all have answered. */
async function run(seconds: number): Promise<Outcome[]> {
  const total = Math.round(seconds * options.rate);
  const interval = 1000 / options.rate;
  const start = performance.now();
  const pending: Promise<Outcome>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(send());
  }
  return Promise.all(pending);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (ms: number) => +ms.toFixed(3);

if (options.warmupSeconds > 0) await run(options.warmupSeconds);
const started = performance.now();
const outcomes = await run(options.seconds);
const elapsed = (performance.now() - started) / 1000;
const ok = outcomes.filter((o) => o.status >= 200 && o.status < 300);
const latencies = ok.map((o) => o.ms).sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({
  rps: ok.length / elapsed,
  p50: round(percentile(latencies, 50)),
  p90: round(percentile(latencies, 90)),
  p99: round(percentile(latencies, 99)),
  max: round(latencies.at(-1) ?? 0),
  requests: ok.length,
  warmupRequests: 0,
  non2xx: outcomes.filter((o) => o.status > 0 && (o.status < 200 || o.status >= 300)).length,
  errors: outcomes.filter((o) => o.status === 0).length,
  timeouts: outcomes.filter((o) => o.status === -1).length,
})}\n`);
agent.destroy();
