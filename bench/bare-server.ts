/**
 * The ceiling reference: a bare node:http server that answers the two seed paths with the seed
 * bytes and does no work at all (no routing framework, no token check, no database). Run as its
 * own process; prints `listening PORT` when ready.
 *
 *   node --import tsx bench/bare-server.ts
 */
import http from 'node:http';
import { ENDPOINTS, SEED_BODIES, SEED_CONTENT_TYPE, SEED_PATHS } from './seed.js';

const answers = new Map(ENDPOINTS.map((endpoint) => [SEED_PATHS[endpoint], Buffer.from(SEED_BODIES[endpoint])]));

const server = http.createServer((request, response) => {
  const body = answers.get(request.url ?? '');
  if (!body) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { 'content-type': SEED_CONTENT_TYPE, 'content-length': body.length }).end(body);
});
// The same keep-alive window as Fastify's default, so connections behave alike.
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
