/**
 * Prometheus metrics (`GET /metrics`, prom-client's text format), one registry per application
 * context: both listeners of a server count into the same registry and either answers the scrape.
 *
 * Counted on every answer that goes through Fastify's routing (see docs/operations.md for the
 * list): requests and their latency by face, method, route pattern (never the raw URL: ids would
 * make a series each) and status; ingested batches and events (from the ingestion route's own
 * answer); failed logins refused by the throttle (429 on a token route). Read at scrape time:
 * the ledger's size, the answer caches' hits and misses, the database's connections.
 *
 * Access: a bearer token (or API key) of a PortalAdministrator, like the admin API; or open to
 * anyone who reaches the port with `--metrics-open` (a Prometheus on a private network).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { requireRoles } from '../auth/guard.js';
import type { AppContext } from '../context.js';
import { tallyRefusals } from '../tally/errors.js';
import { answerCacheStats } from '../../services/answerCache.js';
import { ledgerSize, poolState } from '../../services/health.js';

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'face' | 'method' | 'route' | 'status'>;
  readonly latency: Histogram<'face' | 'method' | 'route' | 'status'>;
  readonly ingestedEvents: Counter<'outcome'>;
  readonly ingestedBatches: Counter;
  readonly throttledLogins: Counter<'face'>;

  constructor(ctx: AppContext) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'tally_' });
    this.requests = new Counter({
      name: 'tally_http_requests_total',
      help: 'HTTP requests answered, by face (listener), method, route pattern and status',
      labelNames: ['face', 'method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'tally_http_request_duration_seconds',
      help: 'Time from the request\'s arrival to the end of its answer',
      labelNames: ['face', 'method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.ingestedEvents = new Counter({
      name: 'tally_ingested_events_total',
      help: 'Events received by POST /tally/v1/events in accepted batches: new (accepted) or already recorded (duplicate)',
      labelNames: ['outcome'],
      registers,
    });
    this.ingestedBatches = new Counter({ name: 'tally_ingested_batches_total', help: 'Batches accepted by POST /tally/v1/events', registers });
    this.throttledLogins = new Counter({
      name: 'tally_throttled_logins_total',
      help: 'Logins refused with 429 because of earlier failed logins (login throttle)',
      labelNames: ['face'],
      registers,
    });
    new Gauge({
      name: 'tally_ledger_events',
      help: 'Events in the ledger',
      registers,
      async collect() {
        this.set(await ledgerSize(ctx.store));
      },
    });
    new Gauge({
      name: 'tally_answer_cache_lookups',
      help: 'Lookups of the licensing answer caches since the process started, by result (hit or miss)',
      labelNames: ['result'],
      registers,
      collect() {
        this.set({ result: 'hit' }, answerCacheStats.hits);
        this.set({ result: 'miss' }, answerCacheStats.misses);
      },
    });
    new Gauge({
      name: 'tally_database_connections',
      help: 'Database connections by state: total, idle, and waiting requests (PostgreSQL pool; SQLite has one connection)',
      labelNames: ['state', 'dialect'],
      registers,
      collect() {
        const pool = poolState(ctx.store);
        for (const state of ['total', 'idle', 'waiting'] as const) this.set({ state, dialect: ctx.store.dialect }, pool[state]);
      },
    });
  }
}

const perContext = new WeakMap<AppContext, Metrics>();

/** The registry of a context, made on first use (the first listener built). */
export function metricsOf(ctx: AppContext): Metrics {
  let metrics = perContext.get(ctx);
  if (!metrics) perContext.set(ctx, (metrics = new Metrics(ctx)));
  return metrics;
}

const TOKEN_ROUTES = new Set(['/v6/token', '/api/v3/token']);

/** Counts every routed answer; installed on the root instance before the routes. */
export function countRequests(app: FastifyInstance, face: string, metrics: Metrics): void {
  app.addHook('onSend', async (request, reply, payload) => {
    // The ingestion route's own answer says what the batch held: {"accepted":n,"duplicates":m}.
    if (request.method === 'POST' && request.routeOptions.url === '/tally/v1/events' && reply.statusCode === 200 && typeof payload === 'string') {
      try {
        const { accepted, duplicates } = JSON.parse(payload) as { accepted: number; duplicates: number };
        metrics.ingestedBatches.inc();
        metrics.ingestedEvents.inc({ outcome: 'accepted' }, accepted);
        metrics.ingestedEvents.inc({ outcome: 'duplicate' }, duplicates);
      } catch {
        // Not the documented answer: nothing to count.
      }
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { face, method: request.method, route, status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.latency.observe(labels, reply.elapsedTime / 1000);
    if (reply.statusCode === 429 && TOKEN_ROUTES.has(route.toLowerCase())) metrics.throttledLogins.inc({ face });
  });
}

/** `GET /metrics`: guarded like the admin API (its refusals in the admin API's dialect) unless open. */
export function metricsRoute(app: FastifyInstance, ctx: AppContext, metrics: Metrics, open: boolean): void {
  app.get(
    '/metrics',
    { schema: { hide: true }, ...(open ? {} : { onRequest: requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals) }) },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );
}
