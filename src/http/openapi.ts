/**
 * OpenAPI documents generated from the routes' own TypeBox schemas (the same ones that validate
 * requests and serialize answers), and Swagger UI where the products have it: VB365 at
 * `/swagger/ui/index` with the raw document at `/swagger/docs/v6`, VSPC at `/api/swagger`; the
 * admin API's document at `/tally/v1/openapi.json` on both listeners. Each document holds only
 * its own API's paths.
 *
 * Every operation lists its error answers in its face's dialect (VB365 `{"message"}`, VSPC
 * `{"errors":[…]}` with 520 for server errors, the admin API `{"error":{"code","message"}}`):
 * those a route declares itself (the admin API declares its own, src/schemas/admin.ts), and for
 * the others the ones every route of the face can give — 401/403 behind a token, 400 where there
 * is input, 404 where the path names an object, and the server errors (`withErrorAnswers`).
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Face } from './app.js';

type Document = { paths?: Record<string, unknown>; info?: Record<string, unknown> } & Record<string, unknown>;

const TITLES: Record<Face | 'tally', { title: string; version: string; prefix: string }> = {
  vb365: { title: 'Veeam Backup for Microsoft 365 REST API (Tally)', version: 'v6', prefix: '/v6/' },
  vspc: { title: 'Veeam Service Provider Console REST API (Tally)', version: '3.2', prefix: '/api/v3/' },
  tally: { title: 'Tally admin and ingestion API', version: 'v1', prefix: '/tally/v1/' },
};

/** The error body of each face, as its clients parse it (src/http/<face>/errors.ts). */
const ERROR_SCHEMAS: Record<Face | 'tally', Record<string, unknown>> = {
  vb365: {
    type: 'object',
    description: 'RESTExceptionInfo',
    properties: { message: { type: 'string' } },
    required: ['message'],
  },
  vspc: {
    type: 'object',
    description: 'ErrorResponse',
    properties: {
      errors: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            message: { type: 'string' },
            type: { type: 'string', enum: ['logical', 'retryableLogical', 'security', 'transport', 'unspecified'] },
            code: { type: 'integer' },
            parameterName: { type: 'string' },
            propertyName: { type: 'string' },
          },
          required: ['message', 'type', 'code'],
        },
      },
    },
    required: ['errors'],
  },
  tally: {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: {
          code: { type: 'string' },
          message: { type: 'string' },
          details: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } }, required: ['field', 'message'] } },
        },
        required: ['code', 'message'],
      },
    },
    required: ['error'],
  },
};

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is not valid: a parameter or the body breaks the schema or a rule.',
  401: 'No valid credential.',
  403: 'The account\'s roles (or a read-only key) do not allow this operation.',
  404: 'No such object, or one outside the account\'s scope.',
  500: 'An internal error.',
  503: 'The database is unavailable; retry after the Retry-After delay.',
  520: 'A server error (VSPC answers 520 to every server error).',
};

type Operation = { parameters?: { in?: string }[]; requestBody?: unknown; responses?: Record<string, unknown>; security?: unknown[] };

/** The operation's responses with the error answers every route of the face can give added where it declares none. */
function withErrorAnswers(path: string, operation: Operation, api: Face | 'tally'): Operation {
  const anonymous = path.endsWith('/token') || (Array.isArray(operation.security) && operation.security.length === 0);
  const statuses: number[] = [];
  if ((operation.parameters ?? []).length > 0 || operation.requestBody !== undefined || anonymous) statuses.push(400);
  if (!anonymous) statuses.push(401, 403);
  if ((operation.parameters ?? []).some((p) => p.in === 'path')) statuses.push(404);
  statuses.push(api === 'vspc' ? 520 : 500);
  if (api === 'tally') statuses.push(503);
  const responses = { ...(operation.responses ?? {}) };
  for (const status of statuses) {
    if (responses[String(status)] !== undefined) continue;
    let description = DESCRIPTIONS[status]!;
    if (api === 'vb365' && status === 401) description += ' A rejected token is answered with an empty body; a missing one with a message.';
    responses[String(status)] = { description, content: { 'application/json': { schema: ERROR_SCHEMAS[api] } } };
  }
  return { ...operation, responses };
}

/** The part of the generated document that belongs to one API, with every operation's error answers. */
export function documentOf(spec: Document, api: Face | 'tally'): Document {
  const { title, version, prefix } = TITLES[api];
  const paths = Object.fromEntries(
    Object.entries(spec.paths ?? {})
      .filter(([path]) => path.startsWith(prefix))
      .map(([path, item]) => [
        path,
        Object.fromEntries(Object.entries(item as Record<string, unknown>).map(([method, operation]) =>
          [method, ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(method) ? withErrorAnswers(path, operation as Operation, api) : operation])),
      ]),
  );
  return { ...spec, info: { ...(spec.info ?? {}), title, version }, paths };
}

export async function registerOpenApi(app: FastifyInstance, face: Face): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: TITLES[face].title, version: TITLES[face].version },
      components: { securitySchemes: { Bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ Bearer: [] }],
    },
  });
  const routePrefix = face === 'vb365' ? '/swagger/ui/index' : '/api/swagger';
  await app.register(swaggerUi, {
    routePrefix,
    transformSpecification: (spec) => documentOf(spec as Document, face),
    transformSpecificationClone: true,
  });
  if (face === 'vb365') {
    // The raw document where v5 documented it (/swagger/docs/v5), for v6.
    app.get('/swagger/docs/v6', { schema: { hide: true } }, async () => documentOf(app.swagger() as unknown as Document, 'vb365'));
  }
  app.get('/tally/v1/openapi.json', { schema: { hide: true } }, async () => documentOf(app.swagger() as unknown as Document, 'tally'));
}
