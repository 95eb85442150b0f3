/** `POST /api/v3/token`: OAuth 2.0 password and refresh_token grants (form; JSON accepted too). */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { runGrant } from '../oauth.js';
import { refusalSink } from '../../services/audit.js';
import { Throttled, TokenError, TokenReply } from './schemas.js';

export function tokenRoute(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.post('/token', { schema: { response: { 200: TokenReply, 400: TokenError, 429: Throttled } } }, async (request, reply) => {
      const outcome = await runGrant(ctx.auth, ctx.throttle, request.body, request.ip, refusalSink(ctx.store.db, request));
      // RFC 6749 §5.1: token answers carry credentials and must not be cached.
      reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
      if (!outcome.ok && outcome.error === 'throttled') {
        // The documented throttling answer: 429 with `retryAfter` in seconds.
        return reply
          .code(429)
          .header('Retry-After', String(outcome.retryAfter))
          .type('application/json; charset=utf-8')
          .send({ errors: [{ message: outcome.description, type: 'transport', code: 429, retryAfter: outcome.retryAfter }] });
      }
      if (!outcome.ok) {
        // `OAuth2Error`, the 400 body of the token operation in the VSPC specification.
        return reply.code(400).send({ error: outcome.error, error_description: outcome.description });
      }
      return {
        access_token: outcome.tokens.accessToken,
        token_type: 'bearer',
        refresh_token: outcome.tokens.refreshToken,
        expires_in: outcome.tokens.expiresIn,
      };
    });
  };
}
