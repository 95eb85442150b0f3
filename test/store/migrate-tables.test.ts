/** `tally migrate` copies every table of the schema, except the short-lived ones it names. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { NOT_COPIED, TABLES } from '../../src/commands/migrate.js';
import { openSqliteStore } from '../../src/store/database.js';

test('every table of the migrated schema is either copied or deliberately left behind', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tally-tables-'));
  const store = await openSqliteStore(path.join(dir, 'tally.db'));
  try {
    const rows = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'`.execute(store.db);
    const tables = rows.rows.map((r) => r.name).sort();
    assert.deepEqual(tables, [...TABLES, ...NOT_COPIED].sort());
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
