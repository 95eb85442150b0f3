/**
 * The VSPC error dialect: `{"errors":[{"message","type","code"}]}` with the HTTP status of the
 * client error, and 520 for every server error (VSPC v3.1+ convention).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Refusals } from '../auth/guard.js';
import { describeClientError, otherMethodsFor } from '../problems.js';
import { asDomainError, type DomainError } from '../../services/errors.js';

export type VspcErrorType = 'logical' | 'retryableLogical' | 'security' | 'transport' | 'unspecified';

export interface VspcError {
  message: string;
  type: VspcErrorType;
  code: number;
  parameterName?: string;
  propertyName?: string;
}

export const VSPC_SERVER_ERROR_STATUS = 520;

export function sendErrors(reply: FastifyReply, status: number, error: Omit<VspcError, 'code'>): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .serializer(JSON.stringify)
    .send({ errors: [{ message: error.message, type: error.type, code: status, ...extras(error) }] });
}

function extras(error: Omit<VspcError, 'code'>): Partial<VspcError> {
  return {
    ...(error.parameterName ? { parameterName: error.parameterName } : {}),
    ...(error.propertyName ? { propertyName: error.propertyName } : {}),
  };
}

/** The VSPC answer to each domain error (services/errors.ts): one place, one dialect. */
export const DOMAIN_STATUS = { NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 400, Unavailable: VSPC_SERVER_ERROR_STATUS } as const;

export function sendDomainError(reply: FastifyReply, error: DomainError): FastifyReply {
  switch (error.kind) {
    case 'Forbidden':
      return sendErrors(reply, 403, { message: error.message, type: 'security' });
    case 'Unavailable':
      return sendErrors(reply.header('Retry-After', '5'), VSPC_SERVER_ERROR_STATUS, { message: error.message, type: 'retryableLogical' });
    case 'Invalid': {
      const field = 'fields' in error ? (error.fields as { field: string }[])[0]?.field : undefined;
      return sendErrors(reply, 400, { message: error.message, type: 'logical', ...(field ? { propertyName: field } : {}) });
    }
    default:
      return sendErrors(reply, DOMAIN_STATUS[error.kind], { message: error.message, type: 'logical' });
  }
}

export const vspcRefusals: Refusals = {
  unauthenticated(reply, reason) {
    const message =
      reason === 'missing' ? 'Authorization is required: send an access token in the Authorization header.' :
      reason === 'expired' ? 'The access token has expired.' :
      'The access token is invalid.';
    return sendErrors(reply, 401, { message, type: 'security' });
  },
  forbidden(reply) {
    return sendErrors(reply, 403, { message: 'Access denied: your role does not allow this operation.', type: 'security' });
  },
};

export function installVspcErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const problem = describeClientError(error, request);
    if (problem) {
      const where =
        problem.location === 'params' || problem.location === 'querystring' ? { parameterName: problem.parameter } :
        problem.location === 'body' && problem.parameter ? { propertyName: problem.parameter } :
        {};
      return sendErrors(reply, problem.status, { message: problem.message, type: 'logical', ...where });
    }
    const domain = asDomainError(error);
    if (domain) {
      if (domain.kind === 'Unavailable') request.log.warn({ err: error }, 'database unavailable');
      return sendDomainError(reply, domain);
    }
    request.log.error({ err: error }, 'request failed');
    return sendErrors(reply, VSPC_SERVER_ERROR_STATUS, { message: 'An internal server error occurred.', type: 'unspecified' });
  });
  app.setNotFoundHandler((request, reply) => {
    const allowed = otherMethodsFor(request);
    if (allowed.length > 0) {
      return sendErrors(reply.header('Allow', allowed.join(', ')), 405, { message: `The method ${request.method} is not allowed for this resource.`, type: 'logical' });
    }
    return sendErrors(reply, 404, { message: `The requested resource ${request.url.split('?')[0]} does not exist.`, type: 'logical' });
  });
}
