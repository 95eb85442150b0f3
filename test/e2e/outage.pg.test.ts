/**
 * A PostgreSQL outage: clear answers while the database is unreachable (503, VSPC 520), and
 * recovery without a restart when it comes back. The outage is a TCP proxy in front of
 * PostgreSQL that this test closes and reopens.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from '../support/stores.js';
import { passwordToken, request, runTallyExpectingFailure, spawnTally, type ServerProcess } from '../support/server.js';

const PASSWORD = 'outage-admin-password';

class Proxy {
  private server: net.Server | undefined;
  private sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(port = 0): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server!.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

let database: TestDatabase;
let proxy: Proxy;
let server: ServerProcess;

function viaProxy(url: string, port: number): string {
  const u = new URL(url);
  u.host = `127.0.0.1:${port}`;
  return u.toString();
}

before(async () => {
  database = await createTestDatabase('postgres');
  const target = new URL(POSTGRES_URL);
  proxy = new Proxy({ host: target.hostname, port: Number(target.port || 5432) });
  await proxy.open();
  server = await spawnTally({ database: { url: viaProxy(database.url!, proxy.port), drop: async () => {} }, args: ['--no-demo', '--admin-password', PASSWORD] });
});

after(async () => {
  await server?.stop();
  await proxy?.close();
  await database?.drop();
});

test('unreachable database: 503 in each dialect, then recovery without a restart', async () => {
  const vb = await passwordToken(server.vb365, 'vb365', 'admin', PASSWORD);
  const auth = { authorization: `Bearer ${vb}` };
  assert.equal((await request('GET', `${server.vb365}/v6/Organizations`, { headers: auth })).status, 200);

  await proxy.close();
  const down = await request('GET', `${server.vb365}/v6/Organizations`, { headers: auth });
  assert.equal(down.status, 503);
  assert.deepEqual(down.json(), { message: 'The database is unavailable; try again later.' });
  assert.equal(down.headers['retry-after'], '5');
  const vspc = await request('GET', `${server.vspc}/api/v3/licensing/console/usage/companies/vcc/b4971992-84ac-4dee-b837-95c8db275f28`, { headers: auth });
  assert.equal(vspc.status, 520);
  assert.deepEqual(vspc.json(), { errors: [{ message: 'The database is unavailable; try again later.', type: 'retryableLogical', code: 520 }] });
  const admin = await request('GET', `${server.vspc}/tally/v1/clock`, { headers: auth });
  assert.equal(admin.status, 503);
  assert.equal(admin.json().error.code, 'unavailable');
  assert.equal(server.child.exitCode, null, 'the server is still running');

  await proxy.open(proxy.port);
  const up = await request('GET', `${server.vb365}/v6/Organizations`, { headers: auth });
  assert.equal(up.status, 200, up.text);
  assert.equal((await request('GET', `${server.vspc}/tally/v1/clock`, { headers: auth })).status, 200);
});

test('start-up against an unreachable PostgreSQL fails with a clear message', async () => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const { code, stderr } = await runTallyExpectingFailure(['serve', '--data', path.join(tmpdir(), 'tally-unreachable-pg'), '--no-demo', '--vb365-port', '0', '--vspc-port', '0', '--database', `postgres://postgres@127.0.0.1:${port}/test`]);
  assert.equal(code, 1);
  assert.match(stderr, new RegExp(`tally: cannot connect to PostgreSQL at postgres://postgres@127.0.0.1:${port}/test: .*ECONNREFUSED`));
});
