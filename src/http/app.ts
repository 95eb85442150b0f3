/**
 * Builds the Fastify instance of one listener: the VB365 face or the VSPC face, plus the admin API
 * that both listeners carry. Both share one AppContext (store, clock, services).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import formbody from '@fastify/formbody';
import type { AppContext } from './context.js';
import type { InflightRequests } from './inflight.js';
import { installStrictJsonParser } from './jsonBody.js';
import { installOps, requestIdOf } from './ops/health.js';
import { BODY_LIMIT_BYTES, DEFAULT_LIMITS, listenerTimers, type ConnectionLimits } from './limits.js';
import { registerOpenApi } from './openapi.js';
import { sendError } from './tally/errors.js';
import { tallyApi } from './tally/index.js';
import { applySecurityHeaders, installSecurityHeaders } from './securityHeaders.js';
import { TLS_POLICY } from './tls.js';
import { validatorCompiler } from './validation.js';
import { sendMessage } from './vb365/errors.js';
import { sendErrors } from './vspc/errors.js';
import { vb365Face } from './vb365/index.js';
import { vspcFace } from './vspc/index.js';

export type Face = 'vb365' | 'vspc';

export interface TlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface BuildOptions {
  tls?: TlsMaterial | undefined;
  /** Shared by the listeners so that shutdown can wait for running handlers. */
  inflight?: InflightRequests | undefined;
  loggerInstance?: FastifyBaseLogger | undefined;
  /** Reverse proxies whose X-Forwarded-For sets `request.ip` (`--trust-proxy`); none by default. */
  trustProxy?: string[] | undefined;
  limits?: ConnectionLimits | undefined;
  /** `--metrics-open`: GET /metrics without a token (http/ops/metrics.ts). */
  metricsOpen?: boolean | undefined;
  /** Set when shutdown begins: every answer from then on says `Connection: close`. */
  shutdown?: ShutdownState | undefined;
}

/** Shared by the listeners of one server: shutdown has begun. */
export interface ShutdownState {
  closing: boolean;
}

export async function buildFaceApp(face: Face, ctx: AppContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const timers = listenerTimers(limits);
  // Node reads these when it creates the server (the https options double as server options).
  const serverOptions = {
    maxHeaderSize: timers.maxHeaderSize,
    headersTimeout: timers.headersTimeout,
    requestTimeout: timers.requestTimeout,
    connectionsCheckingInterval: timers.connectionsCheckingInterval,
  };
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: false }),
    ...(options.tls
      ? {
          https: {
            ...serverOptions,
            cert: options.tls.cert,
            key: options.tls.key,
            ...TLS_POLICY,
            handshakeTimeout: timers.handshakeTimeout,
          },
        }
      : { http: serverOptions }),
    ...(options.trustProxy && options.trustProxy.length > 0 ? { trustProxy: options.trustProxy } : {}),
    // Veeam clients spell VB365 paths in several casings (/v6/Token, /v6/licensedusers).
    routerOptions: { caseSensitive: face !== 'vb365', ignoreTrailingSlash: true, maxParamLength: 256 },
    // A malformed URL (bad percent-encoding, an over-long parameter) still answers in the dialect.
    frameworkErrors: (error, request, reply) => {
      const status = error.statusCode ?? 400;
      const message = `The request URI is not valid: ${error.message}`;
      applySecurityHeaders(request, reply, options.tls !== undefined);
      return sendInDialect(dialectOf(face, request.url), reply, status, message);
    },
    bodyLimit: BODY_LIMIT_BYTES,
    // Idle keep-alive connections must not hold a graceful shutdown open (Node's server.close()
    // also closes them); serve answers what was already sent first (commands/serve.ts).
    forceCloseConnections: 'idle',
    requestTimeout: timers.requestTimeout,
    keepAliveTimeout: timers.keepAliveTimeout,
    connectionTimeout: timers.connectionTimeout,
    // Fastify's two lines per request are off; http/ops/health.ts writes one line per answered request.
    logController: new LogController({ disableRequestLogging: true }),
    // Every request's id: logged with each of its lines and answered in X-Correlation-Id (http/ops/health.ts).
    genReqId: requestIdOf,
    // A request read while the server closes is answered (with `Connection: close`), not refused:
    // its client sent it before it could know.
    return503OnClosing: false,
  });
  const shutdown = options.shutdown;
  if (shutdown) {
    app.addHook('onSend', async (_request, reply) => {
      if (shutdown.closing) reply.header('connection', 'close');
    });
  }
  // Past the cap Node closes new connections at once, before they cost a file descriptor for long.
  app.server.maxConnections = limits.maxConnections;
  installSecurityHeaders(app, { https: options.tls !== undefined });
  // text/plain is not a body any route accepts: answer 415 rather than hand handlers a string.
  options.inflight?.install(app);
  app.removeContentTypeParser('text/plain');
  installStrictJsonParser(app);
  app.setValidatorCompiler(validatorCompiler);
  await app.register(formbody);
  await registerOpenApi(app, face);
  // /health, /ready, /metrics, request ids and the per-request log line: before the faces, so
  // that their hooks see every route.
  installOps(app, face, ctx, { metricsOpen: options.metricsOpen });
  if (face === 'vb365') await app.register(vb365Face(ctx), { prefix: '/v6' });
  else await app.register(vspcFace(ctx), { prefix: '/api/v3' });
  await app.register(tallyApi(ctx), { prefix: '/tally/v1' });
  // Outside every mounted prefix: answer in the listener's own dialect, also when the request
  // fails before routing (a malformed body sent to a path that does not exist).
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'request failed outside the faces');
    const message = status === 500 ? 'An unexpected error occurred.' : error.message;
    const dialect = dialectOf(face, request.url);
    return sendInDialect(dialect, reply, status === 500 && dialect === 'vspc' ? 520 : status, message);
  });
  app.setNotFoundHandler((request, reply) =>
    sendInDialect(face, reply, 404, `No resource matches ${request.method} ${request.url.split('?')[0]}.`),
  );
  return app;
}

type Dialect = Face | 'tally';

function dialectOf(face: Face, url: string): Dialect {
  return url.toLowerCase().startsWith('/tally/') ? 'tally' : face;
}

function sendInDialect(dialect: Dialect, reply: FastifyReply, status: number, message: string): FastifyReply {
  switch (dialect) {
    case 'vb365':
      return sendMessage(reply, status, message);
    case 'vspc':
      return sendErrors(reply, status, { message, type: 'logical' });
    case 'tally':
      return sendError(reply, status, message);
  }
}
