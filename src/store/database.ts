/**
 * Opens the store: one Kysely instance over the embedded SQLite database (better-sqlite3) or a
 * PostgreSQL server (pg pool), with the schema migrated to the latest version. Everything above
 * this file is dialect-neutral.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type MigrationProvider, type SqliteDatabase } from 'kysely';
import type pg from 'pg';
import { isPostgresUrl, type Dialect } from './dialect.js';
import { ChangeWatch, ObservedDialect, registerChangeWatch } from './generation.js';
import { registerSqliteHandle } from './sqliteHandle.js';
import { ledgerMigration } from './migrations/0001_ledger.js';
import { reportsMigration } from './migrations/0002_reports.js';
import { vspcAgentSegmentsMigration } from './migrations/0007_vspc_agent_segments.js';
import { generationsMigration } from './migrations/0008_generations.js';
import { changeCountersMigration } from './migrations/0009_change_counters.js';
import { vspcSegmentReportIndexesMigration } from './migrations/0010_vspc_segment_report_indexes.js';
import { changeNotificationsMigration, CHANGES_CHANNEL } from './migrations/0011_change_notifications.js';
import { loginAttemptsMigration } from './migrations/0003_login_attempts.js';
import { requestIdsMigration } from './migrations/0004_request_ids.js';
import { auditAndTokenFamiliesMigration } from './migrations/0005_audit_and_token_families.js';
import { vspcAgentRankMigration } from './migrations/0006_vspc_agent_rank.js';
import type { Database } from './schema.js';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the data lives, for messages (passwords redacted). */
  location: string;
  /** How to open the same database again (the ingestion worker opens its own connections). */
  source: StoreSource;
  close(): Promise<void>;
  /** PostgreSQL only: the pool's connections (open, idle, requests waiting for one), for /metrics. */
  poolState?(): { total: number; idle: number; waiting: number };
  /** A consistent online copy into a new SQLite file (SQLite only: PostgreSQL has pg_dump). */
  backupTo?(file: string, progress?: (pagesDone: number, pagesTotal: number) => void): Promise<void>;
}

export type StoreSource = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

export interface OpenOptions {
  /** PostgreSQL: connections in the pool (default POOL_SIZE). */
  poolSize?: number;
  /** PostgreSQL: listen for other nodes' changes (default true; the ingestion worker does not need to). */
  listen?: boolean;
}

/** Opens the database `source` names again, in this thread or another. */
export function openStoreFrom(source: StoreSource, options: OpenOptions = {}): Promise<Store> {
  return source.dialect === 'sqlite' ? openSqliteStore(source.file) : openPostgresStore(source.url, options);
}

export class StoreError extends Error {}

function migrationsFor(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => ({ '0001_ledger': ledgerMigration(dialect), '0002_reports': reportsMigration, '0003_login_attempts': loginAttemptsMigration, '0004_request_ids': requestIdsMigration, '0005_audit_and_token_families': auditAndTokenFamiliesMigration(dialect), '0006_vspc_agent_rank': vspcAgentRankMigration(dialect), '0007_vspc_agent_segments': vspcAgentSegmentsMigration, '0008_generations': generationsMigration, '0009_change_counters': changeCountersMigration(dialect), '0010_vspc_segment_report_indexes': vspcSegmentReportIndexesMigration, '0011_change_notifications': changeNotificationsMigration(dialect) }) };
}

/** The database file used when no `--database` URL is given. */
export function defaultDatabaseFile(dataDir: string): string {
  return path.join(dataDir, 'tally.db');
}

/** Resolves a SQLite `--database` value: a sqlite: URL or file path, or nothing for the data dir's file. */
export function sqliteFileFromUrl(url: string | undefined, dataDir: string): string {
  if (!url) return defaultDatabaseFile(dataDir);
  if (url === ':memory:' || url === 'sqlite::memory:') return ':memory:';
  if (url.startsWith('sqlite://')) return url.slice('sqlite://'.length);
  if (url.startsWith('sqlite:')) return url.slice('sqlite:'.length);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new StoreError(`unsupported database URL ${redactUrl(url)}: use a SQLite file (sqlite:FILE) or postgres://…`);
  }
  return url;
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** Opens the store a `--database` value names (PostgreSQL URL, or SQLite in the data dir). */
export function openStoreAt(url: string | undefined, dataDir: string, options: OpenOptions = {}): Promise<Store> {
  return isPostgresUrl(url) ? openPostgresStore(url, options) : openSqliteStore(sqliteFileFromUrl(url, dataDir), options);
}

export interface OpenOptions {
  /**
   * Refuse a database that holds no Tally data instead of creating one: every command but
   * `tally serve` (a mistyped `--data` must change nothing and say so).
   */
  mustExist?: boolean;
}

/** The message for a `--data`/`--database` that names no Tally database. */
function noTallyDatabase(where: string, why: string): StoreError {
  return new StoreError(`no Tally database at ${where} (${why}); check --data/--database (only tally serve creates one)`);
}

/** Whether the SQLite file holds Tally's tables (its migrations table and its ledger). */
function assertSqliteTallyDatabase(file: string): void {
  if (file === ':memory:') throw noTallyDatabase(file, 'an in-memory database is always empty');
  if (!existsSync(file)) throw noTallyDatabase(file, 'the file does not exist');
  let probe: SQLite.Database | undefined;
  try {
    probe = new SQLite(file, { readonly: true, fileMustExist: true });
    const { n } = probe.prepare(`select count(*) as n from sqlite_master where type = 'table' and name in ('kysely_migration', 'events')`).get() as { n: number };
    if (n !== 2) throw noTallyDatabase(file, 'the file holds no Tally tables');
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw noTallyDatabase(file, (error as Error).message);
  } finally {
    probe?.close();
  }
}

/**
 * The page size of a new database file. Ingestion inserts every event into several indexes keyed
 * by random identifiers (event ids, user ids, agent uids), so each row lands on its own leaf page:
 * with 16 KiB pages instead of SQLite's 4 KiB the trees are shallower and split a quarter as often,
 * and the raw insert of the bench's 200,000 events went from about 35,500 to about 52,000 events/s
 * (Tally over HTTP: 33,600 to 37,000–41,000). Reads of the answers do not touch pages (replayed, or
 * a few index probes), and the month-end report walks its indexes in fewer, larger steps. A file
 * made with another page size keeps it (docs/operations.md: how to convert one).
 */
export const PAGE_SIZE = 16_384;

export async function openSqliteStore(file: string, options: OpenOptions = {}): Promise<Store> {
  if (options.mustExist) assertSqliteTallyDatabase(file);
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(file);
    // Takes effect only on a file still empty; an existing database keeps its own.
    sqlite.pragma(`page_size = ${PAGE_SIZE}`);
    // WAL lets readers run beside the writer; synchronous=FULL makes every commit durable
    // before ingestion answers (nothing acknowledged is ever lost, even on power failure).
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    // better-sqlite3 builds SQLite with a 16 MB page cache per connection; answers read indexes
    // and the operating system caches the file anyway, so 8 MB keeps the server's memory small.
    sqlite.pragma('cache_size = -8000');
  } catch (error) {
    throw new StoreError(`cannot open database ${file}: ${(error as Error).message}`);
  }
  const watch = new ChangeWatch();
  const db = new Kysely<Database>({ dialect: new ObservedDialect(new SqliteDialect({ database: statementCache(sqlite) }), () => watch.noteChange()) });
  registerSqliteHandle(db, sqlite);
  registerChangeWatch(db, watch);
  await migrateToLatest(db, 'sqlite');
  return {
    db,
    dialect: 'sqlite',
    location: file,
    source: { dialect: 'sqlite', file },
    close: async () => {
      await db.destroy();
    },
    backupTo: async (target, progress) => {
      await sqlite.backup(target, {
        progress: ({ totalPages, remainingPages }) => {
          progress?.(totalPages - remainingPages, totalPages);
          // better-sqlite3's default step: pages copied between turns of the event loop.
          return 100;
        },
      });
    },
  };
}

/**
 * What Kysely's SqliteDialect is given instead of the better-sqlite3 connection itself: an object of
 * Tally's own implementing Kysely's documented `SqliteDatabase` interface (`prepare`, `close`) that
 * keeps prepared statements. Kysely prepares every query it runs, and preparing costs about as much
 * as running a small query; the same few hundred SQL texts recur (Kysely emits placeholders, never
 * values), so they are kept, most recently used last, and reused. The connection itself is not
 * changed: code that runs statements on it directly (store/sqliteHandle.ts) sees better-sqlite3 as
 * documented. Statements run one at a time on this one connection (Tally streams no results), and
 * SQLite re-prepares a kept statement by itself after a schema change.
 */
export function statementCache(sqlite: SQLite.Database, size = 1000): SqliteDatabase {
  const kept = new Map<string, SQLite.Statement>();
  return {
    prepare(source: string) {
      let statement = kept.get(source);
      if (statement) {
        kept.delete(source);
      } else {
        statement = sqlite.prepare(source);
        if (kept.size >= size) kept.delete(kept.keys().next().value!);
      }
      kept.set(source, statement);
      return statement;
    },
    close() {
      kept.clear();
      sqlite.close();
    },
  };
}

// int8 (bigint) columns hold epoch milliseconds, far below 2^53: read them as numbers, not strings.
const PG_INT8 = 20;
function pgTypes(driver: typeof pg) {
  return {
    getTypeParser: ((oid: number, format?: string) =>
      oid === PG_INT8 ? (value: string) => Number(value) : driver.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
}

/** Connections per server node; several nodes share one PostgreSQL (docs/operations.md). */
const POOL_SIZE = 10;

export async function openPostgresStore(url: string, options: OpenOptions = {}): Promise<Store> {
  // Loaded only for PostgreSQL: the embedded store's start-up does not pay for it.
  const { default: driver } = await import('pg');
  const pool = new driver.Pool({
    connectionString: url,
    max: options.poolSize ?? POOL_SIZE,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    // A statement that runs longer than this is a bug or an outage, not a slow answer.
    statement_timeout: 60_000,
    types: pgTypes(driver),
  });
  // An idle client losing its connection (database restart) must not crash the process; the pool
  // replaces it on the next checkout, and requests meanwhile answer 503.
  pool.on('error', (error) => {
    process.emitWarning(`PostgreSQL connection lost: ${error.message}`, 'TallyDatabaseWarning');
  });
  const location = redactUrl(url);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => {});
    throw new StoreError(`cannot connect to PostgreSQL at ${location}: ${(error as Error).message}`);
  }
  const watch = new ChangeWatch();
  const db = new Kysely<Database>({ dialect: new ObservedDialect(new PostgresDialect({ pool }), () => watch.noteChange()) });
  registerChangeWatch(db, watch);
  if (options.mustExist) {
    const found = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables
      where table_schema = current_schema() and table_name in ('kysely_migration', 'events')`.execute(db);
    if (found.rows[0]?.n !== 2) {
      await db.destroy();
      throw noTallyDatabase(location, 'the schema holds no Tally tables');
    }
  }
  await migrateToLatest(db, 'postgres');
  const schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]!.schema;
  const listener = options.listen === false ? undefined : new ChangeListener(driver, url, schema, () => watch.noteChange());
  await listener?.start();
  return {
    db,
    dialect: 'postgres',
    location,
    source: { dialect: 'postgres', url },
    close: async () => {
      await listener?.stop();
      await db.destroy();
    },
    poolState: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}

/** The migrations this build applies that the database has not recorded (for `GET /ready`). */
export async function pendingMigrations(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  const expected = Object.keys(await migrationsFor(dialect).getMigrations());
  const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
  const applied = new Set(rows.rows.map((row) => row.name));
  return expected.filter((name) => !applied.has(name));
}

export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  // On PostgreSQL the migration bookkeeping must live in the schema Tally uses (the connection's
  // search_path), or Kysely would see another schema's tables and skip creating its own.
  const schema = dialect === 'postgres'
    ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
    : undefined;
  const migrator = new Migrator({ db, provider: migrationsFor(dialect), ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new StoreError(
      `database migration ${failed?.migrationName ?? ''} failed: ${(error as Error | undefined)?.message ?? 'unknown error'}`,
    );
  }
}

/**
 * Listens on a connection of its own for the notifications of migration 0011 (a counter of this
 * schema raised by any session, delivered at its commit) and tells the watch. Whenever the
 * connection is lost or made again the watch is told too: a notification may have been missed,
 * and the counters are read again. Meanwhile the watch still reads them every 250 ms.
 */
class ChangeListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly driver: typeof pg,
    private readonly url: string,
    private readonly schema: string,
    private readonly changed: () => void,
  ) {}

  async start(): Promise<void> {
    if (this.stopped) return;
    const client = new this.driver.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000 });
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => {});
      this.changed();
      this.schedule();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      if (message.channel === CHANGES_CHANNEL && message.payload === this.schema) this.changed();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch {
      client.end().catch(() => {});
      this.schedule();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    // Listening again after a loss: whatever was raised meanwhile is read now.
    this.changed();
  }

  private schedule(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.start();
    }, 1_000);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
