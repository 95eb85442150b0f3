/**
 * OpenAPI documents generated from the routes' own TypeBox schemas (the same ones that validate
 * requests and serialize answers), and Swagger UI where the products have it: VB365 at
 * `/swagger/ui/index` with the raw document at `/swagger/docs/v6`, VSPC at `/api/swagger`; the
 * admin API's document at `/tally/v1/openapi.json` on both listeners. Each document holds only
 * its own API's paths.
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

/** The part of the generated document that belongs to one API. */
export function documentOf(spec: Document, api: Face | 'tally'): Document {
  const { title, version, prefix } = TITLES[api];
  const paths = Object.fromEntries(Object.entries(spec.paths ?? {}).filter(([path]) => path.startsWith(prefix)));
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
