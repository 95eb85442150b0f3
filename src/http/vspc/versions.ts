/**
 * `X-Client-Version` negotiation for the legacy licensing routes. The console-usage family was
 * removed in REST v3.3 (VSPC 7); VSPC 7+ still serves it to clients that send `x-client-version`
 * 3.0–3.2. Tally serves it to those clients and to clients that send no version (the integrations
 * written for VSPC 4–6 send none), and answers newer versions the way ASP.NET API Versioning does:
 * 400 with `{"error":{"code":"UnsupportedApiVersion",…}}`.
 */
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';

const VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?$/;

export type VersionVerdict = 'serve' | 'unsupported' | 'invalid';

/** What a client version means for a route that `serves` the given v3 minor versions; no version is always served. */
function verdict(header: string | undefined, serves: (minor: number) => boolean): VersionVerdict {
  if (header === undefined || header.trim() === '') return 'serve';
  const match = VERSION.exec(header.trim());
  if (!match) return 'invalid';
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major === 3 && serves(minor) ? 'serve' : 'unsupported';
}

/** What a client version means for a route that exists in v3.0–3.2 only. */
export function legacyVerdict(header: string | undefined): VersionVerdict {
  return verdict(header, (minor) => minor <= 2);
}

/** What a client version means for a route that exists from v3.3 on. */
export function modernVerdict(header: string | undefined): VersionVerdict {
  return verdict(header, (minor) => minor >= 3);
}

/** What a client version means for a route present in every version Tally serves (3.0–3.6). */
export function anyVersionVerdict(header: string | undefined): VersionVerdict {
  return verdict(header, (minor) => minor <= 6);
}

function requestUri(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? request.hostname}${request.url}`;
}

/** The ASP.NET API Versioning body. */
function sendVersionError(reply: FastifyReply, code: string, message: string): FastifyReply {
  return reply
    .code(400)
    .type('application/json; charset=utf-8')
    .serializer(JSON.stringify)
    .send({ error: { code, message, innerError: null } });
}

/** An onRequest hook that answers a client version the route does not serve as ASP.NET API Versioning does. */
function versionGate(judge: (header: string | undefined) => VersionVerdict): onRequestAsyncHookHandler {
  return async (request, reply) => {
    const header = request.headers['x-client-version'];
    const version = Array.isArray(header) ? header[0] : header;
    const outcome = judge(version);
    if (outcome === 'unsupported') {
      return sendVersionError(reply, 'UnsupportedApiVersion', `The HTTP resource that matches the request URI '${requestUri(request)}' is not supported.`);
    }
    if (outcome === 'invalid') {
      return sendVersionError(
        reply,
        'InvalidApiVersion',
        `The HTTP resource that matches the request URI '${requestUri(request)}' does not support the API version '${version}'.`,
      );
    }
  };
}

/** onRequest hook for the routes removed in v3.3. */
export const legacyRoute = versionGate(legacyVerdict);

/** onRequest hook for the routes added in v3.3. */
export const modernRoute = versionGate(modernVerdict);

/** onRequest hook for the routes of every version (3.0–3.6): newer or malformed versions are refused. */
export const anyVersionRoute = versionGate(anyVersionVerdict);
