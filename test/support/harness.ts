/**
 * Test harness: an in-process Tally (both face apps, for `inject`) on a fresh SQLite database in a
 * temporary directory, with an admin token ready.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createAppContext } from '../../src/app/context.js';
import { loadDemo } from '../../src/demo/load.js';
import { buildFaceApp } from '../../src/http/app.js';
import { InflightRequests } from '../../src/http/inflight.js';
import type { AppContext, VspcEnumStyle } from '../../src/http/context.js';
import { ensureAdminAccount } from '../../src/services/bootstrap.js';
import { openStoreAt } from '../../src/store/database.js';
import { createTestDatabase, type TestDatabase } from './stores.js';
import { parseRfc3339 } from '../../src/time.js';

export const ADMIN_PASSWORD = 'test-admin-password';

export interface TestApp {
  ctx: AppContext;
  database: TestDatabase;
  vb365: FastifyInstance;
  vspc: FastifyInstance;
  dir: string;
  /** An access token of `admin` (PortalAdministrator + Vb365Administrator). */
  adminToken: string;
  /** Creates an account with the given roles and returns an access token for it. */
  tokenFor(username: string, roles: string[], scopeUid?: string): Promise<string>;
  /** POSTs events through the admin API (VSPC listener) and returns the parsed answer. */
  ingest(events: unknown[]): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** RFC 3339 instant for a fixed (time-travel) clock; the system clock when omitted. */
  clock?: string;
  timeZone?: string;
  demo?: boolean;
  vspcEnumStyle?: VspcEnumStyle;
  /** Reuse an existing directory (to test restarts). */
  dir?: string;
  /** Reuse an existing database (to test restarts); a fresh one of the suite's store otherwise. */
  database?: TestDatabase;
  /** Ingest in a worker thread, as `tally serve` does (in process by default). */
  ingestionWorker?: boolean;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'tally-test-'));
  const database = options.database ?? (await createTestDatabase());
  const store = await openStoreAt(database.url, dir);
  const ctx = await createAppContext(store, {
    clock: options.clock ? parseRfc3339(options.clock)! : undefined,
    timeZone: options.timeZone,
    vspcEnumStyle: options.vspcEnumStyle,
    ingestionWorker: options.ingestionWorker,
  });
  const { clock } = ctx;
  await ensureAdminAccount(store.db, ADMIN_PASSWORD);
  if (options.demo) await loadDemo(ctx, await clock.now());
  // As `tally serve` builds them, in-flight tracking included, so that inject sees every hook.
  const inflight = new InflightRequests();
  const vb365 = await buildFaceApp('vb365', ctx, { inflight });
  const vspc = await buildFaceApp('vspc', ctx, { inflight });
  const adminToken = (await ctx.auth.login('admin', ADMIN_PASSWORD))!.accessToken;

  return {
    ctx,
    database,
    vb365,
    vspc,
    dir,
    adminToken,
    async tokenFor(username, roles, scopeUid) {
      const res = await vspc.inject({
        method: 'PUT',
        url: `/tally/v1/users/${username}`,
        headers: { authorization: `Bearer ${adminToken}` },
        payload: { password: 'password-of-' + username, roles, ...(scopeUid ? { scopeUid } : {}) },
      });
      if (res.statusCode !== 200) throw new Error(`creating ${username}: ${res.statusCode} ${res.body}`);
      return (await ctx.auth.login(username, 'password-of-' + username))!.accessToken;
    },
    async ingest(events) {
      const res = await vspc.inject({
        method: 'POST',
        url: '/tally/v1/events',
        headers: { authorization: `Bearer ${adminToken}` },
        payload: { events },
      });
      return { status: res.statusCode, body: res.json() };
    },
    async close() {
      await vb365.close();
      await vspc.close();
      await ctx.ingestion.close();
      await store.close();
      if (!options.database) await database.drop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Admin API helper: PUT a JSON body with the admin token. */
export async function adminPut(app: TestApp, url: string, payload: unknown) {
  const res = await app.vspc.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${app.adminToken}` }, payload: payload as object });
  if (res.statusCode !== 200) throw new Error(`PUT ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}
