/**
 * Headers every answer of a listener carries, whoever sends it (a route, the guard, an error or
 * not-found handler, Swagger UI's static files):
 *
 * - `X-Content-Type-Options: nosniff` on every answer: a browser never reads a JSON or CSV answer
 *   (that may hold names a tenant chose) as HTML or script.
 * - `Strict-Transport-Security: max-age=31536000` on HTTPS listeners: a browser that reached Tally
 *   once over HTTPS does not fall back to plain HTTP for a year. No `includeSubDomains` nor
 *   `preload`: Tally does not own the operator's other host names.
 * - On HTML pages (Swagger UI at `/swagger/ui/index` and `/api/swagger/…`, the dashboard to come
 *   under `/ui`): `X-Frame-Options: DENY` and a Content-Security-Policy that allows only the
 *   page's own scripts, styles, images and fetches (`'self'`), no framing (clickjacking), no
 *   plugins, no `<base>` or form targets. Styles also allow `'unsafe-inline'` and images `data:`
 *   because Swagger UI renders with inline styles and data-URI icons; scripts stay `'self'`
 *   only (Swagger UI's page has no inline script).
 * - `Cache-Control: no-store` on every answer to a request that carried credentials: usage,
 *   accounts and keys are never kept by a browser or a shared proxy cache.
 *
 * Installed first among the onSend hooks, so that every later hook sees the headers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const HTML_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export const HSTS = 'max-age=31536000';

/** Sets the headers on one answer; called by the hook, and by `frameworkErrors` (which no hook sees). */
export function applySecurityHeaders(request: FastifyRequest, reply: FastifyReply, https: boolean): void {
  reply.header('X-Content-Type-Options', 'nosniff');
  if (https) reply.header('Strict-Transport-Security', HSTS);
  const type = reply.getHeader('content-type');
  if (typeof type === 'string' && type.toLowerCase().startsWith('text/html')) {
    reply.header('Content-Security-Policy', HTML_CSP);
    reply.header('X-Frame-Options', 'DENY');
  }
  if (request.headers.authorization !== undefined || request.principal !== undefined) reply.header('Cache-Control', 'no-store');
}

export function installSecurityHeaders(app: FastifyInstance, options: { https: boolean }): void {
  app.addHook('onSend', async (request, reply, payload) => {
    applySecurityHeaders(request, reply, options.https);
    return payload;
  });
}
