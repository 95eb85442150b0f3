/** `POST /tally/v1/events`: `{"events":[…]}` as JSON, or NDJSON with one event a line. */
import { errorCodes, type FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { requireRoles } from '../auth/guard.js';
import { MAX_BATCH_BYTES } from '../../ingest/events.js';
import {
  BatchEmptyError,
  BatchScopeError,
  BatchShapeError,
  BatchTooLargeError,
  BatchValidationError,
  EventConflictError,
  type Arrival,
  type BodyFormat,
  ingestScopeOf,
} from '../../services/ingestion.js';
import { sendError, tallyRefusals } from './errors.js';
import { IngestReply } from '../../schemas/admin.js';
import { entryFor } from '../../services/audit.js';

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

/** The body as received: its bytes go to ingestion unparsed (in the worker, off this thread). */
interface RawBatch {
  batchBytes: Buffer;
  format: BodyFormat;
}

export function eventRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    // In this plugin only: the body is kept as bytes. Decoding, parsing and validating it is
    // ingestion's work (services/batchBody.ts), with the same answers as the parsers gave.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: MAX_BATCH_BYTES }, (_request, body, done) => {
      done(null, { batchBytes: body as Buffer, format: 'json' } satisfies RawBatch);
    });
    app.addContentTypeParser(NDJSON_TYPES, { parseAs: 'buffer', bodyLimit: MAX_BATCH_BYTES }, (_request, body, done) => {
      done(null, { batchBytes: body as Buffer, format: 'ndjson' } satisfies RawBatch);
    });

    // Each authenticated request is announced to ingestion before its body is read, until it is
    // ingested or answered otherwise, so that concurrent batches are committed together (src/store/sqliteLedger.ts).
    const arrivals = new WeakMap<object, Arrival>();

    app.post(
      '/events',
      {
        bodyLimit: MAX_BATCH_BYTES,
        onResponse: (request, _reply, done) => {
          arrivals.get(request)?.settle();
          done();
        },
        // Authenticated first (an anonymous batch is never read), then announced to ingestion.
        onRequest: [
          requireRoles(ctx.auth, ['PortalAdministrator', 'Ingest'], tallyRefusals),
          (request, reply, done) => {
            const arrival = ctx.ingestion.expectBatch();
            arrivals.set(request, arrival);
            // Whichever comes first of the handler ingesting, the answer, or the connection closing.
            reply.raw.once('close', () => arrival.settle());
            done();
          },
        ],
        schema: { response: { 200: IngestReply } },
      },
      async (request, reply) => {
        const body = request.body as RawBatch | undefined;
        if (!body || !Buffer.isBuffer(body.batchBytes)) {
          // No body at all (no content type): as an empty JSON body was answered.
          throw new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY();
        }
        // The bytes go to ingestion (transferred to the worker): nothing here keeps them.
        request.body = undefined;
        // The batch's size and outcome, never its contents: written in the batch's transaction.
        const { details: _details, ...audit } = entryFor(request, { action: 'events.ingest', target: 'events' });
        try {
          const scope = ingestScopeOf(request.principal!);
          return await ctx.ingestion.ingestBody(body.batchBytes, body.format, audit, scope, arrivals.get(request));
        } catch (error) {
          if (error instanceof BatchTooLargeError) return sendError(reply, 413, error.message, undefined, 'batch_too_large');
          if (error instanceof BatchValidationError) {
            return sendError(reply, 400, 'The batch has invalid events; nothing was stored.', error.errors, 'validation_failed');
          }
          if (error instanceof EventConflictError) {
            return sendError(reply, 409, `${error.message}; nothing was stored.`, [{ index: error.index, field: 'id', message: error.message }]);
          }
          if (error instanceof BatchScopeError) {
            return sendError(reply, 400, 'The batch has events outside this account\'s scope; nothing was stored.', error.errors, 'out_of_scope');
          }
          if (error instanceof BatchShapeError) return sendError(reply, 400, error.message);
          if (error instanceof BatchEmptyError) throw new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY();
          throw error;
        }
      },
    );
  };
}
