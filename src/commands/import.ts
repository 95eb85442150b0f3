/**
 * `tally import FILE`: ingests events from NDJSON (one event a line) or JSON (`{"events":[…]}` or
 * an array) through the same ingestion path as the API, in batches of 10,000. Each batch is all or
 * nothing and idempotent, so an interrupted import is simply run again.
 */
import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { MAX_EVENTS_PER_BATCH } from '../ingest/events.js';
import { BatchValidationError, IngestionService } from '../services/ingestion.js';
import { EventConflictError } from '../store/ledger.js';
import type { Store } from '../store/database.js';

export class ImportError extends Error {}

export interface ImportReport {
  accepted: number;
  duplicates: number;
}

/** `fraction`: how much of the file was read (0..1), for the time left. */
type Progress = (done: number, accepted: number, duplicates: number, fraction: number) => void;

/** A batch and where each of its events came from, for error messages. */
interface Batch {
  events: unknown[];
  /** The share of the file read once this batch is stored. */
  fraction: number;
  positionOf(index: number): string;
}

async function* ndjsonBatches(file: string): AsyncGenerator<Batch> {
  const input = createReadStream(file, 'utf8');
  const size = statSync(file).size;
  const lines = createInterface({ input, crlfDelay: Infinity });
  const fraction = () => (size === 0 ? 1 : Math.min(1, input.bytesRead / size));
  let batch: unknown[] = [];
  let lineNumbers: number[] = [];
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    try {
      batch.push(JSON.parse(line));
    } catch {
      throw new ImportError(`${file}:${lineNumber}: not valid JSON`);
    }
    lineNumbers.push(lineNumber);
    if (batch.length === MAX_EVENTS_PER_BATCH) {
      yield ndjsonBatch(file, batch, lineNumbers, fraction());
      batch = [];
      lineNumbers = [];
    }
  }
  if (batch.length > 0) yield ndjsonBatch(file, batch, lineNumbers, 1);
}

function ndjsonBatch(file: string, events: unknown[], lineNumbers: number[], fraction: number): Batch {
  return { events, fraction, positionOf: (index) => `${file}:${lineNumbers[index]}` };
}

function* jsonBatches(file: string): Generator<Batch> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ImportError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const events = Array.isArray(parsed) ? parsed : (parsed as { events?: unknown })?.events;
  if (!Array.isArray(events)) throw new ImportError(`${file}: expected {"events":[…]} or an array of events`);
  for (let i = 0; i < events.length; i += MAX_EVENTS_PER_BATCH) {
    const slice = events.slice(i, i + MAX_EVENTS_PER_BATCH);
    yield { events: slice, fraction: (i + slice.length) / events.length, positionOf: (index) => `${file}: event #${i + index}` };
  }
}

/** NDJSON unless the file starts with `[` or `{"events"`. */
function looksLikeJsonDocument(file: string): boolean {
  const buffer = Buffer.alloc(64);
  const fd = openSync(file, 'r');
  try {
    const head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8').trimStart();
    return head.startsWith('[') || /^\{\s*"events"/.test(head);
  } finally {
    closeSync(fd);
  }
}

export async function importEvents(store: Store, file: string, progress: Progress = () => {}): Promise<ImportReport> {
  try {
    if (!statSync(file).isFile()) throw new ImportError(`${file} is not a file`);
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const json = looksLikeJsonDocument(file);
  const ingestion = new IngestionService(store.db);
  const report: ImportReport = { accepted: 0, duplicates: 0 };
  let done = 0;
  for await (const { events, fraction, positionOf } of json ? jsonBatches(file) : ndjsonBatches(file)) {
    const stored = `this batch was not stored (${report.accepted} events from earlier batches were)`;
    try {
      const result = await ingestion.ingest(events);
      report.accepted += result.accepted;
      report.duplicates += result.duplicates;
    } catch (error) {
      if (error instanceof BatchValidationError) {
        const lines = error.errors.slice(0, 10).map((e) => `  ${positionOf(e.index)}: ${e.field} ${e.message}`);
        throw new ImportError(`invalid events; ${stored}:\n${lines.join('\n')}`);
      }
      if (error instanceof EventConflictError) throw new ImportError(`${positionOf(error.index)}: ${error.message}; ${stored}`);
      throw error;
    }
    done += events.length;
    progress(done, report.accepted, report.duplicates, fraction);
  }
  return report;
}
