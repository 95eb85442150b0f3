/**
 * Bearer-token guard shared by every face: authenticates, checks roles and leaves the principal on
 * the request. Each face says how a refusal looks in its own dialect. Every protected route goes
 * through it, so the rules here (roles, read-only keys) hold on every face at once.
 *
 * **Authentication comes first.** The guard runs as an `onRequest` hook: before Fastify reads,
 * parses or validates the body, query or headers. An anonymous client therefore never costs a
 * parse of its 10 MiB batch, and never learns from a 400 what a valid body looks like (the role
 * list of `PUT /tally/v1/users/{username}`). Routes declare it as `onRequest` (after a version
 * gate where they have one); plugin-wide guards are added with `addHook('onRequest', …)`.
 * `test/security/auth-first.test.ts` sends every
 * protected route of the three OpenAPI documents an anonymous request with a broken body and
 * expects the face's 401.
 *
 * Every refusal is audited (rate-limited, services/audit.ts "Refusals"): `auth.unauthenticated`
 * with the reason (missing, malformed, invalid, expired, disabled), `auth.forbidden` with the
 * reason (role, read-only-key); and the use of an API key (`apikey.use`).
 */
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { clientText, RefusalLimiter } from '../../services/audit.js';
import { hasAnyRole, type AuthService, type Authentication, type Principal, type Role } from '../../services/auth.js';
import type { Caller, Generations } from '../../services/caller.js';

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
/** `apikey.use` entries: one per key and process in 10 minutes, the next one counting the uses between. */
const apiKeyUseLimiter = new RefusalLimiter(1, 10 * 60_000);

export function requireRoles(auth: AuthService, roles: readonly Role[], refusals: Refusals): onRequestAsyncHookHandler {
  return async function guard(request: FastifyRequest, reply: FastifyReply) {
    // Read before anything they guard: a credential or answer checked against them is never older.
    const generations = await auth.generations.read();
    request.generations = generations;
    const result = await auth.authenticate(request.headers.authorization, generations.auth);
    const route = `route/${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
    const path = clientText(request.url.split('?')[0]!, 300);
    if (!result.ok) {
      await auth.refused(request, { action: 'auth.unauthenticated', target: route, details: { reason: result.reason, path } });
      return refusals.unauthenticated(reply, result.reason);
    }
    const who = { principal: result.principal, ip: request.ip, log: request.log };
    const credential = result.principal.credential;
    if (credential.kind === 'apiKey') {
      // Every use would flood the log: the first use of a key in 10 minutes is recorded, with how many came since.
      await auth.refused(who, { action: 'apikey.use', target: `apikey/${credential.id}`, details: { method: request.method, path, readOnly: result.principal.readOnly } }, { limitKey: credential.id, limiter: apiKeyUseLimiter });
    }
    if (!hasAnyRole(result.principal, roles)) {
      await auth.refused(who, { action: 'auth.forbidden', target: route, details: { reason: 'role', path, needs: roles, has: result.principal.roles } });
      return refusals.forbidden(reply);
    }
    // A read-only API key may read, never change: every other method is refused whatever its roles.
    if (result.principal.readOnly && !READ_METHODS.has(request.method)) {
      await auth.refused(who, { action: 'auth.forbidden', target: route, details: { reason: 'read-only-key', path } });
      return refusals.forbidden(reply);
    }
    request.principal = result.principal;
  };
}

/** Who asks, for an operation of the services: the principal the guard left, the address and the log. */
export function callerOf(request: FastifyRequest): Caller {
  const principal = request.principal;
  if (!principal) throw new Error(`${request.method} ${request.url}: no principal; the route lacks its guard`);
  return { principal, ip: request.ip, log: request.log };
}
