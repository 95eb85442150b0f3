/**
 * TLS material for the listeners: the user's certificate and key, or a self-signed certificate
 * made on first start in the data dir and reused afterwards (so clients can pin it). Either pair
 * can be replaced on disk and reloaded without a restart (SIGHUP).
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { isIP } from 'node:net';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import type { TlsMaterial } from './app.js';

/** Where the self-signed pair lives in the data dir. */
/**
 * The protocol floor and suites of every TLS context the listeners use (at start and on reload).
 * TLS 1.2 is limited to ECDHE key exchange (forward secrecy) with AEAD ciphers (AES-GCM,
 * ChaCha20-Poly1305): no static-RSA key exchange, no CBC (the SHA-1 and SHA-2 HMAC suites with
 * their padding-oracle history), no CCM/CCM8. TLS 1.3's suites are all AEAD with forward secrecy
 * and are named as Node's default (OpenSSL puts TLS_* names in the TLS 1.3 list). The server
 * picks by its own order, so a client offering a weaker suite first still gets the best shared one.
 */
export const TLS_POLICY = {
  minVersion: 'TLSv1.2' as const,
  ciphers: [
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'TLS_AES_128_GCM_SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
  ].join(':'),
  honorCipherOrder: true,
};

export function selfSignedFiles(dataDir: string): { certFile: string; keyFile: string } {
  const dir = path.join(dataDir, 'tls');
  return { certFile: path.join(dir, 'tally-cert.pem'), keyFile: path.join(dir, 'tally-key.pem') };
}

export async function loadOrCreateCertificate(dataDir: string, host: string): Promise<{ tls: TlsMaterial; created: boolean }> {
  const dir = path.join(dataDir, 'tls');
  const { certFile, keyFile } = selfSignedFiles(dataDir);
  if (existsSync(certFile) && existsSync(keyFile)) {
    return { tls: { cert: readFileSync(certFile), key: readFileSync(keyFile) }, created: false };
  }
  const names = new Set(['localhost', hostname()]);
  const ips = new Set(['127.0.0.1', '::1']);
  if (isIP(host)) ips.add(host);
  else if (host) names.add(host);
  const notBefore = new Date(Date.now() - 60_000);
  // Loaded only to make a certificate (first start without --cert): it takes a tenth of a second.
  const { generate } = await import('selfsigned');
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

/** What may be logged about a certificate: never the key, nor the certificate's bytes. */
export interface CertificateInfo {
  fingerprint256: string;
  subject: string;
  validFrom: string;
  validTo: string;
  expired: boolean;
}

/** A pair that OpenSSL accepted together, with what may be logged about it. */
export interface CheckedPair {
  tls: TlsMaterial;
  info: CertificateInfo;
}

/**
 * Reads and checks a certificate and its key the way the listeners will use them: both must parse
 * and the key must belong to the certificate (OpenSSL's own check, in createSecureContext).
 * Errors name the file and OpenSSL's reason, never key material.
 */
export function readCheckedPair(certFile: string, keyFile: string, now = Date.now()): CheckedPair {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(`cannot read the ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`);
    }
  };
  const material = { cert: read(certFile, 'certificate'), key: read(keyFile, 'key') };
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(material.cert);
  } catch (error) {
    throw new Error(`${certFile} is not a PEM certificate (${(error as Error).message})`);
  }
  try {
    createSecureContext({ ...material, ...TLS_POLICY });
  } catch (error) {
    throw new Error(`the key ${keyFile} cannot be used with the certificate ${certFile} (${(error as Error).message})`);
  }
  return {
    tls: material,
    info: {
      fingerprint256: certificate.fingerprint256,
      subject: certificate.subject.replace(/\n/g, ', '),
      validFrom: certificate.validFrom,
      validTo: certificate.validTo,
      expired: Date.parse(certificate.validTo) <= now,
    },
  };
}

export type ReloadOutcome = { reloaded: true; info: CertificateInfo } | { reloaded: false; reason: string };

/**
 * Re-reads the certificate files and gives new connections the new pair on every listener;
 * connections already open keep the certificate they were made with. A pair that cannot be used
 * (unreadable, mismatched, expired) is refused and the listeners keep the pair they have.
 */
export function reloadCertificate(files: { certFile: string; keyFile: string }, servers: TlsServer[], now = Date.now()): ReloadOutcome {
  let pair: CheckedPair;
  try {
    pair = readCheckedPair(files.certFile, files.keyFile, now);
  } catch (error) {
    return { reloaded: false, reason: (error as Error).message };
  }
  if (pair.info.expired) return { reloaded: false, reason: `the certificate ${files.certFile} expired on ${pair.info.validTo}` };
  for (const server of servers) server.setSecureContext({ ...pair.tls, ...TLS_POLICY });
  return { reloaded: true, info: pair.info };
}
