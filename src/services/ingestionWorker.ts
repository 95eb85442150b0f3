/**
 * The ingestion worker thread (started by IngestionService.startWorker in `tally serve`): owns its
 * own connections to the database, and for each request body it receives decodes, parses,
 * validates and canonicalises the events, then appends them through the store's one write path
 * (store/ledger.ts; on SQLite batches that arrive together are committed together). It answers
 * each batch once its transaction committed (fsynced), or with the reason it stored nothing.
 *
 * At `close` it finishes every batch it received, closes its connections and exits.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openStoreFrom } from '../store/database.js';
import { appendEvents, EventConflictError, type LedgerChange } from '../store/ledger.js';
import { prepareBody } from './batchBody.js';
import { eventsOutOfScope } from './batchScope.js';
import type { WorkerData, WorkerReply, WorkerRequest } from './ingestion.js';

/** PostgreSQL: connections of the worker's pool (batches written side by side). */
const POOL_SIZE = 4;

const port = parentPort!;
const { source, incoming: shared } = workerData as WorkerData;

/**
 * Bulk writes yield the CPU to the thread that answers polls: on a machine with as many busy
 * threads as cores, a poll would otherwise wait for the scheduler behind a batch. This worker
 * lowers the nice value of its own thread only: Linux keeps the nice value per thread, which is
 * what setpriority(2) with pid 0 changes (its man page, "Notes"); the main thread keeps its own.
 * Where the system applies it to the whole process instead, or refuses it, ingestion runs as
 * before.
 */
const WRITER_NICE = 10;
if (process.platform === 'linux') {
  try {
    setPriority(WRITER_NICE);
  } catch {
    // Refused by the system: ingestion runs at the process's priority, as it would elsewhere.
  }
}
const incoming = new Int32Array(shared);
const store = await openStoreFrom(source, { poolSize: POOL_SIZE, listen: false });

let running = 0;
let closing = false;

async function handle(request: WorkerRequest & { counted: boolean }): Promise<void> {
  running++;
  let counted = request.counted;
  const countDown = () => {
    if (counted) {
      counted = false;
      Atomics.sub(incoming, 0, 1);
    }
  };
  let reply: WorkerReply;
  try {
    const prepared = prepareBody(request.body, request.format);
    const foreign = prepared.ok && request.scope ? await eventsOutOfScope(store.db, request.scope, prepared.events) : [];
    if (!prepared.ok) {
      reply = { id: request.id, ok: false, problem: prepared.problem };
    } else if (foreign.length > 0) {
      reply = { id: request.id, ok: false, problem: { kind: 'out-of-scope', errors: foreign } };
    } else {
      let change: LedgerChange | undefined;
      const appended = appendEvents(store.db, prepared.events, request.ingestedAt, {
        incoming: () => Atomics.load(incoming, 0),
        committed: (moved) => {
          change = moved;
        },
        ...(request.audit ? { audit: { ...request.audit, count: prepared.count } } : {}),
      });
      // Queued for the next group: no longer on its way.
      countDown();
      const result = await appended;
      reply = { id: request.id, ok: true, result, change };
    }
  } catch (error) {
    reply = error instanceof EventConflictError
      ? { id: request.id, ok: false, conflict: { eventId: error.eventId, index: error.index } }
      : { id: request.id, ok: false, failure: (error as Error).message };
  } finally {
    countDown();
  }
  port.postMessage(reply);
  running--;
  if (closing && running === 0) await shutDown();
}

let shuttingDown: Promise<void> | undefined;
function shutDown(): Promise<void> {
  shuttingDown ??= store.close().then(() => port.close());
  return shuttingDown;
}

port.on('message', (message: (WorkerRequest & { counted: boolean }) | { close: true }) => {
  if ('close' in message) {
    closing = true;
    if (running === 0) void shutDown();
    return;
  }
  void handle(message);
});
port.postMessage({ ready: true });
