/**
 * The reference servers Tally is measured against, each in its own process on loopback:
 * - the bare node:http server (bench/bare-server.ts): the same bytes with no work, the ceiling;
 * - a Prism mock server (@stoplight/prism-cli) serving the two seed paths from a minimal OpenAPI
 *   document whose examples are the seed bodies: what a typical mock of these APIs costs.
 * Prism is not a dependency of the project: it is installed on first use into bench/.cache/prism
 * (gitignored).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CACHE_DIR } from './cache.js';
import { ROOT } from './lib.js';
import { SEED_BODIES, SEED_PATHS, SEED_ORGANIZATION_ID, SEED_TENANT_UID } from './seed.js';

export interface Reference {
  name: string;
  base: string;
  pid: number;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
}

export async function startBare(): Promise<Reference> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'bare-server.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return { name: 'node:http (bare)', base: `http://127.0.0.1:${port}`, pid: child.pid!, stop: stopper(child) };
}

const PRISM_DIR = path.join(CACHE_DIR, 'prism');
const PRISM_PACKAGE = '@stoplight/prism-cli@5';
const PRISM_CLI = path.join(PRISM_DIR, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');

/** Installs Prism into bench/.cache/prism unless it is there already. */
export function ensurePrism(log: (line: string) => void): void {
  if (existsSync(PRISM_CLI)) return;
  mkdirSync(PRISM_DIR, { recursive: true });
  log(`installing ${PRISM_PACKAGE} into ${path.relative(ROOT, PRISM_DIR)} (once)`);
  execFileSync('npm', ['install', '--prefix', PRISM_DIR, '--no-audit', '--no-fund', '--no-save', PRISM_PACKAGE], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The minimal OpenAPI document Prism serves: the two seed paths, bearer auth, the seed bodies as examples. */
export function seedOpenApi(): Record<string, unknown> {
  const operation = (summary: string, parameter: string, example: string) => ({
    summary,
    security: [{ bearer: [] }],
    parameters: [{ name: parameter, in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
    responses: {
      200: { description: 'OK', content: { 'application/json': { schema: { type: 'object' }, example: JSON.parse(example) as unknown } } },
      401: { description: 'Unauthorized' },
    },
  });
  return {
    openapi: '3.0.3',
    info: { title: 'Tally seed endpoints (bench reference)', version: '1.0.0' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths: {
      [SEED_PATHS.vb365.replace(SEED_ORGANIZATION_ID, '{organizationId}')]: {
        get: operation('VB365 v6 LicensingInformation', 'organizationId', SEED_BODIES.vb365),
      },
      [SEED_PATHS.vspc.replace(SEED_TENANT_UID, '{tenantUid}')]: {
        get: operation('VSPC v3 console license usage by tenant', 'tenantUid', SEED_BODIES.vspc),
      },
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startPrism(log: (line: string) => void): Promise<Reference> {
  ensurePrism(log);
  const document = path.join(PRISM_DIR, 'seed-openapi.json');
  writeFileSync(document, `${JSON.stringify(seedOpenApi(), null, 2)}\n`);
  const port = await freePort();
  // Logging at warn: Prism's per-request info lines would cost it throughput we do not want to count.
  const child = spawn(process.execPath, [PRISM_CLI, 'mock', '-h', '127.0.0.1', '-p', String(port), '-v', 'warn', document], { cwd: PRISM_DIR, stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prism exited with ${child.exitCode}`);
    const up = await fetch(`${base}${SEED_PATHS.vb365}`, { headers: { authorization: 'Bearer x' } }).then((r) => r.status === 200, () => false);
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('prism did not answer within 60 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { name: 'Prism mock', base, pid: child.pid!, stop: stopper(child) };
}
