/**
 * The change counters (store/generation.ts, migration 0009): every change a cache depends on
 * moves its counter, whoever makes it (a route, a command, another connection), and the reader
 * sees it at once, also when it skips reading while nothing committed (SQLite's WAL index).
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openSqliteStore } from '../../src/store/database.js';
import { GenerationsReader, WAL_PROBE, type Generations } from '../../src/store/generation.js';
import { ADMIN_PASSWORD, adminPut, startTestApp } from '../support/harness.js';
import { SKIP_WITHOUT_SHM_VIEW } from '../support/shmView.js';
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

test('SQLite: a commit by another connection is seen at once, also when the reader skips unchanged reads', { skip: TEST_STORE !== 'sqlite' }, async () => {
  const app = await startTestApp();
  try {
    const reader = new GenerationsReader(app.ctx.store.db);
    assert.equal(reader.watchesWalIndex, true);
    // In shared memory where the addon is built (CI requires it: TALLY_REQUIRE_SHM_VIEW=1).
    assert.equal(reader.watchesWalIndexInMemory, SKIP_WITHOUT_SHM_VIEW === false);
    const other = new SQLite(app.ctx.store.location);
    try {
      // While nothing commits, the table is not read again.
      reader.readNow();
      const tableReads = reader.tableReads;
      for (let i = 0; i < 100; i++) reader.readNow();
      assert.equal(reader.tableReads, tableReads);
      for (let i = 0; i < 50; i++) {
        const before = reader.readNow()!;
        assert.deepEqual(reader.readNow(), before);
        other.prepare(`update generations set value = value + 1 where name = ?`).run(['ledger', 'auth', 'config'][i % 3]);
        const after = reader.readNow()!;
        assert.equal(after.ledger + after.auth + after.config, before.ledger + before.auth + before.config + 1, `round ${i}`);
      }
      // Inside an open transaction the counters are not read without waiting.
      await app.ctx.store.db.transaction().execute(async () => {
        assert.equal(reader.readNow(), undefined);
      });
    } finally {
      other.close();
    }
  } finally {
    await app.close();
  }
});

test('SQLite: a commit by another process is seen at once through the watched header', { skip: TEST_STORE !== 'sqlite' }, async () => {
  const app = await startTestApp();
  try {
    const reader = new GenerationsReader(app.ctx.store.db);
    const before = reader.readNow()!;
    for (let i = 0; i < 5; i++) reader.readNow();
    const tableReads = reader.tableReads;
    const script = `const D=require('better-sqlite3');const d=new D(${JSON.stringify(app.ctx.store.location)});d.prepare("update generations set value = value + 1 where name = 'auth'").run();d.close();`;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: process.cwd() });
    assert.equal(child.status, 0, String(child.stderr));
    const after = reader.readNow()!;
    assert.equal(after.auth, before.auth + 1);
    assert.equal(reader.tableReads, tableReads + 1);
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
      const afterUpdate = await reader.read();
      assert.equal(afterUpdate.auth, before.auth + 1);
      await operator.query(`truncate ${schema}.tokens`);
      assert.equal((await reader.read()).auth, afterUpdate.auth + 1);
      await operator.query(`truncate ${schema}.organizations cascade`);
      assert.equal((await reader.read()).config, afterUpdate.config + 1);
    } finally {
      await operator.end();
    }
  } finally {
    await app.close();
  }
});

test('SQLite: a database opened through a symbolic link is watched through the file SQLite uses', { skip: TEST_STORE !== 'sqlite' }, async () => {
  await withTempDir('tally-link-', async (dir) => {
    const real = path.join(dir, 'real');
    mkdirSync(real);
    symlinkSync(path.join(real, 'tally.db'), path.join(dir, 'tally.db'));
    // A stale -shm beside the link, as a crash could leave: it must not pass for SQLite's.
    writeFileSync(path.join(dir, 'tally.db-shm'), Buffer.alloc(32 * 1024));
    const store = await openSqliteStore(path.join(dir, 'tally.db'));
    try {
      const reader = new GenerationsReader(store.db);
      assert.equal(reader.watchesWalIndex, true);
      const before = reader.readNow()!;
      const other = new SQLite(path.join(real, 'tally.db'));
      other.prepare(`update generations set value = value + 1 where name = 'auth'`).run();
      other.close();
      assert.equal(reader.readNow()!.auth, before.auth + 1);
    } finally {
      await store.close();
    }
  });
});

test('SQLite: an existing database is watched when opened again', { skip: TEST_STORE !== 'sqlite' }, async () => {
  await withTempDir('tally-reopen-', async (dir) => {
    const file = path.join(dir, 'tally.db');
    // Opened three times: the first creates it, the others find it, with nothing to migrate.
    let last: Generations | undefined;
    for (let i = 0; i < 3; i++) {
      const store = await openSqliteStore(file);
      try {
        const reader = new GenerationsReader(store.db);
        assert.equal(reader.watchesWalIndex, true, `open ${i + 1}`);
        const now = reader.readNow()!;
        if (last) assert.deepEqual(now, last, 'opening moves no counter');
        last = now;
        const tableReads = reader.tableReads;
        for (let j = 0; j < 20; j++) assert.deepEqual(reader.readNow(), now);
        assert.equal(reader.tableReads, tableReads);
      } finally {
        await store.close();
      }
    }
  });
});

test('SQLite: a database whose probe fails is read without the shortcut, and SQLite keeps its locks on the -shm', { skip: TEST_STORE !== 'sqlite' || process.platform !== 'linux' }, async () => {
  await withTempDir('tally-probe-', async (dir) => {
    const file = path.join(dir, 'tally.db');
    // This process's POSIX locks on the -shm file (SQLite holds a shared one on byte 128 while open).
    const shmLocks = () => {
      const inode = statSync(`${file}-shm`).ino;
      return readFileSync('/proc/locks', 'utf8').split('\n').filter((line) => line.includes(` ${process.pid} `) && line.includes(`:${inode} `));
    };
    await (await openSqliteStore(file)).close();
    // The probe's write refused, as a busy or read-only database would refuse it.
    const other = new SQLite(file);
    other.exec(`create trigger refuse_probe before insert on generations when new.name = '${WAL_PROBE}' begin select raise(abort, 'refused'); end;
                create trigger refuse_probe_update before update on generations when new.name = '${WAL_PROBE}' begin select raise(abort, 'refused'); end;`);
    other.close();
    const store = await openSqliteStore(file);
    try {
      const reader = new GenerationsReader(store.db);
      assert.equal(reader.watchesWalIndex, false);
      assert.ok(shmLocks().length > 0, 'SQLite still holds its lock on the -shm file');
      const before = reader.readNow()!;
      const writer = new SQLite(file);
      writer.prepare(`update generations set value = value + 1 where name = 'config'`).run();
      writer.close();
      assert.equal(reader.readNow()!.config, before.config + 1);
    } finally {
      await store.close();
    }
  });
});
