/**
 * Start-up behaviour of `tally serve`: flag errors, busy ports, unusable data directories, graceful
 * shutdown on signals, the self-signed certificate, plain HTTP and the listening line.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generate } from 'selfsigned';
import { form, peerFingerprint, request, runTallyExpectingFailure, type ServerProcess, spawnTally } from '../support/server.js';
import { createTestDatabase, type TestDatabase } from '../support/stores.js';
import { ADMIN_PASSWORD, backup, runToExit } from './helpers.js';

const LISTENING = /^tally listening vb365=(https?):\/\/127\.0\.0\.1:(\d+) vspc=(https?):\/\/127\.0\.0\.1:(\d+)$/;

let scratch: string;
before(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'tally-e2e-cli-'));
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** A fresh, empty data directory under the scratch directory. */
function freshDir(name: string): string {
  return mkdtempSync(path.join(scratch, `${name}-`));
}

/** `tally serve` with a data dir and free ports, expected to fail before listening. */
function serveExpectingFailure(args: string[], env: Record<string, string> = {}) {
  return runToExit(['serve', '--data', freshDir('fail'), '--vb365-port', '0', '--vspc-port', '0', '--no-demo', ...args], env);
}

/** Asserts a non-zero exit and exactly one stderr line, `tally: MESSAGE`. */
function assertOneLineFailure(result: { code: number | null; stdout: string; stderr: string }, message: string | RegExp): void {
  assert.notEqual(result.code, 0, `exit code ${result.code}; stderr: ${result.stderr}`);
  assert.notEqual(result.code, null, 'the process exited by itself');
  assert.doesNotMatch(result.stdout, /tally listening/, 'it never listened');
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  const line = lines[0]!;
  assert.ok(line.startsWith('tally: '), line);
  if (typeof message === 'string') assert.equal(line, `tally: ${message}`);
  else assert.match(line, message);
}

async function listenOnFreePort(): Promise<{ port: number; close(): Promise<void> }> {
  const blocker = net.createServer();
  await new Promise<void>((resolve, reject) => {
    blocker.once('error', reject);
    blocker.listen(0, '127.0.0.1', () => resolve());
  });
  const address = blocker.address();
  assert.ok(address && typeof address === 'object');
  return { port: address.port, close: () => new Promise((resolve) => blocker.close(() => resolve())) };
}

describe('bad flags exit non-zero with one clear line on stderr', { concurrency: true }, () => {
  test('--vb365-port abc', async () => {
    assertOneLineFailure(await serveExpectingFailure(['--vb365-port', 'abc']), '--vb365-port must be a port number from 0 to 65535 (0 picks a free port), not "abc"');
  });

  test('--vspc-port 70000', async () => {
    assertOneLineFailure(await serveExpectingFailure(['--vspc-port', '70000']), '--vspc-port must be a port number from 0 to 65535 (0 picks a free port), not "70000"');
  });

  test('--time-zone Mars/Olympus', async () => {
    assertOneLineFailure(await serveExpectingFailure(['--time-zone', 'Mars/Olympus']), '--time-zone must be an IANA time zone such as UTC or Europe/Berlin, not "Mars/Olympus"');
  });

  test('--clock yesterday', async () => {
    assertOneLineFailure(await serveExpectingFailure(['--clock', 'yesterday']), '--clock must be an RFC 3339 instant with an offset, e.g. 2026-11-23T12:00:00Z, not "yesterday"');
  });

  test('--clock without an offset', async () => {
    assertOneLineFailure(await serveExpectingFailure(['--clock', '2026-11-23T12:00:00']), '--clock must be an RFC 3339 instant with an offset, e.g. 2026-11-23T12:00:00Z, not "2026-11-23T12:00:00"');
  });

  test('--admin-password shorter than 8 characters', async () => {
    assertOneLineFailure(await serveExpectingFailure(['--admin-password', 'short']), '--admin-password must have at least 8 characters');
  });

  test('the same port for both faces', async () => {
    assertOneLineFailure(await serveExpectingFailure(['--vb365-port', '4999', '--vspc-port', '4999']), 'the VB365 and VSPC faces need two different ports (both are 4999)');
  });

  test('a bad environment variable is named in the message (TALLY_VSPC_PORT)', async () => {
    const result = await runToExit(['serve', '--data', freshDir('env'), '--vb365-port', '0', '--no-demo'], { TALLY_VSPC_PORT: 'x1' });
    assertOneLineFailure(result, 'TALLY_VSPC_PORT must be a port number from 0 to 65535 (0 picks a free port), not "x1"');
  });

  test('an unknown option: commander prints its own message', async () => {
    const result = await serveExpectingFailure(['--bogus']);
    assert.notEqual(result.code, 0);
    assert.notEqual(result.code, null);
    assert.doesNotMatch(result.stdout, /tally listening/);
    assert.equal(result.stderr, "error: unknown option '--bogus'\n");
  });
});

describe('start-up failures of the environment', () => {
  test('a port already in use → non-zero exit, "already in use"', async () => {
    const blocker = await listenOnFreePort();
    try {
      const result = await serveExpectingFailure(['--vspc-port', String(blocker.port)]);
      assert.notEqual(result.code, 0, result.stderr);
      assert.notEqual(result.code, null, 'the process exited by itself');
      assert.doesNotMatch(result.stdout, /tally listening/, 'it never listened');
      // The VB365 face may have logged its own start (a JSON log line) before the VSPC face failed;
      // the last line is the one-line reason.
      const lines = result.stderr.split('\n').filter((line) => line !== '');
      assert.equal(lines.at(-1), `tally: cannot listen on 127.0.0.1:${blocker.port} (--vspc-port): the port is already in use`, result.stderr);
      assert.equal(lines.filter((line) => line.startsWith('tally: ')).length, 1, result.stderr);
    } finally {
      await blocker.close();
    }
  });

  test('a data directory under a regular file → non-zero exit, "cannot use data directory"', async () => {
    const file = path.join(scratch, 'a-regular-file');
    writeFileSync(file, 'not a directory\n');
    const dir = path.join(file, 'data');
    const result = await runToExit(['serve', '--data', dir, '--vb365-port', '0', '--vspc-port', '0', '--no-demo']);
    assertOneLineFailure(result, /^tally: cannot use data directory /);
    assert.ok(result.stderr.includes(`cannot use data directory ${dir}: `), result.stderr);
  });

  test('a data directory that is a regular file → non-zero exit, "cannot use data directory"', async () => {
    const file = path.join(scratch, 'another-regular-file');
    writeFileSync(file, 'not a directory\n');
    const result = await runToExit(['serve', '--data', file, '--vb365-port', '0', '--vspc-port', '0', '--no-demo']);
    assertOneLineFailure(result, /^tally: cannot use data directory /);
  });
});

describe('signals shut down gracefully', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} → exit code 0, a note on stderr, the ports are closed`, async () => {
      const server = await spawnTally({ args: ['--no-demo', '--admin-password', ADMIN_PASSWORD] });
      const res = await request('POST', `${server.vspc}/api/v3/token`, form({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }));
      assert.equal(res.status, 200, res.text);
      const code = await server.stop(signal);
      assert.equal(code, 0, server.stderr());
      assert.match(server.stderr(), new RegExp(`tally: ${signal} received, finishing requests and closing the database`));
      await assert.rejects(request('GET', `${server.vspc}/api/v3/token`), /ECONNREFUSED/);
      await assert.rejects(request('GET', `${server.vb365}/v6/token`), /ECONNREFUSED/);
    });
  }
});

describe('a signal lets an in-flight request finish', () => {
  let dataDir: string;
  let server: ServerProcess | undefined;
  let database: TestDatabase | undefined;
  before(async () => {
    dataDir = freshDir('inflight');
    database = await createTestDatabase();
  });
  after(async () => {
    await server?.stop();
    await database?.drop();
  });

  test('SIGTERM while an event batch is being received: the batch is answered 200 and durable, exit 0', async () => {
    server = await spawnTally({ dataDir, database, args: ['--no-demo', '--admin-password', ADMIN_PASSWORD] });
    const login = await request('POST', `${server.vspc}/api/v3/token`, form({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }));
    assert.equal(login.status, 200, login.text);
    const token = login.json().access_token as string;
    const events = Array.from({ length: 50 }, (_, i) => backup(`inflight-${i}`, '2026-11-01T00:00:00Z', '3c9d2f4a-6b1e-4d7c-8a5f-0e1d2c3b4a59', `u${i}`));
    const body = Buffer.from(JSON.stringify({ events }));
    const running = server;

    // Headers first, with Expect: 100-continue: the 100 says the server holds the request.
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = https.request(`${running.vspc}/tally/v1/events`, {
        method: 'POST',
        rejectUnauthorized: false,
        agent: false,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(body.length), expect: '100-continue' },
      });
      req.on('continue', async () => {
        req.write(body.subarray(0, 10));
        running.child.kill('SIGTERM');
        // Only when the server says it is shutting down does the rest of the body follow.
        await new Promise<void>((done) => {
          const check = () => {
            if (!running.stderr().includes('SIGTERM received')) return;
            running.child.stderr!.off('data', check);
            done();
          };
          running.child.stderr!.on('data', check);
          check();
        });
        req.end(body.subarray(10));
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
    });
    const res = await answer;
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '{"accepted":50,"duplicates":0}');
    assert.equal(await running.stop(), 0, running.stderr());

    server = await spawnTally({ dataDir, database, args: ['--no-demo', '--admin-password', ADMIN_PASSWORD] });
    const again = await request('POST', `${server.vspc}/api/v3/token`, form({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }));
    const repost = await request('POST', `${server.vspc}/tally/v1/events`, {
      headers: { authorization: `Bearer ${again.json().access_token}`, 'content-type': 'application/json' },
      body,
    });
    assert.equal(repost.status, 200, repost.text);
    assert.equal(repost.text, '{"accepted":0,"duplicates":50}', 'the batch answered during shutdown was durable');
  });
});

describe('TLS: a self-signed certificate made on first start in DATA/tls and reused', () => {
  let dataDir: string;
  let first: ServerProcess | undefined;
  let second: ServerProcess | undefined;
  let database: TestDatabase | undefined;
  before(async () => {
    dataDir = freshDir('tls');
    // Both starts share the database (on PostgreSQL a schema of its own), as they share the data dir.
    database = await createTestDatabase();
  });
  after(async () => {
    await first?.stop();
    await second?.stop();
    await database?.drop();
  });

  test('the first start creates the certificate and serves it on both faces; the second start reuses it', async () => {
    const certFile = path.join(dataDir, 'tls', 'tally-cert.pem');
    const keyFile = path.join(dataDir, 'tls', 'tally-key.pem');
    assert.equal(existsSync(certFile), false);

    // No --admin-password: the generated one is printed on the first start only.
    first = await spawnTally({ dataDir, database, args: ['--no-demo'] });
    assert.match(first.stdout(), /^tally created the account admin with password \S+ \(shown once; set it with --admin-password on a new database\)$/m);
    assert.ok(existsSync(certFile), 'certificate file');
    assert.ok(existsSync(keyFile), 'key file');
    assert.equal(statSync(keyFile).mode & 0o077, 0, 'the private key is readable by its owner only');
    const certBytes = readFileSync(certFile);
    const keyBytes = readFileSync(keyFile);
    const fingerprint = new X509Certificate(certBytes).fingerprint256;
    assert.equal(await peerFingerprint(first.vb365), fingerprint, 'VB365 face serves the file');
    assert.equal(await peerFingerprint(first.vspc), fingerprint, 'VSPC face serves the file');
    const cert = new X509Certificate(certBytes);
    assert.ok(cert.checkHost('localhost'), 'valid for localhost');
    assert.ok(cert.checkIP('127.0.0.1'), 'valid for 127.0.0.1');
    assert.equal(await first.stop('SIGTERM'), 0);
    first = undefined;

    second = await spawnTally({ dataDir, database, args: ['--no-demo'] });
    assert.doesNotMatch(second.stdout(), /created the account admin/, 'the password is shown once');
    assert.deepEqual(readFileSync(certFile), certBytes, 'same certificate bytes');
    assert.deepEqual(readFileSync(keyFile), keyBytes, 'same key bytes');
    assert.equal(await peerFingerprint(second.vb365), fingerprint, 'same peer certificate on VB365');
    assert.equal(await peerFingerprint(second.vspc), fingerprint, 'same peer certificate on VSPC');
  });
});

describe('--cert/--key serve the operator\'s certificate', () => {
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.stop();
  });

  test('both faces present the given certificate; none is generated in the data dir', async () => {
    const dir = freshDir('own-cert');
    const pems = await generate([{ name: 'commonName', value: 'tally.example' }], { keySize: 2048, algorithm: 'sha256' });
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    writeFileSync(certFile, pems.cert);
    writeFileSync(keyFile, pems.private);
    const dataDir = path.join(dir, 'data');
    server = await spawnTally({ dataDir, args: ['--no-demo', '--cert', certFile, '--key', keyFile] });
    const fingerprint = new X509Certificate(pems.cert).fingerprint256;
    assert.equal(await peerFingerprint(server.vb365), fingerprint);
    assert.equal(await peerFingerprint(server.vspc), fingerprint);
    assert.equal(existsSync(path.join(dataDir, 'tls')), false);
  });

  test('an unreadable certificate file is a clear start-up error', async () => {
    const { code, stderr } = await runTallyExpectingFailure(['serve', '--data', freshDir('bad-cert'), '--no-demo', '--vb365-port', '0', '--vspc-port', '0', '--cert', '/nonexistent/cert.pem', '--key', '/nonexistent/key.pem']);
    assert.equal(code, 1);
    assert.match(stderr, /tally: cannot read the TLS certificate or key: cannot read the certificate \/nonexistent\/cert.pem: no such file/);
  });
});

describe('--http serves plain HTTP', () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnTally({ args: ['--http', '--no-demo', '--admin-password', ADMIN_PASSWORD] });
  });
  after(async () => {
    await server?.stop();
  });

  test('the listening line says http://, both faces answer over HTTP, no certificate is made', async () => {
    assert.match(server.vb365, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(server.vspc, /^http:\/\/127\.0\.0\.1:\d+$/);
    const vb = await request('POST', `${server.vb365}/v6/token`, form({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }));
    assert.equal(vb.status, 200, vb.text);
    assert.equal(vb.json().userName, 'admin');
    const token = vb.json().access_token as string;
    const list = await request('GET', `${server.vb365}/v6/Organizations`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(list.status, 200, list.text);
    assert.equal(list.text, '[]');
    const vspc = await request('POST', `${server.vspc}/api/v3/token`, form({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }));
    assert.equal(vspc.status, 200, vspc.text);
    assert.equal(existsSync(path.join(server.dataDir, 'tls')), false, 'no certificate with --http');
    // TLS to a plain-HTTP port fails.
    await assert.rejects(request('GET', server.vspc.replace('http:', 'https:') + '/api/v3/token'));
  });
});

describe('the listening line', () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnTally({ args: ['--no-demo', '--admin-password', ADMIN_PASSWORD] });
  });
  after(async () => {
    await server?.stop();
  });

  test('one line `tally listening vb365=https://127.0.0.1:PORT vspc=https://127.0.0.1:PORT` with two real, different ports', async () => {
    const lines = server.stdout().split('\n').filter((line) => LISTENING.test(line));
    assert.equal(lines.length, 1, server.stdout());
    const m = LISTENING.exec(lines[0]!)!;
    assert.equal(m[1], 'https');
    assert.equal(m[3], 'https');
    const vb365Port = Number(m[2]);
    const vspcPort = Number(m[4]);
    assert.ok(vb365Port > 0 && vspcPort > 0, 'port 0 is replaced by the chosen port');
    assert.notEqual(vb365Port, vspcPort);
    assert.equal(server.vb365, `https://127.0.0.1:${vb365Port}`);
    assert.equal(server.vspc, `https://127.0.0.1:${vspcPort}`);
    // The printed URLs are where the faces are.
    const vb = await request('POST', `${server.vb365}/v6/token`, form({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }));
    assert.equal(vb.status, 200, vb.text);
    assert.ok('.issued' in vb.json(), 'the VB365 face answers on the vb365 URL');
    const vspc = await request('POST', `${server.vspc}/api/v3/token`, form({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }));
    assert.equal(vspc.status, 200, vspc.text);
    assert.ok(!('.issued' in vspc.json()), 'the VSPC face answers on the vspc URL');
    // stdout holds nothing but the listening line on a --no-demo start with a given password.
    assert.equal(server.stdout().trim(), lines[0]);
  });
});
