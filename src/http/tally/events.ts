/** `POST /tally/v1/events`: `{"events":[…]}` as JSON, or NDJSON with one event a line. */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { requireRoles } from '../auth/guard.js';
import { MAX_BATCH_BYTES, MAX_EVENTS_PER_BATCH } from '../../ingest/events.js';
import { BatchTooLargeError, BatchValidationError } from '../../services/ingestion.js';
import { EventConflictError } from '../../store/ledger.js';
import { sendError, tallyRefusals } from './errors.js';
import { decodeUtf8Body } from '../jsonBody.js';
import { IngestReply } from '../../schemas/admin.js';
import * as audit from '../../services/audit.js';

/** An NDJSON body, split into lines; each is parsed in the handler so errors can name the line. */
interface NdjsonBody {
  ndjsonLines: string[];
}

export function eventRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.addContentTypeParser(
      ['application/x-ndjson', 'application/ndjson', 'application/jsonl'],
      { parseAs: 'buffer', bodyLimit: MAX_BATCH_BYTES },
      (_request, body, done) => {
        // Strictly UTF-8: a lenient decode would store U+FFFD for invalid bytes.
        const text = decodeUtf8Body(body as Buffer);
        if (text instanceof SyntaxError) return done(text, undefined);
        const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
        done(null, { ndjsonLines: lines } satisfies NdjsonBody);
      },
    );

    // Each request is announced to ingestion from its first byte until it is ingested or answered
    // otherwise, so that concurrent batches are committed together (src/store/sqliteLedger.ts).
    const arrivals = new WeakMap<object, () => void>();

    app.post(
      '/events',
      {
        bodyLimit: MAX_BATCH_BYTES,
        onRequest: (request, reply, done) => {
          const arrived = ctx.ingestion.expectBatch();
          arrivals.set(request, arrived);
          // Whichever comes first of the handler ingesting, the answer, or the connection closing.
          reply.raw.once('close', arrived);
          done();
        },
        onResponse: (request, _reply, done) => {
          arrivals.get(request)?.();
          done();
        },
        preHandler: requireRoles(ctx.auth, ['PortalAdministrator', 'Ingest'], tallyRefusals),
        schema: { response: { 200: IngestReply } },
      },
      async (request, reply) => {
        const body = request.body as unknown;
        let events: unknown[];
        if (typeof body === 'object' && body !== null && 'ndjsonLines' in body) {
          const lines = (body as NdjsonBody).ndjsonLines;
          if (lines.length > MAX_EVENTS_PER_BATCH) {
            return sendError(reply, 413, new BatchTooLargeError(lines.length).message, undefined, 'batch_too_large');
          }
          const errors: { index: number; field: string; message: string }[] = [];
          events = lines.map((line, index) => {
            try {
              return JSON.parse(line) as unknown;
            } catch {
              errors.push({ index, field: '(event)', message: `line ${index + 1} is not valid JSON` });
              return null;
            }
          });
          if (errors.length > 0) return sendError(reply, 400, 'The batch has invalid events; nothing was stored.', errors, 'validation_failed');
        } else if (
          typeof body === 'object' && body !== null && Array.isArray((body as { events?: unknown }).events) &&
          Object.keys(body).every((key) => key === 'events')
        ) {
          events = (body as { events: unknown[] }).events;
        } else {
          return sendError(reply, 400, 'The body must be {"events":[…]} and nothing else (application/json) or one event a line (application/x-ndjson).');
        }
        const count = events.length;
        // The batch waits for its commit, up to a second or so: let its text and parsed objects go
        // meanwhile (ingestion keeps what it stores), instead of carrying them through every
        // young-generation collection in between.
        request.body = undefined;
        try {
          arrivals.get(request)?.();
          const result = await ctx.ingestion.ingest(events);
          // The batch's size and outcome, never its contents; ingestion commits on its own.
          await audit.recordCommitted(ctx.store.db, request, {
            action: 'events.ingest',
            target: 'events',
            details: { count, accepted: result.accepted, duplicates: result.duplicates },
          });
          return result;
        } catch (error) {
          if (error instanceof BatchTooLargeError) return sendError(reply, 413, error.message, undefined, 'batch_too_large');
          if (error instanceof BatchValidationError) {
            return sendError(reply, 400, 'The batch has invalid events; nothing was stored.', error.errors, 'validation_failed');
          }
          if (error instanceof EventConflictError) {
            return sendError(reply, 409, `${error.message}; nothing was stored.`, [{ index: error.index, field: 'id', message: error.message }]);
          }
          throw error;
        }
      },
    );
  };
}
