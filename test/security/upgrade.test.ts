/**
 * Upgrading a database made before migration 0005: every account gets a uid, and the tokens issued
 * before it keep working (an old refresh token starts a family on its first use).
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { ledgerMigration } from '../../src/store/migrations/0001_ledger.js';
import { reportsMigration } from '../../src/store/migrations/0002_reports.js';
import { loginAttemptsMigration } from '../../src/store/migrations/0003_login_attempts.js';
import { defaultDatabaseFile, openStoreAt } from '../../src/store/database.js';
import { AuthService } from '../../src/services/auth.js';
import { hashPassword } from '../../src/services/passwords.js';
import { createTestDatabase, TEST_STORE } from '../support/stores.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

test('accounts get uids and old tokens keep working after migration 0005', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tally-upgrade-'));
  const database = await createTestDatabase();
  try {
    // The schema as it was before 0005, made with the migrations of that time.
    const old = database.url
      ? new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }) })
      : new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(defaultDatabaseFile(dir)) }) });
    const schema = TEST_STORE === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(old)).rows[0]!.schema : undefined;
    const migrator = new Migrator({
      db: old,
      provider: { getMigrations: async () => ({ '0001_ledger': ledgerMigration(TEST_STORE), '0002_reports': reportsMigration, '0003_login_attempts': loginAttemptsMigration }) },
      ...(schema ? { migrationTableSchema: schema } : {}),
    });
    const result = await migrator.migrateToLatest();
    assert.equal(result.error, undefined);
    const now = Date.now();
    for (const username of ['old-admin', 'old-reader']) {
      await old.insertInto('accounts').values({ username, password_hash: await hashPassword('old-password'), roles: JSON.stringify(['PortalAdministrator']), scope_uid: null, disabled: 0, created_at: now }).execute();
    }
    await old.insertInto('tokens').values([
      { token_hash: sha256('old-access'), kind: 'access', username: 'old-admin', issued_at: now, expires_at: now + 3_600_000 },
      { token_hash: sha256('old-refresh'), kind: 'refresh', username: 'old-admin', issued_at: now, expires_at: now + 86_400_000 },
    ]).execute();
    await old.destroy();

    const store = await openStoreAt(database.url, dir);
    try {
      const uids = await store.db.selectFrom('accounts').select(['username', 'uid']).orderBy('username').execute();
      assert.equal(uids.length, 2);
      for (const { uid } of uids) assert.match(uid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.notEqual(uids[0]!.uid, uids[1]!.uid);
      const auth = new AuthService(store.db);
      const before = await auth.authenticate('Bearer old-access');
      assert.ok(before.ok && before.principal.uid === uids[0]!.uid && before.principal.credential.kind === 'token' && before.principal.credential.familyId === null);
      const refreshed = await auth.refresh('old-refresh');
      assert.ok(refreshed.ok, 'an old refresh token works once');
      const fresh = await auth.authenticate(`Bearer ${refreshed.tokens.accessToken}`);
      assert.ok(fresh.ok && fresh.principal.credential.kind === 'token' && fresh.principal.credential.familyId !== null, 'and starts a family');
      const again = await auth.refresh('old-refresh');
      assert.equal(again.ok, false, 'and only once');
    } finally {
      await store.close();
    }
  } finally {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
