/**
 * Certificate rotation without a restart: SIGHUP re-reads --cert/--key, new connections get the
 * new certificate, open keep-alive connections go on, and a pair that cannot be used is refused
 * while the previous one keeps serving.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { generate } from 'selfsigned';
import { peerFingerprint, request, type ServerProcess, spawnTally } from '../support/server.js';

interface Pair {
  cert: string;
  key: string;
  fingerprint: string;
}

async function makePair(commonName: string, validity: { from: Date; to: Date } = { from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 86_400_000) }): Promise<Pair> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: validity.from,
    notAfterDate: validity.to,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  return { cert: pems.cert, key: pems.private, fingerprint: new (await import('node:crypto')).X509Certificate(pems.cert).fingerprint256 };
}

/** A GET over a keep-alive agent; tells whether the socket was reused and which certificate it shows. */
function keepAliveGet(agent: https.Agent, url: string): Promise<{ status: number; reused: boolean; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent, rejectUnauthorized: false }, (res) => {
      const fingerprint = (res.socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, fingerprint }));
    });
    req.on('error', reject);
  });
}

let dir: string;
let certFile: string;
let keyFile: string;
let server: ServerProcess;
let first: Pair;
let second: Pair;

/** Sends SIGHUP and waits for the log line that reports the outcome (the n-th of its kind). */
async function sighup(expect: 'reloaded' | 'refused'): Promise<string> {
  const pattern = expect === 'reloaded' ? /TLS certificate reloaded/ : /TLS certificate reload refused/;
  const matching = () => server.stderr().split('\n').filter((line) => pattern.test(line));
  const before = matching().length;
  // process.kill, not child.kill: the latter marks the child killed, and stop() then sends no SIGTERM.
  process.kill(server.child.pid!, 'SIGHUP');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const lines = matching();
    if (lines.length > before) return lines.at(-1)!;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no "${expect}" log line after SIGHUP; stderr:\n${server.stderr()}`);
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tally-tls-reload-'));
  certFile = path.join(dir, 'cert.pem');
  keyFile = path.join(dir, 'key.pem');
  [first, second] = await Promise.all([makePair('first.example'), makePair('second.example')]);
  writeFileSync(certFile, first.cert);
  writeFileSync(keyFile, first.key);
  server = await spawnTally({ args: ['--no-demo', '--cert', certFile, '--key', keyFile] });
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('SIGHUP gives new connections the new pair and leaves open keep-alive connections alone', async () => {
  assert.equal(await peerFingerprint(server.vspc), first.fingerprint);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const opened = await keepAliveGet(agent, `${server.vb365}/tally/v1/clock`);
    assert.equal(opened.fingerprint, first.fingerprint);

    writeFileSync(keyFile, second.key);
    writeFileSync(certFile, second.cert);
    const line = await sighup('reloaded');
    assert.match(line, new RegExp(second.fingerprint));

    for (const url of [server.vb365, server.vspc]) assert.equal(await peerFingerprint(url), second.fingerprint, url);
    const again = await keepAliveGet(agent, `${server.vb365}/tally/v1/clock`);
    assert.equal(again.reused, true, 'the request went over the connection opened before the reload');
    assert.equal(again.status, 401);
    assert.equal(again.fingerprint, first.fingerprint, 'an open connection keeps the certificate it was made with');
  } finally {
    agent.destroy();
  }
  assert.equal((await request('GET', `${server.vspc}/tally/v1/clock`)).status, 401);
});

test('a pair that cannot be used is refused with a log line and the previous certificate keeps serving', async () => {
  const third = await makePair('third.example');
  const expired = await makePair('expired.example', { from: new Date(Date.now() - 2 * 86_400_000), to: new Date(Date.now() - 86_400_000) });
  const broken: [string, () => void, RegExp][] = [
    ['a key of another certificate', () => { writeFileSync(certFile, third.cert); writeFileSync(keyFile, second.key); }, /cannot be used with the certificate/],
    ['a certificate file that is not PEM', () => { writeFileSync(certFile, 'not a certificate\n'); writeFileSync(keyFile, third.key); }, /is not a PEM certificate/],
    ['a missing key file', () => { writeFileSync(certFile, third.cert); rmSync(keyFile); }, /no such file/],
    ['an expired certificate', () => { writeFileSync(certFile, expired.cert); writeFileSync(keyFile, expired.key); }, /expired on/],
  ];
  for (const [what, damage, reason] of broken) {
    damage();
    const line = await sighup('refused');
    assert.match(line, reason, what);
    for (const url of [server.vb365, server.vspc]) assert.equal(await peerFingerprint(url), second.fingerprint, `${what}: ${url}`);
    assert.equal((await request('GET', `${server.vb365}/v6/License`)).status, 401, `${what}: still serving`);
  }
  // Once the files are right again, the next SIGHUP applies them.
  writeFileSync(certFile, third.cert);
  writeFileSync(keyFile, third.key);
  await sighup('reloaded');
  assert.equal(await peerFingerprint(server.vb365), third.fingerprint);
  // The logs name files and fingerprints, never key material.
  for (const pair of [first, second, third, expired]) {
    const keyBody = pair.key.split('\n').slice(1, 3).join('');
    assert.ok(!server.stderr().includes(keyBody), 'no key bytes in the log');
  }
  assert.doesNotMatch(server.stderr(), /PRIVATE KEY/);
  assert.equal(server.child.exitCode, null, 'still running');
});

test('SIGHUP on a plain-HTTP server changes nothing and does not stop it', async () => {
  const plain = await spawnTally({ args: ['--no-demo', '--http'] });
  try {
    process.kill(plain.child.pid!, 'SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(plain.child.exitCode, null);
    assert.equal(plain.child.signalCode, null, 'not ended by the signal');
    assert.equal((await request('GET', `${plain.vb365}/v6/License`)).status, 401);
  } finally {
    const code = await plain.stop();
    assert.equal(code, 0, `signal ${plain.child.signalCode}; stderr:\n${plain.stderr()}`);
  }
});
