/** `POST /api/v3/token`: OAuth 2.0 password and refresh_token grants (form; JSON accepted too). */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { runGrant } from '../oauth.js';
import { TokenError, TokenReply } from './schemas.js';

export function tokenRoute(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.post('/token', { schema: { response: { 200: TokenReply, 400: TokenError } } }, async (request, reply) => {
      const outcome = await runGrant(ctx.auth, request.body);
      // RFC 6749 §5.1: token answers carry credentials and must not be cached.
      reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
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
