/**
 * `tally backup FILE` and `tally restore FILE`: a consistent online copy of the embedded database
 * (SQLite's backup API, safe while the server runs), and putting such a copy back.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { openSqliteStore, StoreError, type Store } from '../store/database.js';
import { countRows } from '../store/entities.js';

export type PageProgress = (pagesDone: number, pagesTotal: number) => void;

export async function backupDatabase(store: Store, file: string, progress?: PageProgress): Promise<void> {
  if (!store.backupTo) {
    throw new StoreError('tally backup copies the embedded SQLite database; for PostgreSQL use pg_dump (docs/operations.md)');
  }
  if (existsSync(file)) throw new StoreError(`${file} already exists; choose a new file`);
  const dir = path.dirname(path.resolve(file));
  if (!existsSync(dir)) throw new StoreError(`cannot write ${file}: the directory ${dir} does not exist`);
  try {
    await store.backupTo(file, progress);
  } catch (error) {
    rmSync(file, { force: true });
    throw new StoreError(`cannot write ${file}: ${(error as Error).message}`);
  }
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

/**
 * Replaces the database at `databaseFile` with the copy in `file` (stop the server first).
 *
 * The copy is written beside the database and renamed over it, with the old database's `-wal` and
 * `-shm` removed first: SQLite cannot copy into an existing file in WAL mode of another page size
 * (a backup keeps the page size of the database it came from: 4 KiB before 16 KiB became the
 * default), and a `-wal` left beside the new file would be applied to it. Until the rename, the
 * old database is whole; a restore that fails leaves it as it was (its `-wal` is checkpointed
 * into it before being removed).
 */
export async function restoreDatabase(file: string, databaseFile: string, progress?: PageProgress): Promise<{ events: number }> {
  if (!existsSync(file)) throw new StoreError(`no backup at ${file}`);
  const source = openBackup(file);
  const target = path.resolve(databaseFile);
  const copy = `${target}.restoring-${process.pid}`;
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    removeDatabaseFiles(copy);
    await source.backup(copy, {
      progress: ({ totalPages, remainingPages }) => {
        progress?.(totalPages - remainingPages, totalPages);
        return 100;
      },
    });
    if (existsSync(target)) checkpointAway(target);
    renameSync(copy, target);
  } catch (error) {
    removeDatabaseFiles(copy);
    throw error instanceof StoreError ? error : new StoreError(`cannot restore into ${target}: ${(error as Error).message}`);
  } finally {
    source.close();
  }
  // Opening migrates a backup made by an older version.
  const restored = await openSqliteStore(target);
  try {
    return { events: await countRows(restored.db, 'events') };
  } finally {
    await restored.close();
  }
}

/** Folds the database's `-wal` into it and removes the `-wal` and `-shm`, so none outlives the file. */
function checkpointAway(databaseFile: string): void {
  const db = new SQLite(databaseFile, { fileMustExist: true });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    // Leaving WAL mode makes SQLite itself remove both files; the copy renamed over it has its own mode.
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
  for (const suffix of ['-wal', '-shm']) rmSync(`${databaseFile}${suffix}`, { force: true });
}

function removeDatabaseFiles(databaseFile: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${databaseFile}${suffix}`, { force: true });
}
