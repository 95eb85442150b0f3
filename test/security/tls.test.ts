/**
 * The listeners' TLS suites: TLS 1.2 only with ECDHE key exchange and AEAD ciphers, TLS 1.3 as
 * Node offers it. A client that offers only a static-RSA suite (no forward secrecy) or only CBC
 * suites is refused at the handshake; the suites clients really use still connect.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildFaceApp } from '../../src/http/app.js';
import { loadOrCreateCertificate } from '../../src/http/tls.js';
import { startTestApp, type TestApp } from '../support/harness.js';

let app: TestApp;
let faces: FastifyInstance[] = [];
const ports: Record<string, number> = {};
let certDir: string;

before(async () => {
  app = await startTestApp();
  certDir = mkdtempSync(path.join(tmpdir(), 'tally-tls-'));
  const { tls: material } = await loadOrCreateCertificate(certDir, '127.0.0.1');
  for (const face of ['vb365', 'vspc'] as const) {
    const server = await buildFaceApp(face, app.ctx, { tls: material });
    await server.listen({ host: '127.0.0.1', port: 0 });
    ports[face] = (server.server.address() as { port: number }).port;
    faces.push(server);
  }
});
after(async () => {
  for (const face of faces) await face.close();
  await app.close();
  rmSync(certDir, { recursive: true, force: true });
});

interface Handshake {
  ok: boolean;
  protocol?: string | null;
  cipher?: string;
  error?: string;
}

function handshake(port: number, options: tls.ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
    socket.once('secureConnect', () => {
      const result = { ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().standardName };
      socket.end();
      resolve(result);
    });
    socket.once('error', (error) => resolve({ ok: false, error: error.message }));
  });
}

// `@SECLEVEL=0` lets the client offer what OpenSSL's defaults would no longer send, as an old
// or hostile client would; the refusal must come from the server.
const TLS12 = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;

for (const face of ['vb365', 'vspc'] as const) {
  test(`${face}: a TLS 1.2 client offering only static-RSA key exchange (no forward secrecy) is refused`, async () => {
    for (const cipher of ['AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-SHA']) {
      const result = await handshake(ports[face]!, { ...TLS12, ciphers: `${cipher}:@SECLEVEL=0` });
      assert.equal(result.ok, false, `${cipher} was accepted`);
    }
  });

  test(`${face}: a TLS 1.2 client offering only CBC suites, even with ECDHE, is refused; CCM is refused too`, async () => {
    for (const cipher of ['ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA', 'ECDHE-RSA-AES128-SHA256', 'ECDHE-RSA-AES256-SHA384', 'AES128-CCM8']) {
      const result = await handshake(ports[face]!, { ...TLS12, ciphers: `${cipher}:@SECLEVEL=0` });
      assert.equal(result.ok, false, `${cipher} was accepted`);
    }
  });

  test(`${face}: TLS 1.2 with ECDHE and AES-GCM or ChaCha20-Poly1305 connects, and TLS 1.3 connects as before`, async () => {
    for (const cipher of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']) {
      const result = await handshake(ports[face]!, { ...TLS12, ciphers: cipher });
      assert.deepEqual([result.ok, result.protocol], [true, 'TLSv1.2'], `${cipher}: ${result.error}`);
    }
    const modern = await handshake(ports[face]!, {});
    assert.equal(modern.protocol, 'TLSv1.3');
    // A client that offers a CBC suite first still gets an AEAD one: the server's order wins.
    const mixed = await handshake(ports[face]!, { ...TLS12, ciphers: 'ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256' });
    assert.equal(mixed.cipher, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  });

  test(`${face}: TLS 1.1 is refused`, async () => {
    const result = await handshake(ports[face]!, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    assert.equal(result.ok, false);
  });
}
