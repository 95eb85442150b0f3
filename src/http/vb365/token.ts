/** `POST /v6/token`: password and refresh_token grants, form or JSON body. */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { runGrant } from '../oauth.js';
import { refusalSink } from '../../services/audit.js';
import { sendMessage } from './errors.js';
import { TokenError, TokenReply } from './schemas.js';
import { formatInstant } from '../../time.js';

export function tokenRoute(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.post('/token', { schema: { response: { 200: TokenReply, 400: TokenError } } }, async (request, reply) => {
      const outcome = await runGrant(ctx.auth, ctx.throttle, request.body, request.ip, refusalSink(ctx.store.db, request));
      // RFC 6749 §5.1: token answers carry credentials and must not be cached.
      reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
      if (!outcome.ok && outcome.error === 'throttled') {
        return sendMessage(reply.header('Retry-After', String(outcome.retryAfter)), 429, outcome.description);
      }
      if (!outcome.ok) {
        // Both shapes clients look for: OAuth's error/error_description and RESTExceptionInfo's message.
        return reply.code(400).send({ error: outcome.error, error_description: outcome.description, message: outcome.description });
      }
      const { tokens } = outcome;
      return {
        access_token: tokens.accessToken,
        token_type: 'bearer',
        expires_in: tokens.expiresIn,
        refresh_token: tokens.refreshToken,
        userName: tokens.username,
        '.issued': formatInstant(tokens.issuedAt),
        '.expires': formatInstant(tokens.expiresAt),
      };
    });
  };
}
