/**
 * `tally backup FILE` and `tally restore FILE`: a consistent online copy of the embedded database
 * (SQLite's backup API, safe while the server runs), and putting such a copy back.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { openSqliteStore, StoreError, type Store } from '../store/database.js';
import { countRows } from '../store/entities.js';

export async function backupDatabase(store: Store, file: string): Promise<void> {
  if (!store.backupTo) {
    throw new StoreError('tally backup copies the embedded SQLite database; for PostgreSQL use pg_dump (docs/operations.md)');
  }
  if (existsSync(file)) throw new StoreError(`${file} already exists; choose a new file`);
  await store.backupTo(file);
}

/** Opens a backup read-only after checking that it is an intact Tally database. */
function openBackup(file: string): SQLite.Database {
  let source: SQLite.Database | undefined;
  try {
    source = new SQLite(file, { readonly: true, fileMustExist: true });
    const ledger = source.prepare(`select count(*) as n from sqlite_master where type = 'table' and name = 'events'`).get() as { n: number };
    if (ledger.n !== 1) throw new Error('it holds no Tally ledger');
    const check = source.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
    return source;
  } catch (error) {
    source?.close();
    throw new StoreError(`${file} is not a usable Tally backup: ${(error as Error).message}`);
  }
}

/** Replaces the database at `databaseFile` with the copy in `file` (stop the server first). */
export async function restoreDatabase(file: string, databaseFile: string): Promise<{ events: number }> {
  if (!existsSync(file)) throw new StoreError(`no backup at ${file}`);
  const source = openBackup(file);
  try {
    mkdirSync(path.dirname(path.resolve(databaseFile)), { recursive: true });
    await source.backup(databaseFile);
  } finally {
    source.close();
  }
  // Opening migrates a backup made by an older version.
  const restored = await openSqliteStore(databaseFile);
  try {
    return { events: await countRows(restored.db, 'events') };
  } finally {
    await restored.close();
  }
}
