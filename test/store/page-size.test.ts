/**
 * A new SQLite database is made with Tally's page size (src/store/database.ts: PAGE_SIZE); a file
 * made with another keeps its own and opens, migrates and answers as before.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openSqliteStore, PAGE_SIZE } from '../../src/store/database.js';

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tally-page-size-'));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pageSizeOf(file: string): Promise<number> {
  const store = await openSqliteStore(file);
  try {
    const { rows } = await sql<{ page_size: number }>`pragma page_size`.execute(store.db);
    return rows[0]!.page_size;
  } finally {
    await store.close();
  }
}

test('a new database file gets Tally\'s page size', async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, 'tally.db');
    assert.equal(await pageSizeOf(file), PAGE_SIZE);
    // And keeps it when opened again.
    assert.equal(await pageSizeOf(file), PAGE_SIZE);
  });
});

test('a database made with 4 KiB pages keeps them, and is migrated and used as before', async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, 'tally.db');
    const old = new SQLite(file);
    old.pragma('page_size = 4096');
    old.pragma('journal_mode = WAL');
    old.exec('create table earlier (x integer)');
    old.close();
    const store = await openSqliteStore(file);
    try {
      const { rows } = await sql<{ page_size: number }>`pragma page_size`.execute(store.db);
      assert.equal(rows[0]!.page_size, 4096);
      await sql`insert into settings (key, value) values ('page-size-test', 'kept')`.execute(store.db);
      const kept = await sql<{ value: string }>`select value from settings where key = 'page-size-test'`.execute(store.db);
      assert.equal(kept.rows[0]!.value, 'kept');
    } finally {
      await store.close();
    }
  });
});
