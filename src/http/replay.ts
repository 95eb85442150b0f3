/**
 * Response replay for the endpoints integrations poll (the two seed endpoints): a 200 answer a
 * route computed is kept with everything it depended on, and the same request is answered again
 * with the same bytes, before routing, for as long as all of it provably holds:
 *
 * - the same request: GET, the same URL (path and query), the same `Authorization` and
 *   `x-client-version` headers (the VSPC version gate), and no body or `X-Request-id` (those go
 *   through the routes);
 * - the same credentials, roles and scopes: the `auth` change counter has not moved (any token
 *   removed, any account or API key changed), and the credential has not expired;
 * - the same configuration: the `config` counter (clock, licenses, entities, reports);
 * - the same ledger: the `ledger` counter;
 * - the same instant range: the clock is still inside the range in which every cached answer the
 *   route used holds (month starts, 31-day releases, grace ends; see AnswerCache).
 *
 * The counters are read without waiting (store/generation.ts: on the embedded database, only
 * after a commit); where that is not possible (PostgreSQL) nothing is replayed. Whatever does not
 * match goes through Fastify's routes as before, which is also where every refusal comes from.
 * Replaying skips Fastify's per-request work (hooks, routing, validation, serialization), which is
 * most of what a cached answer costs; test/http/replay.test.ts checks the bytes are the same.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { unbounded, type ValidityRange } from '../services/answerCache.js';
import type { Generations, GenerationsReader } from '../store/generation.js';

declare module 'fastify' {
  interface FastifyInstance {
    responseReplay: ResponseReplay;
  }
  interface FastifyRequest {
    /** Set by a replayable route's handler: the instants between which its answer holds. */
    answerValidity?: ValidityRange;
    /** Set by the guard: when the credential stops being valid (system clock). */
    credentialExpiresAt?: number;
  }
  interface FastifyContextConfig {
    /** The route's 200 answers may be replayed (see http/replay.ts). */
    replayable?: boolean;
  }
}

interface Kept {
  generations: Generations;
  credentialExpiresAt: number;
  validity: ValidityRange;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

type Listener = (request: IncomingMessage, response: ServerResponse) => void;

/** Requests kept at most (the oldest makes room); with MAX_KEY_LENGTH, a few MB per face. */
const MAX_KEPT = 10_000;
/** Longer requests (long query strings) are not kept: memory must not follow what clients send. */
const MAX_KEY_LENGTH = 1024;

export class ResponseReplay {
  private readonly kept = new Map<string, Kept>();
  private closing = false;
  /** Requests answered by replay (for tests and diagnostics). */
  served = 0;

  constructor(
    private readonly generations: GenerationsReader,
    private readonly clock: Clock,
  ) {}

  /** Puts the replay in front of `app`'s routes and keeps the answers of its replayable routes. */
  install(app: FastifyInstance): void {
    app.decorate('responseReplay', this as ResponseReplay);
    const server = app.server;
    // Fastify registers its router as the server's only 'request' listener when it creates the
    // server; the replay answers first and hands everything else on.
    const [routes, ...others] = server.listeners('request') as Listener[];
    if (!routes || others.length > 0) throw new Error('unexpected request listeners on the server');
    server.removeListener('request', routes);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (!this.answer(request, response)) routes(request, response);
    });
    app.addHook('onSend', async (request, reply, payload) => {
      this.keep(request, reply, payload);
      return payload;
    });
    // While closing, Fastify answers 503 and closes connections: nothing is replayed any more.
    app.addHook('preClose', async () => {
      this.closing = true;
    });
  }

  /**
   * Answers from a kept answer when everything it depended on still holds; false otherwise, also
   * when reading the counters fails (the routes then answer, and refuse in the face's dialect).
   */
  answer(request: IncomingMessage, response: ServerResponse): boolean {
    if (this.closing || this.kept.size === 0) return false;
    try {
      return this.answerKept(request, response);
    } catch {
      return false;
    }
  }

  private answerKept(request: IncomingMessage, response: ServerResponse): boolean {
    const key = replayKey(request);
    if (key === undefined) return false;
    const kept = this.kept.get(key);
    if (!kept) return false;
    const now = this.generations.readNow();
    if (!now) return false;
    const was = kept.generations;
    const instant = this.clock.peek(now.config);
    if (
      now.ledger !== was.ledger || now.auth !== was.auth || now.config !== was.config ||
      Date.now() >= kept.credentialExpiresAt ||
      instant === undefined || instant < kept.validity.from || instant >= kept.validity.until
    ) {
      this.kept.delete(key);
      return false;
    }
    response.writeHead(200, kept.headers);
    response.end(kept.body);
    this.served++;
    return true;
  }

  private keep(request: FastifyRequest, reply: FastifyReply, payload: unknown): void {
    if (!request.routeOptions.config.replayable || reply.statusCode !== 200 || typeof payload !== 'string') return;
    // Nothing could be replayed: the counters cannot be read without waiting (PostgreSQL).
    if (!this.generations.readsWithoutWaiting) return;
    const { generations, credentialExpiresAt, answerValidity } = request;
    if (!generations || credentialExpiresAt === undefined || !answerValidity) return;
    const key = replayKey(request.raw);
    if (key === undefined || key.length > MAX_KEY_LENGTH) return;
    if (this.kept.size >= MAX_KEPT) this.kept.delete(this.kept.keys().next().value!);
    const body = Buffer.from(payload);
    this.kept.set(key, {
      generations,
      credentialExpiresAt,
      validity: answerValidity,
      headers: { ...(reply.getHeaders() as OutgoingHttpHeaders), 'content-length': body.length },
      body,
    });
  }
}

/** The request's identity for the replay; undefined for a request that must go through the routes. */
function replayKey(request: IncomingMessage): string | undefined {
  if (request.method !== 'GET') return undefined;
  const headers = request.headers;
  const authorization = headers.authorization;
  if (!authorization) return undefined;
  if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined || headers['x-request-id'] !== undefined) return undefined;
  return `${request.url}\n${authorization}\n${headers['x-client-version'] ?? ''}`;
}

/** A fresh range for a replayable handler to collect its answers' validity into. */
export function answerValidity(request: FastifyRequest): ValidityRange {
  return (request.answerValidity = unbounded());
}
