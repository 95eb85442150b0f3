/** Who asks, as the VB365 operations take it: the principal the guard found (after it ran), the address, the counters read. */
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../../services/vb365/context.js';

export function callerOf(request: FastifyRequest): Caller {
  return { principal: request.principal!, ip: request.ip, log: request.log, generations: request.generations };
}
