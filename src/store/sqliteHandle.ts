/**
 * The better-sqlite3 connection behind a Kysely instance over the embedded database, for the few
 * hot paths that run prepared statements on it directly (ingestion: src/store/sqliteLedger.ts).
 * Only while holding Kysely's connection (`db.connection()`), so that no Kysely query runs on it
 * in between. Undefined for PostgreSQL.
 */
import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';

const handles = new WeakMap<Kysely<any>, SQLite.Database>();

export function registerSqliteHandle(db: Kysely<any>, sqlite: SQLite.Database): void {
  handles.set(db, sqlite);
}

export function sqliteHandleOf(db: Kysely<any>): SQLite.Database | undefined {
  return handles.get(db);
}
