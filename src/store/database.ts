/**
 * Opens the store: one Kysely instance over the embedded SQLite database (better-sqlite3), with the
 * schema migrated to the latest version. PostgreSQL will plug in here as a second dialect.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import * as ledger0001 from './migrations/0001_ledger.js';
import type { Database } from './schema.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001_ledger': ledger0001,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

export interface Store {
  db: Kysely<Database>;
  dialect: 'sqlite';
  /** Where the data lives, for messages. */
  location: string;
  close(): Promise<void>;
}

export class StoreError extends Error {}

/** The database file used when no `--database` URL is given. */
export function defaultDatabaseFile(dataDir: string): string {
  return path.join(dataDir, 'tally.db');
}

/** Resolves `--database`: a sqlite: URL or file path, or nothing for the file in the data dir. */
export function sqliteFileFromUrl(url: string | undefined, dataDir: string): string {
  if (!url) return defaultDatabaseFile(dataDir);
  if (url === ':memory:' || url === 'sqlite::memory:') return ':memory:';
  if (url.startsWith('sqlite://')) return url.slice('sqlite://'.length);
  if (url.startsWith('sqlite:')) return url.slice('sqlite:'.length);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new StoreError(`unsupported database URL ${redactUrl(url)}: this build stores data in SQLite (sqlite:FILE)`);
  }
  return url;
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

export async function openSqliteStore(file: string): Promise<Store> {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(file);
    // WAL lets readers run beside the writer; synchronous=FULL makes every commit durable
    // before ingestion answers (nothing acknowledged is ever lost, even on power failure).
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
  } catch (error) {
    throw new StoreError(`cannot open database ${file}: ${(error as Error).message}`);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrateToLatest(db);
  return {
    db,
    dialect: 'sqlite',
    location: file,
    close: () => db.destroy(),
  };
}

export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new StoreError(
      `database migration ${failed?.migrationName ?? ''} failed: ${(error as Error | undefined)?.message ?? 'unknown error'}`,
    );
  }
}
