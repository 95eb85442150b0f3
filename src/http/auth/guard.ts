/**
 * Bearer-token guard shared by every face: authenticates, checks roles and leaves the principal on
 * the request. Each face says how a refusal looks in its own dialect. Every protected route goes
 * through it, so the rules here (roles, read-only keys) hold on every face at once.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Generations } from '../../store/generation.js';
import { hasAnyRole, type AuthService, type Authentication, type Principal, type Role } from '../../services/auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** The change counters read when the request was authenticated; handlers check their caches against them. */
    generations?: Generations;
  }
}

export interface Refusals {
  unauthenticated(reply: FastifyReply, reason: Extract<Authentication, { ok: false }>['reason']): FastifyReply;
  forbidden(reply: FastifyReply): FastifyReply;
}

const READ_METHODS = new Set(['GET', 'HEAD']);

export function requireRoles(auth: AuthService, roles: readonly Role[], refusals: Refusals): preHandlerAsyncHookHandler {
  return async function guard(request: FastifyRequest, reply: FastifyReply) {
    // Read before anything they guard: a credential or answer checked against them is never older.
    const generations = await auth.generations.read();
    request.generations = generations;
    const result = await auth.authenticate(request.headers.authorization, generations.auth);
    if (!result.ok) return refusals.unauthenticated(reply, result.reason);
    if (!hasAnyRole(result.principal, roles)) return refusals.forbidden(reply);
    // A read-only API key may read, never change: every other method is refused whatever its roles.
    if (result.principal.readOnly && !READ_METHODS.has(request.method)) return refusals.forbidden(reply);
    request.principal = result.principal;
  };
}
