/**
 * The VB365 error dialect: `RESTExceptionInfo` = `{"message": …}` (v6 has no other field).
 * A rejected bearer token answers 401 with an empty body, as real servers do; a request without
 * any token answers 401 with a message.
 *
 * The domain errors operations throw (services/errors.ts) are translated here, once for the
 * face: NotFound 404, Forbidden 403, Conflict 409, Invalid 400, Unavailable 503; the message is
 * the operation's.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Refusals } from '../auth/guard.js';
import { describeClientError, otherMethodsFor } from '../problems.js';
import { asDomainError, type DomainErrorKind } from '../../services/errors.js';

export function sendMessage(reply: FastifyReply, status: number, message: string): FastifyReply {
  // Plain JSON: the route's own response schemas (e.g. the token error) must not reshape it.
  return reply.code(status).type('application/json; charset=utf-8').serializer(JSON.stringify).send({ message });
}

export const vb365Refusals: Refusals = {
  unauthenticated(reply, reason) {
    if (reason === 'missing') return sendMessage(reply, 401, 'Authorization has been denied for this request.');
    return reply.code(401).header('WWW-Authenticate', 'Bearer').send();
  },
  forbidden(reply) {
    return sendMessage(reply, 403, 'Access is denied: the account is not a Veeam Backup for Microsoft 365 administrator.');
  },
};

const STATUS: Record<DomainErrorKind, number> = { NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 400, Unavailable: 503 };

export function installVb365ErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const domain = asDomainError(error);
    if (domain) {
      if (domain.kind === 'Unavailable') {
        request.log.warn({ err: error }, 'database unavailable');
        return sendMessage(reply.header('Retry-After', '5'), 503, domain.message);
      }
      return sendMessage(reply, STATUS[domain.kind], domain.message);
    }
    const problem = describeClientError(error, request);
    if (problem) return sendMessage(reply, problem.status, problem.message);
    request.log.error({ err: error }, 'request failed');
    return sendMessage(reply, 500, 'An internal error occurred.');
  });
  app.setNotFoundHandler((request, reply) => {
    const allowed = otherMethodsFor(request);
    if (allowed.length > 0) {
      return sendMessage(reply.header('Allow', allowed.join(', ')), 405, `The requested resource does not support http method '${request.method}'.`);
    }
    return sendMessage(reply, 404, `No HTTP resource was found that matches the request URI '${request.url}'.`);
  });
}
