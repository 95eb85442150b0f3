/**
 * Change counters ("generations") that cached answers are checked against, one row each:
 *
 * - `ledger`, raised with every committed batch of new events, by whichever node or command
 *   wrote it. On SQLite in the same transaction (one writer at a time). On PostgreSQL after the
 *   commit, never inside the transaction: inside, concurrent batches would queue on the
 *   counter's row lock. After the commit, a reader that
 *   sees the old value may cache an answer computed with or without the batch, and the raise that
 *   follows makes every node drop it; a reader that sees the new value also sees the batch.
 * - `auth` and `config`, raised by triggers inside the writing transaction (migration 0009): the
 *   credentials, and the settings, licenses, entities and reports.
 *
 * A request reads all of them at once (one indexed read) before it reads anything they guard.
 */
import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import type SQLite from 'better-sqlite3';
import type { Database } from './schema.js';
import { sqliteHandleOf } from './sqliteHandle.js';

export interface Generations {
  ledger: number;
  auth: number;
  config: number;
}

export async function raiseLedgerGeneration(db: Kysely<Database>): Promise<void> {
  await db.updateTable('generations').set({ value: sql`value + 1` }).where('name', '=', 'ledger').execute();
}

type CounterRow = { name: string; value: number | string };

/**
 * Reads every counter in one query: this runs on every request. On the embedded database it reads
 * them from a prepared statement, and only after something committed (see WalIndexHeader).
 */
export class GenerationsReader {
  private readonly query: CompiledQuery<CounterRow>;
  private readonly direct: SQLite.Statement | undefined;
  private readonly walIndex: WalIndexHeader | undefined;
  /** The WAL-index header as it was before `last` was read. */
  private readonly seen = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  private readonly looked = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  private last: Generations | undefined;
  /** Times the counters table was read (diagnostics and tests: most requests must not read it). */
  tableReads = 0;

  constructor(private readonly db: Kysely<Database>) {
    this.query = db.selectFrom('generations').select(['name', 'value']).compile();
    this.direct = sqliteHandleOf(db)?.prepare('select name, value from generations');
    this.walIndex = walIndexHeaders.get(db);
  }

  /** Whether `readNow` can ever answer (the embedded database); PostgreSQL needs a round trip. */
  get readsWithoutWaiting(): boolean {
    return this.direct !== undefined;
  }

  /** Whether reads are skipped while nothing committed (the embedded database's WAL index is watched). */
  get watchesWalIndex(): boolean {
    return this.walIndex !== undefined;
  }

  /** Whether the WAL index is looked at in shared memory (the addon's mapping) rather than by pread(2). */
  get watchesWalIndexInMemory(): boolean {
    return this.walIndex?.inMemory ?? false;
  }

  async read(): Promise<Generations> {
    return this.readNow() ?? toGenerations((await this.db.executeQuery(this.query)).rows);
  }

  /**
   * The counters now, without waiting: undefined where that needs a round trip (PostgreSQL) or
   * while this process has a transaction open on the embedded database. Never inside an open
   * transaction: it could see a raised counter that is then rolled back, and keep values under a
   * number that comes again (Kysely's path waits for the transaction to end).
   */
  readNow(): Generations | undefined {
    if (!this.direct || this.direct.database.inTransaction) return undefined;
    // The header is looked at before the counters are read: a commit in between is caught by the
    // next look.
    const looked = this.walIndex?.readInto(this.looked) ?? false;
    if (looked && this.last && this.looked.equals(this.seen)) return this.last;
    const generations = toGenerations(this.direct.all() as CounterRow[]);
    this.tableReads++;
    this.last = generations;
    if (looked) this.looked.copy(this.seen);
    else this.last = undefined;
    return generations;
  }
}

/** The shared-memory view addon's interface (packages/shm-view/index.d.ts). */
type ShmView = { mapShared(fd: number, length: number): ArrayBuffer };

/** The addon, when it was built; undefined otherwise. */
const shmView = ((): ShmView | undefined => {
  try {
    return createRequire(import.meta.url)('tally-shm-view') as ShmView;
  } catch {
    return undefined;
  }
})();

/**
 * The WAL-index header of an SQLite database in WAL mode, in its `-shm` file
 * (https://www.sqlite.org/walformat.html): its change counter moves with every commit of any
 * connection of any process, and its frame count and salts with every checkpoint and WAL reset.
 * Comparing it is the step SQLite's own readers take to know whether their page cache is still
 * valid; a header being rewritten reads as changed. The file stays in place while Tally holds the
 * database open.
 *
 * It is read where SQLite reads it, in a shared mapping of the file (the `tally-shm-view` addon),
 * so the check is a copy of 96 bytes. The system call it replaces (a pread of the page cache) costs
 * 0.8 µs in a loop but 2–3 µs of server CPU per replayed answer under load (alternating wrk runs:
 * 18.6–19.5 µs per request with it, 16.6–17.5 µs without). Without the addon (not built) the
 * header is read with pread(2) as before.
 * - Reading a mapped page wholly past the end of the file would raise SIGBUS. The mapping is made
 *   only when the file holds the header. SQLite truncates the file only when a process opens the
 *   database first (none can while this process holds it open), and then to a few bytes, which
 *   leaves the mapped page in place. Nothing reads the mapping once the database is closed. An
 *   operator must not truncate the `-shm` of a running server by hand (docs/operations.md).
 * - A commit is complete only once its header is written; a request that follows it reached this
 *   process through a socket read, a system call that orders the memory reads after it.
 */
class WalIndexHeader {
  private closed = false;
  private readonly mapped: Uint8Array | undefined;

  constructor(private readonly fd: number) {
    try {
      this.mapped = shmView ? new Uint8Array(shmView.mapShared(fd, WAL_INDEX_HEADER_BYTES)) : undefined;
    } catch {
      this.mapped = undefined;
    }
  }

  get inMemory(): boolean {
    return this.mapped !== undefined;
  }

  /** Copies the header into `target`; false when it cannot be read (or no longer: the number may be reused). */
  readInto(target: Buffer): boolean {
    if (this.closed) return false;
    if (this.mapped) {
      target.set(this.mapped);
      return true;
    }
    try {
      return readSync(this.fd, target, 0, WAL_INDEX_HEADER_BYTES, 0) === WAL_INDEX_HEADER_BYTES;
    } catch {
      return false;
    }
  }

  close(): void {
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Both copies of the 48-byte header, which SQLite writes one after the other. */
const WAL_INDEX_HEADER_BYTES = 96;

/** The generations row whose raise proves, at open, that the `-shm` file is the one SQLite uses. */
export const WAL_PROBE = 'wal-index-probe';

const walIndexHeaders = new WeakMap<Kysely<Database>, WalIndexHeader>();

/**
 * Lets readers of `db` (an SQLite database file in WAL mode, already open) skip reading the
 * counters while nothing committed; returns what to call once the database is closed (not
 * before: closing any descriptor of the file drops the process's POSIX locks on it, SQLite's
 * included; for the same reason a process should not keep a second connection to the file open
 * past this call, which `tally serve` and the commands never do).
 *
 * The `-shm` file is the one SQLite uses: next to the database file after symbolic links are
 * followed. It is watched only after a commit was seen to change its header, so a stale file
 * left beside a link can never pass for "nothing committed".
 */
/** How `db`'s WAL-index header is watched: in shared memory, by pread(2), or not at all (PostgreSQL, read-only files). */
export function walIndexWatch(db: Kysely<Database>): 'memory' | 'pread' | 'none' {
  const header = walIndexHeaders.get(db);
  return header === undefined ? 'none' : header.inMemory ? 'memory' : 'pread';
}

export function watchWalIndex(db: Kysely<Database>, sqlite: SQLite.Database, databaseFile: string): () => void {
  let header: WalIndexHeader;
  try {
    header = new WalIndexHeader(openSync(`${realpathSync(databaseFile)}-shm`, 'r'));
  } catch {
    return () => {};
  }
  const before = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  const after = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  let live = false;
  try {
    if (header.readInto(before)) {
      // A commit that really changes a page: SQLite writes nothing for an update that leaves a
      // row's bytes as they were (`set value = value`), and such a commit would leave the header
      // alone. The probe row is no counter: readers ignore names they do not know.
      sqlite
        .prepare(`insert into generations (name, value) values ('${WAL_PROBE}', 1) on conflict (name) do update set value = value + 1`)
        .run();
      live = header.readInto(after) && !before.equals(after);
    }
  } catch {
    // A database that cannot be written (a read-only copy) is simply not watched.
  }
  if (!live) {
    // Not watched, but the descriptor stays open until the database closes: closing it now would
    // drop this process's POSIX locks on the -shm, SQLite's included, and the next process to
    // open the database would take itself for the first and rebuild the index under this one.
    return () => header.close();
  }
  walIndexHeaders.set(db, header);
  return () => {
    walIndexHeaders.delete(db);
    header.close();
  };
}

function toGenerations(rows: readonly CounterRow[]): Generations {
  const generations: Generations = { ledger: 0, auth: 0, config: 0 };
  for (const row of rows) {
    if (row.name === 'ledger' || row.name === 'auth' || row.name === 'config') generations[row.name] = Number(row.value);
  }
  return generations;
}
