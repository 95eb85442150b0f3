/**
 * The one ingestion path: the admin API, `tally import` and the demo all come through here.
 * Validates the whole batch first, then appends it atomically.
 */
import type { Kysely } from 'kysely';
import { MAX_EVENTS_PER_BATCH, validateEvent, type FieldError } from '../ingest/events.js';
import { appendEvents, type AppendResult, type PreparedEvent } from '../store/ledger.js';
import type { Database } from '../store/schema.js';

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

// Enough to fix a batch; a batch of 10,000 broken events should not answer with a 10,000-item list.
const MAX_REPORTED_ERRORS = 100;

export class IngestionService {
  /** Batches announced by `expectBatch` and not yet ingested nor given up. */
  private incoming = 0;
  private readonly countIncoming = () => this.incoming;

  get incomingBatches(): number {
    return this.incoming;
  }

  constructor(
    private readonly db: Kysely<Database>,
    private readonly wallClock: () => number = Date.now,
  ) {}

  /**
   * Announces a batch on its way (a request received, its body still to be read and checked), so
   * that the store may commit it together with those already waiting. Call the returned function
   * once it is ingested or given up (calling it again does nothing).
   */
  expectBatch(): () => void {
    this.incoming++;
    let pending = true;
    return () => {
      if (pending) {
        pending = false;
        this.incoming--;
      }
    };
  }

  async ingest(rawEvents: readonly unknown[]): Promise<AppendResult> {
    if (rawEvents.length > MAX_EVENTS_PER_BATCH) throw new BatchTooLargeError(rawEvents.length);
    const prepared: PreparedEvent[] = [];
    const errors: FieldError[] = [];
    for (let index = 0; index < rawEvents.length; index++) {
      const result = validateEvent(rawEvents[index], index);
      if (result.ok) prepared.push(result);
      else errors.push(...result.errors);
    }
    if (errors.length > 0) throw new BatchValidationError(errors.slice(0, MAX_REPORTED_ERRORS));
    if (prepared.length === 0) return { accepted: 0, duplicates: 0 };
    return appendEvents(this.db, prepared, this.wallClock(), { incoming: this.countIncoming });
  }
}
