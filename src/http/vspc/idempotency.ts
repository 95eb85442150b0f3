/**
 * `X-Request-id` idempotency of the VSPC face. The VSPC document declares the header on every
 * operation: "Random UID that you can assign to a request for idempotence … an operation is
 * idempotent only during 5 minute time interval" (vendored in docs/compatibility.md).
 *
 * What Tally does (each choice is documented in docs/compatibility.md):
 * - The header is validated wherever it is sent: a value that is not a UUID is a 400 naming
 *   `X-Request-id` and nothing runs (an empty value counts as no header). The forms .NET's Guid
 *   parser takes are accepted (`D`, `N`, `B`, `P`); the id is compared in its lower-case `D` form.
 * - Requests that change something (every method but GET, HEAD and OPTIONS) of an authenticated
 *   account are recorded: the first request with an id runs and its answer is stored; a repeat
 *   from the same account within 5 minutes of the first gets the stored answer (status, body and
 *   content headers) without running again. The record lives in the database, so a retry that
 *   reaches another node is answered the same.
 * - The same id with another method, URL or body from the same account within the window is a
 *   409 (`logical`); ids of different accounts never meet. A repeat that arrives while the first
 *   is still running waits for its answer (up to 10 s, then 409 `retryableLogical`).
 * - Reads (GET) are not recorded: running a read again has no effect, and replaying one would
 *   serve usage up to 5 minutes old; clients that tag all their reads with one id keep working.
 * - Anonymous requests (`POST /token`) are not recorded: there is no account to scope the id to,
 *   and a replayed token answer would hand out the same tokens twice.
 * - Server errors (5xx/520) are not stored: the id is released and a retry runs again.
 * - Time is the server's wall clock (like token lifetimes), never the time-travel clock.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler, RouteOptions } from 'fastify';
import type { AppContext } from '../context.js';
import {
  claimRequestId, completeRequestId, deleteExpiredRequestIds, findRequestId, releaseRequestId, type StoredAnswer,
} from '../../services/vspc/requestIds.js';
import { sendErrors } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when this request holds the claim on its X-Request-id and must store its answer. */
    requestIdClaim?: { account: string; requestId: string; settled: boolean };
  }
}

export const REQUEST_ID_HEADER = 'X-Request-id';
/** "An operation is idempotent only during 5 minute time interval." */
export const REQUEST_ID_WINDOW_MS = 5 * 60_000;

export interface IdempotencyOptions {
  /** The wall clock (tests inject one). */
  now?: () => number;
  windowMs?: number;
  /** How long a repeat waits for the first request to finish before answering 409. */
  pendingWaitMs?: number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The headers of an answer that belong to it and are replayed with it. */
const REPLAYED_HEADERS = ['content-type', 'cache-control', 'pragma', 'allow', 'retry-after', 'location', 'www-authenticate'];
const POLL_MS = 50;
const CLEANUP_INTERVAL_MS = 60_000;

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DIGITS_ONLY = /^[0-9a-f]{32}$/i;

/** The canonical form of a request id, or null when the header is not a GUID .NET would parse. */
export function parseRequestId(value: string): string | null {
  let text = value.trim();
  if ((text.startsWith('{') && text.endsWith('}')) || (text.startsWith('(') && text.endsWith(')'))) text = text.slice(1, -1);
  if (CANONICAL.test(text)) return text.toLowerCase();
  if (DIGITS_ONLY.test(text)) {
    const h = text.toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return null;
}

/** What makes two requests "the same request": method, URL as sent (path and query) and body. */
function fingerprintOf(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
    .digest('hex');
}

function replay(reply: FastifyReply, answer: StoredAnswer): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

function answerHeaders(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = reply.getHeader(name);
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return headers;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Installs the behaviour on a face: call it before the face's routes are registered (its onRoute
 * hook appends the check after each route's own preHandlers, so that the account is known).
 */
export function installIdempotency(app: FastifyInstance, ctx: AppContext, options: IdempotencyOptions = {}): void {
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? REQUEST_ID_WINDOW_MS;
  const pendingWaitMs = options.pendingWaitMs ?? 10_000;
  const db = ctx.store.db;
  let lastCleanup = 0;

  const check: preHandlerAsyncHookHandler = async function requestIdCheck(request, reply) {
    const header = request.headers['x-request-id'];
    if (header === undefined) return;
    const raw = Array.isArray(header) ? header.join(', ') : header;
    // An empty header is no id, as ASP.NET binds an empty value to an absent Guid.
    if (raw.trim() === '') return;
    const requestId = parseRequestId(raw);
    if (requestId === null) {
      return sendErrors(reply, 400, {
        message: `The value '${raw}' is not valid for ${REQUEST_ID_HEADER}: it must be a valid uuid.`,
        type: 'logical',
        parameterName: REQUEST_ID_HEADER,
      });
    }
    const account = request.principal?.username;
    if (SAFE_METHODS.has(request.method) || account === undefined) return;

    const fingerprint = fingerprintOf(request);
    const at = now();
    if (at - lastCleanup >= CLEANUP_INTERVAL_MS) {
      lastCleanup = at;
      await deleteExpiredRequestIds(db, at);
    }
    // Waiting for a running first request is measured on the process's own timer: the window's
    // clock may be injected (tests) and need not move while we wait.
    const waitingSince = performance.now();
    for (;;) {
      const at = now();
      const record = await findRequestId(db, account, requestId, at);
      if (!record) {
        if (await claimRequestId(db, { account, requestId, fingerprint, now: at, expiresAt: at + windowMs })) {
          request.requestIdClaim = { account, requestId, settled: false };
          return;
        }
        continue; // another request (maybe on another node) claimed it first: read its record
      }
      if (record.fingerprint !== fingerprint) {
        return sendErrors(reply, 409, {
          message: `${REQUEST_ID_HEADER} ${requestId} was already used for a different request within the last 5 minutes; send a new UID for a new request.`,
          type: 'logical',
        });
      }
      if (record.state === 'done') return replay(reply, record.answer);
      if (performance.now() - waitingSince >= pendingWaitMs) {
        return sendErrors(reply.header('Retry-After', '1'), 409, {
          message: `The request with ${REQUEST_ID_HEADER} ${requestId} is still being processed; retry later.`,
          type: 'retryableLogical',
        });
      }
      await sleep(POLL_MS);
    }
  };

  app.addHook('onRoute', (route: RouteOptions) => {
    const own = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    route.preHandler = [...own, check];
  });

  // The answer of a claimed id is stored before it is sent, so that a retry can never miss it.
  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.requestIdClaim;
    if (!claim || claim.settled) return payload;
    claim.settled = true;
    const storable = typeof payload === 'string' || Buffer.isBuffer(payload) || payload === null || payload === undefined;
    if (reply.statusCode >= 500 || !storable) {
      await releaseRequestId(db, claim.account, claim.requestId);
    } else {
      const body = payload === null || payload === undefined ? '' : payload.toString();
      await completeRequestId(db, claim.account, claim.requestId, { status: reply.statusCode, headers: answerHeaders(reply), body });
    }
    return payload;
  });

  // A request that ends without sending (client gone, crash) gives its claim back.
  app.addHook('onResponse', async (request) => {
    const claim = request.requestIdClaim;
    if (claim && !claim.settled) {
      claim.settled = true;
      await releaseRequestId(db, claim.account, claim.requestId);
    }
  });
  app.addHook('onRequestAbort', async (request) => {
    const claim = request.requestIdClaim;
    if (claim && !claim.settled) {
      claim.settled = true;
      await releaseRequestId(db, claim.account, claim.requestId);
    }
  });
}
