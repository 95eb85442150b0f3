/**
 * Small helpers shared by the end-to-end tests: JSON requests against the real server, exact body
 * assertions and a start-up runner that cannot hang.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { builtCli, ROOT, request, type Response } from '../support/server.js';

export const ADMIN_PASSWORD = 'e2e-admin-password';
export const CLOCK = '2026-11-23T12:00:00Z';

export const SEED_ORG = '92460656-7a85-4a04-b1af-1ea903c0bc2e';
export const SEED_TENANT = 'b4971992-84ac-4dee-b837-95c8db275f28';
export const SEED_COMPANY = 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e';
export const SEED_VB365_PATH = `/v6/Organizations/${SEED_ORG}/LicensingInformation`;
export const SEED_VSPC_PATH = `/api/v3/licensing/console/usage/companies/vcc/${SEED_TENANT}`;
export const SEED_VB365_BODY = '{"licensedUsers":100,"newUsers":0}';
export const SEED_VSPC_BODY =
  '{"data":{"companyUid":"f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e","tenantUid":"b4971992-84ac-4dee-b837-95c8db275f28","counters":[{"type":"vaC_Server_Agent","unitType":"points","usedUnits":0.0,"usedCount":0,"newUnits":22.0,"newCount":2},{"type":"vaC_Workstation_Agent","unitType":"points","usedUnits":0.0,"usedCount":0,"newUnits":8.0,"newCount":2}]}}';

export const JSON_TYPE = 'application/json; charset=utf-8';

export interface CallOptions {
  token?: string;
  /** Serialized as JSON with content-type application/json. */
  json?: unknown;
  /** A raw body; give the content type in headers. */
  body?: string | Buffer;
  headers?: Record<string, string>;
}

/** Every response seen by `call`, to check that nothing answered 5xx. */
export const seenStatuses: { method: string; url: string; status: number }[] = [];

export async function call(method: string, url: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await request(method, url, { headers, ...(body !== undefined ? { body } : {}) });
  seenStatuses.push({ method, url, status: res.status });
  return res;
}

/** Asserts the status, a JSON content type and the whole parsed body. */
export function expectJson(res: Response, status: number, body: unknown, what = ''): void {
  const context = `${what} → ${res.status} ${res.text}`;
  assert.equal(res.status, status, context);
  assert.equal(res.headers['content-type'], JSON_TYPE, context);
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.text);
  } catch {
    assert.fail(`body is not JSON: ${context}`);
  }
  assert.deepEqual(parsed, body, context);
}

/** Asserts the status and the exact bytes of a JSON body. */
export function expectBytes(res: Response, status: number, text: string, what = ''): void {
  assert.equal(res.status, status, `${what} → ${res.status} ${res.text}`);
  assert.equal(res.headers['content-type'], JSON_TYPE, what);
  assert.equal(res.text, text, what);
}

export function vspcError(status: number, message: string, type: string, extra: Record<string, unknown> = {}) {
  return { errors: [{ message, type, code: status, ...extra }] };
}

export function adminError(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Runs `tally ARGS` expecting it to exit; kills it (and fails) if it is still running after `limitMs`. */
export function runToExit(
  args: string[],
  env: Record<string, string> = {},
  limitMs = 60_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [builtCli(), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tally ${args.join(' ')} did not exit\nstdout: ${out}\nstderr: ${err}`));
    }, limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
}

/** A VSPC agent activation (server mode by default). */
export function activation(id: string, at: string, companyUid: string, agentUid: string, mode: 'server' | 'workstation' = 'server') {
  return { id, type: 'vspc.agentActivated', at, companyUid, agent: { uid: agentUid, name: `agent-${id}`, mode } };
}

/** A VB365 backup of a user. */
export function backup(id: string, at: string, organizationId: string, userId: string) {
  return { id, type: 'vb365.backup', at, organizationId, user: { id: userId, name: `user ${userId}` } };
}

/** A deterministic UUID (version 4 layout) from a number. */
export function uuid(n: number, prefix = 'e2e0'): string {
  const hex = n.toString(16).padStart(12, '0');
  return `${prefix.padStart(8, '0')}-0000-4000-8000-${hex}`;
}

/** The VSPC console usage body Tally renders for a rental license with points. */
export function consoleUsageBody(
  companyUid: string,
  tenantUid: string,
  server: { usedUnits: string; usedCount: number; newUnits: string; newCount: number },
  workstation: { usedUnits: string; usedCount: number; newUnits: string; newCount: number },
): string {
  const counter = (type: string, c: typeof server) =>
    `{"type":"${type}","unitType":"points","usedUnits":${c.usedUnits},"usedCount":${c.usedCount},"newUnits":${c.newUnits},"newCount":${c.newCount}}`;
  return `{"data":{"companyUid":"${companyUid}","tenantUid":"${tenantUid}","counters":[${counter('vaC_Server_Agent', server)},${counter('vaC_Workstation_Agent', workstation)}]}}`;
}
