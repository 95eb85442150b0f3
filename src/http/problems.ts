/**
 * Translates what Fastify rejects (validation, media type, body size, malformed JSON) into one
 * neutral description that each face renders in its own dialect. Anything unrecognised is a
 * server error: the faces log it and answer 500 (VSPC: 520) without details.
 */
import type { FastifyError, FastifyRequest } from 'fastify';

export interface ClientProblem {
  status: number;
  message: string;
  /** Where the problem is: a path/query parameter or a body field. */
  parameter?: string;
  /** What is wrong with that parameter or field, without the location (e.g. "must be a valid uuid"). */
  detail?: string;
  location?: 'body' | 'params' | 'querystring' | 'headers';
}

interface AjvLikeError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

function fieldOf(error: AjvLikeError): string {
  const base = error.instancePath.split('/').slice(1).join('.');
  const missing = error.params.missingProperty ?? error.params.additionalProperty;
  if (typeof missing === 'string') return base ? `${base}.${missing}` : missing;
  return base;
}

function messageOf(error: AjvLikeError): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'format':
      return `must be a valid ${String(error.params.format)}`;
    case 'pattern':
      return 'contains characters that are not allowed';
    default:
      return error.message ?? 'is invalid';
  }
}

export function describeClientError(error: FastifyError, request: FastifyRequest): ClientProblem | null {
  if (error.validation && error.validation.length > 0) {
    const first = error.validation[0] as unknown as AjvLikeError;
    const location = (error.validationContext ?? 'body') as ClientProblem['location'];
    const field = fieldOf(first);
    if (location === 'params' || location === 'querystring') {
      const source = (location === 'params' ? request.params : request.query) as Record<string, unknown> | undefined;
      const value = source?.[field];
      return {
        status: 400,
        location,
        parameter: field,
        detail: messageOf(first),
        message: value === undefined
          ? `The ${field} parameter is required.`
          : `The value '${String(value)}' is not valid for ${field}: it ${messageOf(first)}.`,
      };
    }
    return {
      status: 400,
      location,
      parameter: field || undefined,
      detail: messageOf(first),
      message: field ? `Invalid request ${location}: ${field} ${messageOf(first)}.` : `Invalid request ${location}: ${messageOf(first)}.`,
    };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: `Unsupported content type ${JSON.stringify(request.headers['content-type'] ?? '')}.` };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: 'The request body is too large.' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: 'The request body is empty but its content type is application/json.' };
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, message: `The request body is not valid JSON: ${error.message}` };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, message: error.message };
  return null;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The methods the router serves for this request's path, when the request's own method is not
 * one of them: the difference between 404 (no such resource) and 405 (wrong method).
 */
export function otherMethodsFor(request: FastifyRequest): string[] {
  const url = request.url.split('?')[0] ?? request.url;
  return METHODS.filter((method) => method !== request.method && request.server.findRoute({ method, url }) !== null);
}
