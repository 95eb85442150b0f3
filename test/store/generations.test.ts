/**
 * The change counters (store/generation.ts, migrations 0009 and 0011): every change a cache depends
 * on moves its counter, whoever makes it (a route, a command, another connection); this process
 * sees its own changes at once, another process's within the check interval (250 ms), and on
 * PostgreSQL at once through the notification of the commit.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openSqliteStore } from '../../src/store/database.js';
import { ChangeWatch, changeWatchOf, GenerationsReader, type Generations } from '../../src/store/generation.js';
import { ADMIN_PASSWORD, adminPut, startTestApp } from '../support/harness.js';
import { POSTGRES_URL, TEST_STORE } from '../support/stores.js';

const ORG = '0a000000-0000-4000-8000-000000000001';

/** Runs `body` with a new temporary directory, removed afterwards. */
async function withTempDir(prefix: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('each kind of change moves its counter, and only its counter', async () => {
  const app = await startTestApp({ clock: '2026-11-20T12:00:00Z' });
  try {
    const reader = new GenerationsReader(app.ctx.store.db);
    const db = app.ctx.store.db;
    const moved = async (change: () => Promise<unknown>): Promise<(keyof Generations)[]> => {
      const before = await reader.read();
      await change();
      const after = await reader.read();
      return (['ledger', 'auth', 'config'] as const).filter((name) => after[name] !== before[name]);
    };
    const token = await app.tokenFor('someone', ['Vb365Administrator']);
    assert.deepEqual(await moved(() => adminPut(app, `/tally/v1/organizations/${ORG}`, { name: 'org' })), ['config']);
    assert.deepEqual(await moved(() => adminPut(app, '/tally/v1/licenses/vb365', { type: 'Rental', totalNumber: 5, expirationDate: '2027-12-31T00:00:00Z' })), ['config']);
    assert.deepEqual(await moved(() => app.ctx.clock.set(Date.parse('2026-11-21T00:00:00Z'))), ['config']);
    assert.deepEqual(await moved(() => app.ingest([{ id: 'b1', type: 'vb365.backup', at: '2026-11-19T00:00:00Z', organizationId: ORG, user: { id: 'u1', name: 'u1' } }])), ['ledger']);
    // A duplicate batch changes nothing.
    assert.deepEqual(await moved(() => app.ingest([{ id: 'b1', type: 'vb365.backup', at: '2026-11-19T00:00:00Z', organizationId: ORG, user: { id: 'u1', name: 'u1' } }])), []);
    assert.deepEqual(await moved(() => adminPut(app, '/tally/v1/users/someone', { roles: ['ReadOnlyUser'] })), ['auth', 'config']);
    assert.deepEqual(await moved(() => app.vspc.inject({ method: 'DELETE', url: '/tally/v1/session', headers: { authorization: `Bearer ${token}` } })), ['auth']);
    // A login issues tokens: nothing cached depends on a credential that did not exist.
    assert.deepEqual(await moved(() => app.ctx.auth.login('admin', ADMIN_PASSWORD)), []);
    // Changes made behind the application's back (an operator's SQL, another tool) count too.
    assert.deepEqual(await moved(() => db.updateTable('accounts').set({ disabled: 1 }).where('username', '=', 'someone').execute()), ['auth']);
    assert.deepEqual(await moved(() => db.updateTable('organizations').set({ name: 'renamed' }).execute()), ['config']);
    assert.deepEqual(await moved(() => sql`delete from tokens where username = 'admin'`.execute(db)), ['auth']);
  } finally {
    await app.close();
  }
});


/** Reads until `holds` (another process's change is seen within the check interval), for 5 s at most. */
async function eventually(reader: { read(): Promise<Generations> }, holds: (g: Generations) => boolean): Promise<Generations> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const now = await reader.read();
    if (holds(now)) return now;
    assert.ok(Date.now() < deadline, `not seen within 5 s: ${JSON.stringify(now)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('a change by another connection is seen once the last reading is 250 ms old, and the table is not read in between', { skip: TEST_STORE !== 'sqlite' }, async () => {
  const app = await startTestApp();
  try {
    let clock = 1_000;
    const watch = new ChangeWatch(250, () => clock);
    watch.attach(app.ctx.store.db);
    const other = new SQLite(app.ctx.store.location);
    try {
      const before = await watch.read();
      assert.equal(watch.tableReads, 1);
      other.prepare(`update generations set value = value + 1 where name = 'ledger'`).run();
      for (let i = 0; i < 100; i++) {
        clock += 2;
        assert.deepEqual(await watch.read(), before, 'within 250 ms the last reading answers');
      }
      assert.equal(watch.tableReads, 1, 'no request read the table');
      clock = 1_250;
      assert.equal((await watch.read()).ledger, before.ledger + 1);
      assert.equal(watch.tableReads, 2);
      // A change of this process's own is read at once, whatever the time.
      other.prepare(`update generations set value = value + 1 where name = 'config'`).run();
      watch.noteChange();
      assert.equal((await watch.read()).config, before.config + 1);
    } finally {
      other.close();
    }
  } finally {
    await app.close();
  }
});

test('this process sees its own changes at once, without waiting for the check interval', async () => {
  const app = await startTestApp({ clock: '2026-11-20T12:00:00Z' });
  try {
    const watch = changeWatchOf(app.ctx.store.db);
    watch.intervalMs = Infinity;
    const before = await watch.read();
    await adminPut(app, `/tally/v1/organizations/${ORG}`, { name: 'org' });
    const afterPut = await watch.read();
    assert.ok(afterPut.config > before.config);
    await app.ingest([{ id: 'own-1', type: 'vb365.backup', at: '2026-11-19T00:00:00Z', organizationId: ORG, user: { id: 'u1', name: 'u1' } }]);
    assert.equal((await watch.read()).ledger, before.ledger + 1);
    // A transaction's changes are seen once it commits.
    await app.ctx.store.db.transaction().execute(async (trx) => {
      await trx.updateTable('organizations').set({ name: 'in a transaction' }).execute();
    });
    assert.equal((await watch.read()).config, afterPut.config + 1);
  } finally {
    await app.close();
  }
});

test('SQLite: a commit by another process is seen within the check interval', { skip: TEST_STORE !== 'sqlite' }, async () => {
  const app = await startTestApp();
  try {
    const reader = new GenerationsReader(app.ctx.store.db);
    const before = await reader.read();
    const script = `const D=require('better-sqlite3');const d=new D(${JSON.stringify(app.ctx.store.location)});d.prepare("update generations set value = value + 1 where name = 'auth'").run();d.close();`;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: process.cwd() });
    assert.equal(child.status, 0, String(child.stderr));
    await new Promise((resolve) => setTimeout(resolve, 260));
    assert.equal((await reader.read()).auth, before.auth + 1);
  } finally {
    await app.close();
  }
});

test('PostgreSQL: another node\'s commit is seen through its notification, without waiting for the check interval', { skip: TEST_STORE !== 'postgres' }, async () => {
  const app = await startTestApp();
  try {
    const watch = changeWatchOf(app.ctx.store.db);
    watch.intervalMs = Infinity;
    const before = await watch.read();
    const schema = new URL(app.database.url!).searchParams.get('options')!.replace('-c search_path=', '');
    const { default: pg } = await import('pg');
    const operator = new pg.Client({ connectionString: POSTGRES_URL });
    await operator.connect();
    try {
      await operator.query(`update ${schema}.generations set value = value + 1 where name = 'ledger'`);
      await eventually(watch, (g) => g.ledger === before.ledger + 1);
      // A rolled-back raise notifies nobody and changes nothing.
      await operator.query('begin');
      await operator.query(`update ${schema}.generations set value = value + 1 where name = 'ledger'`);
      await operator.query('rollback');
      assert.equal((await watch.read()).ledger, before.ledger + 1);
      // The listening connection lost: once it is back, what was raised meanwhile is read.
      await operator.query(`select pg_terminate_backend(pid) from pg_stat_activity where query = 'LISTEN tally_changes' and pid <> pg_backend_pid()`);
      await operator.query(`update ${schema}.generations set value = value + 1 where name = 'config'`);
      await eventually(watch, (g) => g.config === before.config + 1);
    } finally {
      await operator.end();
    }
  } finally {
    await app.close();
  }
});

test('PostgreSQL: an operator\'s session with its own search path, and TRUNCATE, move the counters too', { skip: TEST_STORE !== 'postgres' }, async () => {
  const app = await startTestApp();
  try {
    const reader = new GenerationsReader(app.ctx.store.db);
    const schema = new URL(app.database.url!).searchParams.get('options')!.replace('-c search_path=', '');
    const { default: pg } = await import('pg');
    const operator = new pg.Client({ connectionString: POSTGRES_URL });
    await operator.connect();
    try {
      const before = await reader.read();
      await operator.query(`update ${schema}.accounts set disabled = 0`);
      const afterUpdate = await eventually(reader, (g) => g.auth === before.auth + 1);
      await operator.query(`truncate ${schema}.tokens`);
      await eventually(reader, (g) => g.auth === afterUpdate.auth + 1);
      await operator.query(`truncate ${schema}.organizations cascade`);
      await eventually(reader, (g) => g.config === afterUpdate.config + 1);
    } finally {
      await operator.end();
    }
  } finally {
    await app.close();
  }
});

