/**
 * Benchmark plumbing: start `tally serve` (the built dist/cli.js) as a separate process, feed it
 * through the real ingestion API, and drive load with autocannon (or wrk, bench/wrk.ts) in yet
 * another process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false, maxSockets: 16 });
const plainAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });

export interface Node {
  child: ChildProcess;
  vb365: string;
  vspc: string;
  stop(): Promise<void>;
}

/** A server on a throw-away data directory, removed when it stops. */
export async function startNode(args: string[]): Promise<Node> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tally-bench-'));
  const node = await startServer(dataDir, args);
  return {
    ...node,
    async stop() {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `tally serve` on `dataDir` (kept when it stops), on free ports; resolves once it listens. */
export async function startServer(dataDir: string, args: string[]): Promise<Node> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'serve', '--data', dataDir, '--vb365-port', '0', '--vspc-port', '0', '--log-level', 'warn', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const line = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /tally listening vb365=(\S+) vspc=(\S+)/.exec(out);
      if (m) resolve(m);
    });
    child.on('exit', (code) => reject(new Error(`tally exited with ${code}: ${out}`)));
  });
  return {
    child,
    vb365: line[1]!,
    vspc: line[2]!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function call(method: string, url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const req = (secure ? https : http).request(url, { method, headers, agent: secure ? agent : plainAgent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

export async function token(base: string, face: 'vb365' | 'vspc', password: string): Promise<string> {
  const url = face === 'vb365' ? `${base}/v6/token` : `${base}/api/v3/token`;
  const res = await call('POST', url, { 'content-type': 'application/x-www-form-urlencoded' }, `grant_type=password&username=admin&password=${password}`);
  return JSON.parse(res.text).access_token as string;
}

/** The process that sends read load as fast as it is answered. */
export type LoadGenerator = 'wrk' | 'autocannon';

export interface LoadOptions {
  /** Run the load generator at this niceness (`nice -n`), so the server under test keeps priority. */
  nice?: number;
  /** Seconds of load before sampling starts (autocannon --warmup), discarded. */
  warmupSeconds?: number;
  /** A fixed offered load in requests per second over all connections (autocannon -R); default: as fast as answered. */
  rate?: number;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  requests: number;
  /** Requests answered during the warm-up (autocannon: the same process; wrk: a run of its own), before `requests` were counted. */
  warmupRequests: number;
  /** Server CPU (user + system) per answered request, warm-up included, in µs; set by the caller that watched the server. */
  cpuUsPerRequest?: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** Runs autocannon in its own process and returns requests per second and latency percentiles (ms). */
export function autocannon(url: string, headers: Record<string, string>, seconds: number, connections: number, options: LoadOptions = {}): Promise<LoadResult> {
  const args = [path.join(ROOT, 'node_modules', 'autocannon', 'autocannon.js'), '-j', '-c', String(connections), '-d', String(seconds)];
  if (options.rate) args.push('-R', String(options.rate));
  if (options.warmupSeconds) args.push('--warmup', '[', '-c', String(connections), '-d', String(options.warmupSeconds), ']');
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  args.push(url);
  const [command, commandArgs] = options.nice === undefined ? [process.execPath, args] : ['nice', ['-n', String(options.nice), process.execPath, ...args]];
  const child = spawn(command, commandArgs, { env: { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '0' }, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  // Bounded even if the server under test stops answering.
  const limit = setTimeout(() => child.kill('SIGKILL'), (seconds + (options.warmupSeconds ?? 0) + 60) * 1000);
  return new Promise((resolve, reject) => {
    child.on('exit', () => {
      clearTimeout(limit);
      try {
        // With --warmup autocannon prints the warm-up's result first: the last line is the measurement.
        const lines = out.trim().split('\n');
        const r = JSON.parse(lines.at(-1)!);
        const warmup = options.warmupSeconds && lines.length > 1 ? JSON.parse(lines[0]!) : undefined;
        resolve({
          rps: r.requests.average,
          p50: r.latency.p50,
          p90: r.latency.p90,
          p99: r.latency.p99,
          max: r.latency.max,
          requests: r.requests.total,
          warmupRequests: warmup?.requests?.total ?? 0,
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
        });
      } catch (error) {
        reject(new Error(`autocannon output: ${out.slice(0, 300)} (${(error as Error).message})`));
      }
    });
  });
}

export function machine() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
}
