/**
 * The one ingestion path: the admin API, `tally import` and the demo all come through here.
 * Validates the whole batch first, then appends it atomically (store/ledger.ts: one write path per
 * store).
 *
 * `tally serve` runs the work off the thread that answers reads: a worker thread
 * (services/ingestionWorker.ts) receives each request's body bytes (transferred, not copied),
 * decodes, parses, validates and canonicalises them, and appends them through its own connection
 * to the database (SQLite: its own write connection beside the main thread's, WAL lets them run
 * side by side; PostgreSQL: its own small pool). The main thread only reads the body off the
 * socket and waits for the outcome; it marks its change watch (store/generation.ts) before the
 * answer is sent, so a client reads its own writes. Commands and tests may run the same work in
 * process (`new IngestionService(db)`): the same code, the same answers.
 */
import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import { MAX_EVENTS_PER_BATCH, type FieldError } from '../ingest/events.js';
import { insertAuditEntry } from '../store/audit.js';
import { noteLocalChange } from '../store/generation.js';
import { appendEvents, EventConflictError, type AppendResult, type IngestAudit, type LedgerChange } from '../store/ledger.js';
import type { Database } from '../store/schema.js';
import type { StoreSource } from '../store/database.js';
import { refusalLimiter } from './audit.js';
import { prepareBody, prepareEvents, type BodyFormat, type BodyProblem, type PreparedBody } from './batchBody.js';
import { eventsOutOfScope, ingestScopeOf, type IngestScope } from './batchScope.js';

export type { BodyFormat, IngestScope };
export { ingestScopeOf };
export { EventConflictError };

/** One or more events are invalid; nothing was stored. */
export class BatchValidationError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(`${errors.length} problem(s) in the batch; nothing was stored`);
  }
}

export class BatchTooLargeError extends Error {
  constructor(readonly size: number) {
    super(`a batch holds at most ${MAX_EVENTS_PER_BATCH} events; this one has ${size}`);
  }
}

/** The body is not UTF-8, not JSON, or would pollute a prototype (answered as malformed JSON, 400). */
export class BatchSyntaxError extends SyntaxError {
  readonly statusCode = 400;
}

/** Events name objects outside the account's scope (or missing: the answer does not tell); nothing was stored. */
export class BatchScopeError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(`${errors.length} event(s) outside this account's scope; nothing was stored`);
  }
}

/** An empty application/json body. */
export class BatchEmptyError extends Error {}

/** JSON, but not `{"events":[…]}` and nothing else. */
export class BatchShapeError extends Error {}

/** Who sends the batch, for its audit entry (written in the batch's transaction). */
export type IngestWho = Omit<IngestAudit, 'count'>;

/** A batch announced to ingestion (`expectBatch`) until it is appended or given up. */
export interface Arrival {
  /** The batch is given up or appended (calling again does nothing). */
  settle(): void;
  /** The worker will settle it (it counts the batch down once appended or refused); false if already settled. */
  handOver(): boolean;
}

function problemError(problem: BodyProblem): Error {
  switch (problem.kind) {
    case 'syntax':
      return new BatchSyntaxError(problem.message);
    case 'empty-json':
      return new BatchEmptyError('The request body is empty but its content type is application/json.');
    case 'shape':
      return new BatchShapeError('The body must be {"events":[…]} and nothing else (application/json) or one event a line (application/x-ndjson).');
    case 'too-large':
      return new BatchTooLargeError(problem.size);
    case 'invalid':
      return new BatchValidationError(problem.errors);
    case 'out-of-scope':
      return new BatchScopeError(problem.errors);
  }
}

/** What the worker answers for one batch (plain data across the thread boundary). */
export type WorkerReply =
  | { id: number; ok: true; result: AppendResult; change: LedgerChange | undefined }
  | { id: number; ok: false; problem: BodyProblem }
  | { id: number; ok: false; conflict: { eventId: string; index: number } }
  | { id: number; ok: false; failure: string };

export interface WorkerRequest {
  id: number;
  body: Uint8Array;
  format: BodyFormat;
  ingestedAt: number;
  audit: IngestWho | undefined;
  /** The sender's scope when it is confined (services/batchScope.ts). */
  scope: IngestScope | undefined;
}

export interface WorkerData {
  source: StoreSource;
  /** One Int32: batches announced and not yet appended nor given up (both threads count it). */
  incoming: SharedArrayBuffer;
}

export class IngestionService {
  /** Batches announced by `expectBatch` and not yet appended nor given up; shared with the worker. */
  private readonly incoming = new Int32Array(new SharedArrayBuffer(4));
  private readonly countIncoming = () => Atomics.load(this.incoming, 0);
  private writer: IngestionWriter | undefined;
  /** Told of every commit of this process's batches (the answer cache keeps what it cannot change). */
  onLedgerChange: ((change: LedgerChange) => void) | undefined;

  get incomingBatches(): number {
    return this.countIncoming();
  }

  constructor(
    private readonly db: Kysely<Database>,
    private readonly wallClock: () => number = Date.now,
  ) {}

  /**
   * Moves the work to a worker thread with its own connections to `source` (the database `db`
   * reads). Resolves once the worker has opened the database.
   */
  async startWorker(source: StoreSource): Promise<void> {
    this.writer = await IngestionWriter.start(source, this.incoming.buffer as SharedArrayBuffer, this.db, (change) => this.onLedgerChange?.(change));
  }

  /**
   * Announces a batch on its way (a request received, its body still to be read and checked), so
   * that the store may commit it together with those already waiting.
   */
  expectBatch(): Arrival {
    Atomics.add(this.incoming, 0, 1);
    let pending = true;
    return {
      settle: () => {
        if (pending) {
          pending = false;
          Atomics.sub(this.incoming, 0, 1);
        }
      },
      handOver: () => {
        const was = pending;
        pending = false;
        return was;
      },
    };
  }

  /** Parsed events, in process (commands, the demo, tests). */
  async ingest(rawEvents: readonly unknown[], who?: IngestWho, scope?: IngestScope): Promise<AppendResult> {
    return this.append(prepareEvents(rawEvents), who, scope);
  }

  /** A request body's bytes: in the worker when there is one, else in process. `scope`: the sender's, when confined. */
  async ingestBody(body: Buffer, format: BodyFormat, who: IngestWho | undefined, scope: IngestScope | undefined, arrival?: Arrival): Promise<AppendResult> {
    try {
      if (this.writer) {
        const handedOver = arrival?.handOver() ?? false;
        return await this.writer.ingest(body, format, this.wallClock(), who, scope, handedOver);
      }
      arrival?.settle();
      return await this.append(prepareBody(body, format), who, scope);
    } catch (error) {
      if (error instanceof BatchScopeError && who) await this.scopeRefused(who, error);
      throw error;
    }
  }

  /** A confined sender named objects outside its scope: recorded like every refusal (rate-limited). */
  private async scopeRefused(who: IngestWho, error: BatchScopeError): Promise<void> {
    const admitted = refusalLimiter.admit(`scope.refused|${who.client_address ?? ''}`);
    if (!admitted.write) return;
    const details = { events: error.errors.length, ...(admitted.suppressed > 0 ? { suppressed: admitted.suppressed } : {}) };
    const entry = { ...who, at: this.wallClock(), action: 'scope.refused', target: 'events', details: JSON.stringify(details) };
    await insertAuditEntry(this.db, entry).catch((failure: Error) => {
      process.emitWarning(`audit entry not recorded: ${JSON.stringify(entry)}: ${failure.message}`, 'TallyAuditWarning');
    });
  }

  private async append(prepared: PreparedBody, who: IngestWho | undefined, scope: IngestScope | undefined): Promise<AppendResult> {
    if (!prepared.ok) throw problemError(prepared.problem);
    if (scope) {
      const foreign = await eventsOutOfScope(this.db, scope, prepared.events);
      if (foreign.length > 0) throw new BatchScopeError(foreign);
    }
    return appendEvents(this.db, prepared.events, this.wallClock(), {
      incoming: this.countIncoming,
      committed: (change) => this.onLedgerChange?.(change),
      ...(who ? { audit: { ...who, count: prepared.count } } : {}),
    });
  }

  /** Waits for the worker to finish every batch it received and to close its connections. */
  async close(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    await writer?.close();
  }
}

/** Where the worker's code is: beside this file under tsx, `dist/ingestion-worker.js` in the bundle. */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('./ingestionWorker.ts', here);
  return new URL(here.includes('/chunks/') ? '../ingestion-worker.js' : './ingestion-worker.js', here);
}

/** The main thread's side of the worker: sends bodies, waits for outcomes. */
class IngestionWriter {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(result: AppendResult): void; reject(error: unknown): void }>();
  private exited: Promise<void>;
  private closing = false;

  private constructor(
    private readonly worker: Worker,
    private readonly db: Kysely<Database>,
    private readonly changed: (change: LedgerChange) => void,
  ) {
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        const error = new Error(`the ingestion worker stopped (exit code ${code})`);
        for (const waiter of this.waiting.values()) waiter.reject(error);
        this.waiting.clear();
        resolve();
      });
    });
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (error) => {
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    });
  }

  static async start(source: StoreSource, incoming: SharedArrayBuffer, db: Kysely<Database>, changed: (change: LedgerChange) => void): Promise<IngestionWriter> {
    const url = workerUrl();
    const workerData: WorkerData = { source, incoming };
    // Under tsx (tests, development) the worker registers tsx's loader before loading its code.
    const worker = url.pathname.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData })
      : new Worker(url, { workerData });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: unknown) => {
        if ((message as { ready?: boolean }).ready) {
          worker.off('error', onError);
          worker.off('message', onMessage);
          resolve();
        }
      };
      const onError = (error: Error) => reject(error);
      worker.on('message', onMessage);
      worker.once('error', onError);
    });
    return new IngestionWriter(worker, db, changed);
  }

  ingest(body: Buffer, format: BodyFormat, ingestedAt: number, audit: IngestWho | undefined, scope: IngestScope | undefined, counted: boolean): Promise<AppendResult> {
    if (this.closing) return Promise.reject(new Error('ingestion is shutting down'));
    const id = ++this.nextId;
    // A body that owns its whole memory is handed over; a small one cut from Node's shared pool
    // is copied (transferring the pool would take it from every other buffer).
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
    const bytes = own ? new Uint8Array(body.buffer, 0, body.byteLength) : new Uint8Array(body);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const request: WorkerRequest & { counted: boolean } = { id, body: bytes, format, ingestedAt, audit, scope, counted };
      this.worker.postMessage(request, [bytes.buffer as ArrayBuffer]);
    });
  }

  private settle(reply: WorkerReply): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    if (reply.ok) {
      // Before the answer is sent: this process's next reading of the counters goes to the table.
      noteLocalChange(this.db);
      if (reply.change) this.changed(reply.change);
      waiter.resolve(reply.result);
    } else if ('problem' in reply) {
      waiter.reject(problemError(reply.problem));
    } else if ('conflict' in reply) {
      waiter.reject(new EventConflictError(reply.conflict.eventId, reply.conflict.index));
    } else {
      waiter.reject(new Error(reply.failure));
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.worker.postMessage({ close: true });
    await this.exited;
  }
}
