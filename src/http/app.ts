/**
 * Builds the Fastify instance of one listener: the VB365 face or the VSPC face, plus the admin API
 * that both listeners carry. Both share one AppContext (store, clock, services).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import type { AppContext } from './context.js';
import { tallyApi } from './tally/index.js';
import { vb365Face } from './vb365/index.js';
import { vspcFace } from './vspc/index.js';

export type Face = 'vb365' | 'vspc';

export interface TlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface BuildOptions {
  tls?: TlsMaterial | undefined;
  loggerInstance?: FastifyBaseLogger | undefined;
}

export async function buildFaceApp(face: Face, ctx: AppContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: false }),
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' as const } } : {}),
    // Veeam clients spell VB365 paths in several casings (/v6/Token, /v6/licensedusers).
    routerOptions: { caseSensitive: face !== 'vb365', ignoreTrailingSlash: true },
    // Unknown fields are rejected where a schema says additionalProperties: false, never silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    bodyLimit: 1024 * 1024,
    // Idle keep-alive connections must not hold a graceful shutdown open.
    forceCloseConnections: 'idle',
    requestTimeout: 30_000,
    // One log line per request costs throughput; failures are logged by the error handlers.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  // text/plain is not a body any route accepts: answer 415 rather than hand handlers a string.
  app.removeContentTypeParser('text/plain');
  await app.register(formbody);
  if (face === 'vb365') await app.register(vb365Face(ctx), { prefix: '/v6' });
  else await app.register(vspcFace(ctx), { prefix: '/api/v3' });
  await app.register(tallyApi(ctx), { prefix: '/tally/v1' });
  // Outside every mounted prefix: answer in the listener's own dialect.
  app.setNotFoundHandler((request, reply) => {
    const message = `No resource matches ${request.method} ${request.url.split('?')[0]}.`;
    return face === 'vb365'
      ? reply.code(404).send({ message })
      : reply.code(404).send({ errors: [{ message, type: 'logical', code: 404 }] });
  });
  return app;
}
