/**
 * Starts the real `tally serve` (the built dist/cli.js, as `npm start` does) on free ports in a
 * child process, and talks HTTPS to it like a client.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { createTestDatabase, type TestDatabase } from './stores.js';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

const databasesByDataDir = new Map<string, TestDatabase>();

/** What the bundle is built from (scripts/build.mjs): a change to any of them needs a new build. */
const BUILD_INPUTS = ['src', 'package.json', 'package-lock.json', path.join('scripts', 'build.mjs')];

function newestChange(file: string): { file: string; mtimeMs: number } {
  const stat = statSync(file);
  if (!stat.isDirectory()) return { file, mtimeMs: stat.mtimeMs };
  let newest = { file, mtimeMs: 0 };
  for (const entry of readdirSync(file)) {
    const found = newestChange(path.join(file, entry));
    if (found.mtimeMs > newest.mtimeMs) newest = found;
  }
  return newest;
}

let checkedCli: string | undefined;
/**
 * The built command line (dist/cli.js) the end-to-end tests run, as users run it. Refuses a build
 * older than its sources, so that no test passes or fails on code that is not what is checked
 * out: `npm test` builds first; after changing src/, run `npm run build`.
 */
export function builtCli(): string {
  if (checkedCli) return checkedCli;
  const cli = path.join(ROOT, 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` before the end-to-end tests (npm test does)');
  const built = statSync(cli).mtimeMs;
  const newest = BUILD_INPUTS.map((input) => path.join(ROOT, input)).filter((input) => existsSync(input)).map(newestChange)
    .reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
  if (newest.mtimeMs > built) {
    throw new Error(`dist/ is older than ${path.relative(ROOT, newest.file)}: run \`npm run build\` before the end-to-end tests (npm test does)`);
  }
  checkedCli = cli;
  return cli;
}

export interface ServerProcess {
  child: ChildProcess;
  vb365: string;
  vspc: string;
  dataDir: string;
  /** The database the server uses (its `--database` URL on PostgreSQL). */
  database: TestDatabase;
  stdout: () => string;
  stderr: () => string;
  /** Sends SIGTERM (unless a signal was already sent) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  args?: string[];
  /** The `--database` to use; by default a fresh database of the suite's store (dropped on stop). */
  database?: TestDatabase;
  env?: Record<string, string>;
  dataDir?: string;
  /** Keep the data dir after stop (for restart tests). */
  keepData?: boolean;
}

export async function spawnTally(options: SpawnOptions = {}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'tally-e2e-'));
  // A restart test reuses its data dir; on PostgreSQL it must find its database again too.
  const database = options.database ?? databasesByDataDir.get(dataDir) ?? (await createTestDatabase());
  databasesByDataDir.set(dataDir, database);
  const databaseArgs = database.url && !(options.args ?? []).includes('--database') ? ['--database', database.url] : [];
  const args = [builtCli(), 'serve', '--data', dataDir, '--vb365-port', '0', '--vspc-port', '0', ...databaseArgs, ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tally did not start in time\nstdout: ${out}\nstderr: ${err}`));
    }, 60_000);
    const check = () => {
      const m = /tally listening vb365=(\S+) vspc=(\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve({
        child,
        vb365: m[1]!,
        vspc: m[2]!,
        dataDir,
        database,
        stdout: () => out,
        stderr: () => err,
        async stop(signal = 'SIGTERM') {
          // A signal already sent (a test's own SIGTERM) is not repeated: a second one exits at once.
          if (child.exitCode === null && !child.killed) child.kill(signal);
          const code = await exited;
          if (!options.keepData) {
            databasesByDataDir.delete(dataDir);
            if (!options.database) await database.drop();
            if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
          }
          return code;
        },
      });
    };
    child.stdout!.on('data', check);
    exited.then((code) => {
      clearTimeout(timer);
      if (!/tally listening/.test(out)) reject(Object.assign(new Error(`tally exited with ${code}\nstdout: ${out}\nstderr: ${err}`), { code, stderr: err }));
    });
  });
}

/** Runs `tally serve` expecting it to fail at start-up; resolves with its exit code and stderr. */
export function runTallyExpectingFailure(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [builtCli(), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr: err })));
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json(): any;
}

/** One HTTP(S) request; certificate checks are off like `curl -k`. */
export function request(
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Response> {
  const target = new URL(url);
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      target,
      { method, headers: options.headers, rejectUnauthorized: false, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export function form(fields: Record<string, string>): { headers: Record<string, string>; body: string } {
  return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() };
}

export async function passwordToken(base: string, face: 'vb365' | 'vspc', username: string, password: string): Promise<string> {
  const url = face === 'vb365' ? `${base}/v6/token` : `${base}/api/v3/token`;
  const res = await request('POST', url, form({ grant_type: 'password', username, password }));
  if (res.status !== 200) throw new Error(`token: ${res.status} ${res.text}`);
  return res.json().access_token;
}

/** The SHA-256 fingerprint of the certificate an HTTPS listener presents. */
export function peerFingerprint(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), rejectUnauthorized: false, servername: 'localhost' }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.on('error', reject);
  });
}

/** GETs `url` with a bearer token, fails the test unless it answers 200, and returns the parsed body. */
export async function getJson(url: string, token: string, headers: Record<string, string> = {}) {
  const res = await request('GET', url, { headers: { authorization: `Bearer ${token}`, ...headers } });
  assert.equal(res.status, 200, `${url}: ${res.text.slice(0, 300)}`);
  return res.json();
}
