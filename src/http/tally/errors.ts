/** The admin API's error dialect: `{"error":{"code","message","details"?}}`. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Refusals } from '../auth/guard.js';
import { describeClientError, otherMethodsFor } from '../problems.js';
import { asDomainError, type DomainError } from '../../services/errors.js';

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  500: 'internal_error',
};

export function sendError(
  reply: FastifyReply,
  status: number,
  message: string,
  details?: unknown,
  code = CODES[status] ?? 'error',
): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .serializer(JSON.stringify)
    .send({ error: details === undefined ? { code, message } : { code, message, details } });
}

/** The admin API's answer to each domain error (services/errors.ts): one place, one dialect. */
export const DOMAIN_STATUS = { NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 400, Unavailable: 503 } as const;

export function sendDomainError(reply: FastifyReply, error: DomainError): FastifyReply {
  switch (error.kind) {
    case 'Invalid': {
      const fields = 'fields' in error ? (error.fields as { field: string; message: string }[]) : [];
      return fields.length > 0 ? sendError(reply, 400, error.message, fields, 'validation_failed') : sendError(reply, 400, error.message);
    }
    case 'Unavailable':
      return sendError(reply.header('Retry-After', '5'), 503, error.message, undefined, 'unavailable');
    default:
      return sendError(reply, DOMAIN_STATUS[error.kind], error.message);
  }
}

export const tallyRefusals: Refusals = {
  unauthenticated(reply, reason) {
    const message =
      reason === 'missing' ? 'Send a bearer token from POST /v6/token or POST /api/v3/token.' :
      reason === 'expired' ? 'The access token has expired.' :
      'The access token is invalid.';
    return sendError(reply.header('WWW-Authenticate', 'Bearer'), 401, message);
  },
  forbidden(reply) {
    return sendError(reply, 403, 'Your roles do not allow this operation.');
  },
};

export function installTallyErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const problem = describeClientError(error, request);
    if (problem) {
      const details = problem.parameter ? [{ field: problem.parameter, message: problem.detail ?? problem.message }] : undefined;
      return sendError(reply, problem.status, problem.message, details, problem.status === 400 && details ? 'validation_failed' : undefined);
    }
    const domain = asDomainError(error);
    if (domain) {
      if (domain.kind === 'Unavailable') request.log.warn({ err: error }, 'database unavailable');
      return sendDomainError(reply, domain);
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, 'An internal error occurred.');
  });
  app.setNotFoundHandler((request, reply) => {
    const allowed = otherMethodsFor(request);
    if (allowed.length > 0) {
      return sendError(reply.header('Allow', allowed.join(', ')), 405, `${request.url.split('?')[0]} does not accept ${request.method}; it accepts ${allowed.join(', ')}.`);
    }
    return sendError(reply, 404, `No admin API route matches ${request.method} ${request.url.split('?')[0]}.`);
  });
}
