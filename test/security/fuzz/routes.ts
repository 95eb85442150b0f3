/**
 * The routes to fuzz, read from the OpenAPI documents the server itself serves (VB365
 * `/swagger/docs/v6`, VSPC `/api/swagger/json`, admin `/tally/v1/openapi.json`), so that a route
 * added tomorrow is fuzzed without touching the fuzzer.
 */
import { request } from '../../support/server.js';

export type Listener = 'vb365' | 'vspc';
export type JsonSchema = Record<string, any>;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema: JsonSchema;
}

export interface Route {
  /** `GET /v6/Organizations/{organizationId}`: how failures are reported. */
  id: string;
  method: string;
  /** OpenAPI path template: `/v6/Organizations/{organizationId}`. */
  template: string;
  /** The listeners that serve it: its face's, or both for the admin API. */
  listeners: Listener[];
  parameters: Parameter[];
  /** The JSON body schema, when the route declares one. */
  body: JsonSchema | undefined;
}

const DOCUMENTS: { listener: Listener; path: string; listeners: Listener[] }[] = [
  { listener: 'vb365', path: '/swagger/docs/v6', listeners: ['vb365'] },
  { listener: 'vspc', path: '/api/swagger/json', listeners: ['vspc'] },
  { listener: 'vspc', path: '/tally/v1/openapi.json', listeners: ['vb365', 'vspc'] },
];

/** Inlines local `$ref`s (`#/components/schemas/…`); the generators only read plain schemas. */
function resolveRefs(value: unknown, document: JsonSchema, depth = 0): any {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => resolveRefs(item, document, depth + 1));
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    const target = ref.slice(2).split('/').reduce<any>((node, key) => node?.[key], document);
    return resolveRefs(target ?? {}, document, depth + 1);
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolveRefs(inner, document, depth + 1)]));
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export async function discoverRoutes(base: Record<Listener, string>): Promise<Route[]> {
  const routes: Route[] = [];
  for (const source of DOCUMENTS) {
    const res = await request('GET', `${base[source.listener]}${source.path}`);
    if (res.status !== 200) throw new Error(`GET ${source.path}: ${res.status}`);
    const document = res.json() as JsonSchema;
    for (const [template, item] of Object.entries<JsonSchema>(document.paths ?? {})) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const parameters = [...(item.parameters ?? []), ...(operation.parameters ?? [])]
          .map((parameter: JsonSchema) => resolveRefs(parameter, document))
          .filter((parameter: JsonSchema) => ['path', 'query', 'header'].includes(parameter.in))
          .map((parameter: JsonSchema) => ({ name: parameter.name, in: parameter.in, schema: parameter.schema ?? {} }));
        const content = resolveRefs(operation.requestBody?.content, document) as Record<string, { schema?: JsonSchema }> | undefined;
        const body = content?.['application/json']?.schema;
        routes.push({ id: `${method.toUpperCase()} ${template}`, method: method.toUpperCase(), template, listeners: source.listeners, parameters, body });
      }
    }
  }
  return routes;
}
