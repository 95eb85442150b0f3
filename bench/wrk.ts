/**
 * The read load from wrk (https://github.com/wg/wrk), a load generator written in C: one thread
 * costs a few microseconds of CPU per request, against about ten for autocannon's Node process.
 * On two cores the load generator and the server under test each get one; with autocannon the
 * generator was often the limit, so every fast server measured about what autocannon could send
 * and throughput ratios tended to 1 whatever the servers cost. wrk is a system package
 * (`apt-get install wrk`), not an npm dependency; without it the bench falls back to autocannon.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT, type LoadOptions, type LoadResult } from './lib.js';

const REPORT_SCRIPT = path.join(ROOT, 'bench', 'wrk-report.lua');

/** wrk's version line when it is on the PATH, undefined otherwise. */
export function wrkVersion(): string | undefined {
  // `wrk -v` prints its version (and usage) on standard output; 4.1 exits with status 1.
  const result = spawnSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return /^wrk [^\n]*/m.exec(result.stdout ?? '')?.[0]?.trim();
}

interface WrkSummary {
  requests: number;
  durationUs: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** One wrk run in its own process: one thread, `connections` keep-alive connections, `seconds` long. */
function runWrk(url: string, headers: Record<string, string>, seconds: number, connections: number, nice: number | undefined): Promise<WrkSummary> {
  const args = ['-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', REPORT_SCRIPT];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  const [command, commandArgs] = nice === undefined ? ['wrk', args] : ['nice', ['-n', String(nice), 'wrk', ...args]];
  const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  // Bounded even if the server under test stops answering.
  const limit = setTimeout(() => child.kill('SIGKILL'), (seconds + 60) * 1000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    // 'close', not 'exit': the summary must have been read from the pipe.
    child.on('close', () => {
      clearTimeout(limit);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) {
        reject(new Error(`wrk output: ${(out + err).slice(0, 300)}`));
        return;
      }
      resolve(JSON.parse(line) as WrkSummary);
    });
  });
}

/**
 * As fast as the server answers, after `warmupSeconds` of the same load (a run of its own, on its
 * own connections) whose answers are counted apart, as autocannon's --warmup.
 *
 * What the numbers mean, where they differ from autocannon's:
 * - Latencies are in milliseconds, to the microsecond, but wrk adds samples to its percentiles to
 *   correct for coordinated omission (every answer slower than twice the mean interval of its
 *   connection); at full speed they are not comparable with bench/latency-client.ts, which target
 *   3 uses. `max` is as measured.
 * - `non2xx` is wrk's status errors: answers of 400 or more (3xx are not counted).
 * - An answer slower than --timeout counts as a request and a timeout; requests still open when the
 *   run ends are not counted at all, so a server that stalls shows as 0 requests/s.
 * - wrk's durations are whole seconds.
 */
export async function wrk(url: string, headers: Record<string, string>, seconds: number, connections: number, options: LoadOptions = {}): Promise<LoadResult> {
  if (options.rate) throw new Error('wrk sends as fast as answered; a fixed rate is bench/latency-client.ts');
  const warmup = options.warmupSeconds ? await runWrk(url, headers, options.warmupSeconds, connections, options.nice) : undefined;
  const r = await runWrk(url, headers, seconds, connections, options.nice);
  return {
    rps: r.requests / (r.durationUs / 1e6),
    p50: r.p50 / 1000,
    p90: r.p90 / 1000,
    p99: r.p99 / 1000,
    max: r.max / 1000,
    requests: r.requests,
    warmupRequests: warmup?.requests ?? 0,
    non2xx: r.statusErrors,
    errors: r.connectErrors + r.readErrors + r.writeErrors,
    timeouts: r.timeouts,
  };
}
