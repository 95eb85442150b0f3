/**
 * Operations endpoints on both listeners, outside every face's prefix and without a token:
 * `GET /health` (the process answers: for a liveness probe) and `GET /ready` (the database answers
 * and has every migration of this build: for a readiness probe or a load balancer; 503 otherwise).
 * Plus, for every request, its id in the `X-Correlation-Id` response header (not `X-Request-id`,
 * which the VSPC face reads from clients as an idempotency key: http/vspc/idempotency.ts) and one
 * log line when it has been answered. docs/operations.md describes all of it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { readiness } from '../../services/health.js';
import { countRequests, metricsOf, metricsRoute } from './metrics.js';

export const CORRELATION_HEADER = 'X-Correlation-Id';

/** What a proxy's id may look like to be kept: short, and nothing a log line could be forged with. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's `genReqId`: the caller's (or proxy's) X-Correlation-Id when it is safe, else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-correlation-id'];
  return typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
}

export interface OpsOptions {
  /** `--metrics-open`: /metrics without a token. */
  metricsOpen?: boolean | undefined;
}

/** Installs the hooks and routes on the root instance, before the faces. */
export function installOps(app: FastifyInstance, face: 'vb365' | 'vspc', ctx: AppContext, options: OpsOptions = {}): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(CORRELATION_HEADER, request.id);
  });
  // One line per answered request (the request's child logger carries `reqId`). The path only:
  // a query string could carry what does not belong in a log.
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, path: request.url.split('?')[0], route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
      'request',
    );
  });
  const metrics = metricsOf(ctx);
  countRequests(app, face, metrics);

  app.get('/health', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const state = await readiness(ctx.store);
    if (state.ready) return { status: 'ready' };
    reply.log.warn({ reason: state.reason }, 'not ready');
    return reply.code(503).send({ status: 'not ready', reason: state.reason });
  });
  metricsRoute(app, ctx, metrics, options.metricsOpen ?? false);
}
