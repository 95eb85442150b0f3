/**
 * TLS material for the listeners: the user's certificate and key, or a self-signed certificate
 * made on first start in the data dir and reused afterwards (so clients can pin it).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { isIP } from 'node:net';
import { generate } from 'selfsigned';
import type { TlsMaterial } from './app.js';

export async function loadOrCreateCertificate(dataDir: string, host: string): Promise<{ tls: TlsMaterial; created: boolean }> {
  const dir = path.join(dataDir, 'tls');
  const certFile = path.join(dir, 'tally-cert.pem');
  const keyFile = path.join(dir, 'tally-key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    return { tls: { cert: readFileSync(certFile), key: readFileSync(keyFile) }, created: false };
  }
  const names = new Set(['localhost', hostname()]);
  const ips = new Set(['127.0.0.1', '::1']);
  if (isIP(host)) ips.add(host);
  else if (host) names.add(host);
  const notBefore = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: 'Tally self-signed' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: new Date(notBefore.getTime() + 5 * 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...[...names].map((value) => ({ type: 2 as const, value })),
          ...[...ips].map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(certFile, pems.cert);
  return { tls: { cert: pems.cert, key: pems.private }, created: true };
}

export function readCertificateFiles(certFile: string, keyFile: string): TlsMaterial {
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}
