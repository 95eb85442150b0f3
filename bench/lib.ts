/**
 * Benchmark plumbing: start `tally serve` (the built dist/cli.js) as a separate process, feed it
 * through the real ingestion API, and drive load with autocannon in yet another process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false, maxSockets: 16 });

export interface Node {
  child: ChildProcess;
  vb365: string;
  vspc: string;
  stop(): Promise<void>;
}

export async function startNode(args: string[]): Promise<Node> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tally-bench-'));
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
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function call(method: string, url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, agent }, (res) => {
      let text = '';
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

/** Runs autocannon in its own process and returns requests per second and latency percentiles. */
export function autocannon(url: string, headers: Record<string, string>, seconds: number, connections: number): Promise<{ rps: number; p50: number; p99: number; non2xx: number }> {
  const args = [path.join(ROOT, 'node_modules', 'autocannon', 'autocannon.js'), '-j', '-c', String(connections), '-d', String(seconds)];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  args.push(url);
  const child = spawn(process.execPath, args, { env: { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '0' }, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    child.on('exit', () => {
      try {
        const r = JSON.parse(out);
        resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx });
      } catch (error) {
        reject(new Error(`autocannon output: ${out.slice(0, 300)} (${(error as Error).message})`));
      }
    });
  });
}

export function machine() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
}
