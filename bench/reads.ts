/**
 * Read load, alternating subjects: in every round each subject is measured once per endpoint, in
 * reverse order every other round, so that drift in the machine's load (2 shared cores) falls on
 * every subject alike and the ratios of one run hold even when absolute numbers move.
 */
import { runBenchProgram } from './child.js';
import { autocannon, call, type LoadGenerator, type LoadResult } from './lib.js';
import { ENDPOINTS, SEED_BODIES, SEED_PATHS, type Endpoint } from './seed.js';
import { cpuTicks, settle, TICKS_PER_SECOND } from './server-probes.js';
import { wrk } from './wrk.js';

export interface Subject {
  id: string;
  label: string;
  /** Where each endpoint is served: Tally has one listener per face, the references one for both. */
  base: Record<Endpoint, string>;
  headers: Record<string, string>;
  /** The server's process, watched until it is idle again after each measurement. */
  pid: number;
  /** Answers the seed bodies byte for byte (Tally, bare) or only as equal JSON (Prism). */
  exactBytes: boolean;
}

export interface ReadOptions {
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  /** Offered load in requests per second; undefined: as fast as the subject answers. */
  rate?: number;
  /** What sends the load when it is as fast as answered (bench/wrk.ts). */
  generator: LoadGenerator;
}

export type Measurements = Map<string, Record<Endpoint, LoadResult[]>>;

/** Refuses to measure a subject that does not answer the seed body: a fast wrong answer proves nothing. */
export async function verifyAnswers(subject: Subject): Promise<void> {
  for (const endpoint of ENDPOINTS) {
    const response = await call('GET', `${subject.base[endpoint]}${SEED_PATHS[endpoint]}`, subject.headers);
    const text = response.text;
    const same = subject.exactBytes ? text === SEED_BODIES[endpoint] : JSON.stringify(JSON.parse(text)) === JSON.stringify(JSON.parse(SEED_BODIES[endpoint]));
    if (response.status !== 200 || !same) {
      throw new Error(`${subject.label} ${SEED_PATHS[endpoint]} answered ${response.status} ${text.slice(0, 400)}; expected the seed body`);
    }
  }
}

export async function alternate(subjects: Subject[], options: ReadOptions, log: (line: string) => void): Promise<Measurements> {
  const results: Measurements = new Map(subjects.map((s) => [s.id, { vb365: [], vspc: [] }]));
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? subjects : [...subjects].reverse();
    for (const endpoint of ENDPOINTS) {
      for (const subject of order) {
        const cpuBefore = cpuTicks(subject.pid);
        const url = `${subject.base[endpoint]}${SEED_PATHS[endpoint]}`;
        // At a fixed offered load, latency is what is compared: measured to the microsecond by
        // bench/latency-client.ts (autocannon's histogram has whole milliseconds).
        const result = options.rate
          ? await runBenchProgram<LoadResult>('latency-client.ts', {
            url, headers: subject.headers, rate: options.rate, seconds: options.seconds, warmupSeconds: options.warmupSeconds, connections: options.connections,
          }, { nice: 10 })
          : await (options.generator === 'wrk' ? wrk : autocannon)(url, subject.headers, options.seconds, options.connections, { nice: 10, warmupSeconds: options.warmupSeconds });
        results.get(subject.id)![endpoint].push(result);
        // Failures are recorded, not fatal: a server too slow to answer within the generator's 10 s
        // timeout is a result too.
        const failures = result.non2xx + result.errors + result.timeouts;
        const idle = await settle(subject.pid);
        // The server's CPU over the whole load (warm-up included), per request answered: unlike
        // throughput, it does not depend on whether the load generator kept up.
        const answered = result.requests + result.warmupRequests;
        if (answered > 0) result.cpuUsPerRequest = ((cpuTicks(subject.pid) - cpuBefore) * 1e6) / TICKS_PER_SECOND / answered;
        log(`round ${round + 1}/${options.rounds}${options.rate ? ` at ${options.rate} req/s` : ''} ${endpoint.padEnd(5)} ${subject.label.padEnd(34)} ${Math.round(result.rps).toString().padStart(6)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms${result.cpuUsPerRequest === undefined ? '' : `  ${result.cpuUsPerRequest.toFixed(1)} µs CPU/req`}` +
          `${failures > 0 ? `  ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts` : ''}${idle > 1 ? `  (busy ${idle.toFixed(1)} s after the load)` : ''}`);
      }
    }
  }
  return results;
}

export interface Summary {
  rps: number;
  p50: number;
  p99: number;
  /** The server's CPU per request answered, in µs (median over the rounds). */
  cpuUs?: number;
  /** Non-2xx answers, connection errors and timeouts over all rounds. */
  failures: number;
  rounds: { rps: number; p50: number; p99: number; cpuUs?: number; non2xx: number; errors: number; timeouts: number }[];
}

/**
 * Medians over the rounds: on a machine shared with colleagues one round can catch a burst of
 * someone else's work, and a median is not pulled by it.
 */
export function summarize(runs: LoadResult[]): Summary {
  const median = (f: (r: LoadResult) => number) => {
    const xs = runs.map(f).sort((a, b) => a - b);
    const mid = Math.floor(xs.length / 2);
    return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
  };
  return {
    rps: Math.round(median((r) => r.rps)),
    p50: +median((r) => r.p50).toFixed(2),
    p99: +median((r) => r.p99).toFixed(2),
    ...(runs.every((r) => r.cpuUsPerRequest !== undefined) && runs.length > 0 ? { cpuUs: +median((r) => r.cpuUsPerRequest!).toFixed(2) } : {}),
    failures: runs.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0),
    rounds: runs.map((r) => ({ rps: Math.round(r.rps), p50: r.p50, p99: r.p99, ...(r.cpuUsPerRequest === undefined ? {} : { cpuUs: +r.cpuUsPerRequest.toFixed(2) }), non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts })),
  };
}
