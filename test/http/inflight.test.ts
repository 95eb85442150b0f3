/**
 * Shutdown waits for requests still being worked on (src/http/inflight.ts), through Fastify's
 * hooks only: handlers answer as registered, so Swagger UI's static files keep their bodies.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import { buildFaceApp } from '../../src/http/app.js';
import { InflightRequests } from '../../src/http/inflight.js';
import { startTestApp, type TestApp } from '../support/harness.js';

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: '2026-11-20T12:00:00Z' });
});
after(() => app.close());

test('Swagger UI\'s page and scripts keep their bodies when requests are tracked for shutdown', async () => {
  const inflight = new InflightRequests();
  for (const [face, prefix] of [['vb365', '/swagger/ui/index'], ['vspc', '/api/swagger']] as const) {
    const server = await buildFaceApp(face, app.ctx, { inflight });
    try {
      const page = await server.inject({ url: prefix });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /id="swagger-ui"/, `${face}: the page has a body`);
      const script = await server.inject({ url: `${prefix}/static/swagger-ui-bundle.js` });
      assert.equal(script.statusCode, 200);
      assert.ok(script.body.length > 100_000, `${face}: the bundle has a body (${script.body.length} bytes)`);
      const initializer = await server.inject({ url: `${prefix}/static/swagger-initializer.js` });
      assert.equal(initializer.statusCode, 200);
      assert.match(initializer.body, /SwaggerUIBundle/);
    } finally {
      await server.close();
    }
    assert.equal(inflight.size, 0, 'every answered request is finished');
  }
});

test('a handler whose client went away is waited for before shutdown goes on', async () => {
  const inflight = new InflightRequests();
  const server = Fastify({ logger: false, forceCloseConnections: 'idle' });
  inflight.install(server);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const started = new Promise<void>((resolve) => (entered = resolve));
  let handlerDone = false;
  server.get('/slow', async () => {
    entered();
    await held;
    handlerDone = true;
    return { done: true };
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = server.server.address() as AddressInfo;
  const request = http.get({ host: '127.0.0.1', port, path: '/slow', agent: false });
  request.on('error', () => {});
  await started;
  request.destroy();
  await server.close();
  assert.equal(inflight.size, 1, 'the handler still runs after its connection closed');
  let drained = false;
  const waiting = inflight.drained(10_000).then(() => (drained = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(drained, false);
  release();
  await waiting;
  assert.equal(handlerDone, true);
  assert.equal(inflight.size, 0);
});
