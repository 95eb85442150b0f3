/**
 * Change counters ("generations") that cached answers are checked against, one row each:
 *
 * - `ledger`, raised with every committed batch of new events, in the batch's own transaction
 *   (ledger.ts, sqliteLedger.ts), so that a commit without its raise cannot happen.
 * - `auth` and `config`, raised by triggers inside the writing transaction (migration 0009): the
 *   credentials, and the settings, licenses, entities and reports.
 *
 * The counters in the database are the truth. Each process keeps the values it last read
 * (`ChangeWatch`) and reads them again only when it has reason to:
 *
 * - after a change of its own: every write through the store's Kysely instance, every commit of
 *   a transaction, and every batch committed by the ingestion worker, marks the watch (the
 *   `ObservedDialect` below, `noteLocalChange`); the next request reads the counters again, so a
 *   client always reads its own writes;
 * - on PostgreSQL, when a notification says another session raised a counter (migration 0011:
 *   a trigger on `generations` calls `pg_notify`, delivered at commit), and whenever the
 *   listening connection is re-established (a notification may have been missed);
 * - and in any case once its last reading is older than `CHECK_INTERVAL_MS` (250 ms): the bound on
 *   how long a change made by another process (`tally import` beside a running server, an
 *   operator's SQL) may go unseen on SQLite, or on PostgreSQL while notifications are down.
 *
 * A request thus costs a comparison of a flag and a clock reading, never a system call; the table
 * is read at most a few times a second plus once after each local change.
 */
import { CompiledQuery, type DatabaseConnection, type Dialect as KyselyDialect, type Driver, type Kysely, type QueryResult, type Transaction, type TransactionSettings, sql } from 'kysely';
import type SQLite from 'better-sqlite3';
import type { Database } from './schema.js';
import { sqliteHandleOf } from './sqliteHandle.js';

export interface Generations {
  ledger: number;
  auth: number;
  config: number;
}

/** Commits by other processes are seen within this many milliseconds (docs/operations.md). */
export const CHECK_INTERVAL_MS = 250;

/** The SQL that raises the ledger's counter; run inside the batch's transaction. */
export const RAISE_LEDGER_GENERATION = "update generations set value = value + 1 where name = 'ledger'";

export async function raiseLedgerGeneration(db: Kysely<Database> | Transaction<Database>): Promise<void> {
  await sql`update generations set value = value + 1 where name = 'ledger'`.execute(db);
}

type CounterRow = { name: string; value: number | string };

/**
 * What this process knows of the counters of one database, and when it must read them again.
 * Shared by every reader of the same Kysely instance (`changeWatchOf`).
 */
export class ChangeWatch {
  private last: Generations | undefined;
  private lastReadAt = -Infinity;
  /** Raised by every local change: a reading begun before it does not count as after it. */
  private changes = 0;
  private readChanges = -1;
  private pending: { changes: number; promise: Promise<Generations> } | undefined;
  private sqlite: SQLite.Database | undefined;
  private direct: SQLite.Statement | undefined;
  private db: Kysely<Database> | undefined;
  /** Times the counters table was read (tests and diagnostics: most requests must not read it). */
  tableReads = 0;

  constructor(
    /** How old a reading may be before the table is read again (tests may change it). */
    public intervalMs = CHECK_INTERVAL_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  attach(db: Kysely<Database>): void {
    this.db = db;
    this.sqlite = sqliteHandleOf(db);
    this.direct = undefined;
  }

  /** Something this process (or a notification) says changed: the next reading goes to the table. */
  noteChange(): void {
    this.changes++;
  }

  /** The counters, read again from the table only when a change was noted or the last reading is too old. */
  read(): Promise<Generations> {
    const now = this.clock();
    if (this.last && this.readChanges === this.changes && now - this.lastReadAt < this.intervalMs) return Promise.resolve(this.last);
    if (this.pending && this.pending.changes === this.changes) return this.pending.promise;
    const changes = this.changes;
    // On SQLite, read at once on this thread's connection, unless a transaction is open on it: it
    // could see a raise that is then rolled back. Kysely's path waits for the transaction to end.
    if (this.sqlite && !this.sqlite.inTransaction) {
      // Prepared on first use: the store registers its watch before migrating.
      this.direct ??= this.sqlite.prepare('select name, value from generations');
      return Promise.resolve(this.settle(toGenerations(this.direct.all() as CounterRow[]), changes, now));
    }
    const promise = this.db!.selectFrom('generations').select(['name', 'value']).execute().then(
      (rows) => this.settle(toGenerations(rows), changes, now),
    );
    const pending = { changes, promise };
    this.pending = pending;
    const clear = () => {
      if (this.pending === pending) this.pending = undefined;
    };
    promise.then(clear, clear);
    return promise;
  }

  private settle(generations: Generations, changes: number, startedAt: number): Generations {
    this.tableReads++;
    // A slower, older reading never replaces a newer one.
    if (startedAt >= this.lastReadAt) {
      this.last = generations;
      this.lastReadAt = startedAt;
      this.readChanges = changes;
    }
    return generations;
  }
}

const watches = new WeakMap<Kysely<any>, ChangeWatch>();

/** Registers the watch of a store's Kysely instance (store/database.ts, at open). */
export function registerChangeWatch(db: Kysely<Database>, watch: ChangeWatch): void {
  watch.attach(db);
  watches.set(db, watch);
}

/**
 * The watch of `db`. A Kysely instance not opened through the store (no local changes observed)
 * gets one that reads the table every time.
 */
export function changeWatchOf(db: Kysely<Database>): ChangeWatch {
  let watch = watches.get(db);
  if (!watch) {
    watch = new ChangeWatch(0);
    registerChangeWatch(db, watch);
  }
  return watch;
}

/** This process changed the database outside Kysely's queries (prepared statements, the worker). */
export function noteLocalChange(db: Kysely<Database>): void {
  watches.get(db)?.noteChange();
}

/** Reads the change counters for one service; every reader of the same database shares one watch. */
export class GenerationsReader {
  private readonly watch: ChangeWatch;

  constructor(db: Kysely<Database>) {
    this.watch = changeWatchOf(db);
  }

  read(): Promise<Generations> {
    return this.watch.read();
  }
}

/**
 * A Kysely dialect that tells the watch of every write it runs and every transaction it commits
 * (after they complete), through Kysely's public Dialect and Driver interfaces.
 */
export class ObservedDialect implements KyselyDialect {
  constructor(private readonly inner: KyselyDialect, private readonly changed: () => void) {}
  createAdapter() {
    return this.inner.createAdapter();
  }
  createIntrospector(db: Kysely<any>) {
    return this.inner.createIntrospector(db);
  }
  createQueryCompiler() {
    return this.inner.createQueryCompiler();
  }
  createDriver(): Driver {
    return new ObservedDriver(this.inner.createDriver(), this.changed);
  }
}

class ObservedDriver implements Driver {
  private readonly wrapped = new WeakMap<DatabaseConnection, ObservedConnection>();
  constructor(private readonly inner: Driver, private readonly changed: () => void) {}
  init() {
    return this.inner.init();
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let observed = this.wrapped.get(connection);
    if (!observed) this.wrapped.set(connection, (observed = new ObservedConnection(connection, this.changed)));
    return observed;
  }
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    return this.inner.beginTransaction((connection as ObservedConnection).inner, settings);
  }
  async commitTransaction(connection: DatabaseConnection) {
    try {
      await this.inner.commitTransaction((connection as ObservedConnection).inner);
    } finally {
      this.changed();
    }
  }
  rollbackTransaction(connection: DatabaseConnection) {
    return this.inner.rollbackTransaction((connection as ObservedConnection).inner);
  }
  releaseConnection(connection: DatabaseConnection) {
    return this.inner.releaseConnection((connection as ObservedConnection).inner);
  }
  destroy() {
    return this.inner.destroy();
  }
}

class ObservedConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection, private readonly changed: () => void) {}
  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(compiled);
    } finally {
      if (mayWrite(compiled)) this.changed();
    }
  }
  async *streamQuery<R>(compiled: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiled, chunkSize);
    } finally {
      if (mayWrite(compiled)) this.changed();
    }
  }
}

/** Every statement but a plain SELECT may change something (raw SQL included). */
function mayWrite(compiled: CompiledQuery): boolean {
  if (compiled.query.kind === 'SelectQueryNode') return false;
  return !/^\s*select\b/i.test(compiled.sql);
}

function toGenerations(rows: readonly CounterRow[]): Generations {
  const generations: Generations = { ledger: 0, auth: 0, config: 0 };
  for (const row of rows) {
    if (row.name === 'ledger' || row.name === 'auth' || row.name === 'config') generations[row.name] = Number(row.value);
  }
  return generations;
}
