/**
 * `tally serve`: opens the store, prepares the first start (admin account, demo data), starts the
 * two listeners, reloads the TLS certificate on request (SIGHUP) and shuts down gracefully on
 * SIGINT/SIGTERM.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { createAppContext } from '../app/context.js';
import { recordInstallation } from '../clock.js';
import type { ServeConfig } from '../config.js';
import { loadDemo } from '../demo/load.js';
import { buildFaceApp, type Face, type ShutdownState, type TlsMaterial } from '../http/app.js';
import type { AppContext } from '../http/context.js';
import { InflightRequests } from '../http/inflight.js';
import { loadOrCreateCertificate, readCheckedPair, reloadCertificate, selfSignedFiles, type ReloadOutcome } from '../http/tls.js';
import { ensureAdminAccount } from '../services/bootstrap.js';
import { openStoreAt, type Store } from '../store/database.js';

/**
 * After a shutdown signal, how long the listeners keep reading requests before they stop (every
 * answer meanwhile says `Connection: close`): a request a client sent just before the signal is in
 * the kernel's buffers or behind another one on its connection, and closing an "idle" connection
 * at once would reset it unanswered.
 */
const SHUTDOWN_GRACE_MS = 300;

/** A problem the operator must fix; printed as one line without a stack trace. */
export class StartupError extends Error {}

export interface RunningServer {
  urls: Record<Face, string>;
  ports: Record<Face, number>;
  context: AppContext;
  /** Re-reads the certificate and key (`--cert/--key`, or the self-signed pair) for new connections; logs the outcome. */
  reloadTls(): ReloadOutcome | { reloaded: false; reason: 'plain HTTP' };
  close(): Promise<void>;
}

function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new StartupError(`cannot use data directory ${dir}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message}`);
  }
}

export function openStore(config: Pick<ServeConfig, 'dataDir' | 'databaseUrl'>): Promise<Store> {
  ensureDataDir(config.dataDir);
  return openStoreAt(config.databaseUrl, config.dataDir);
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

async function listen(app: FastifyInstance, face: Face, host: string, port: number): Promise<number> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const flag = face === 'vb365' ? '--vb365-port' : '--vspc-port';
    if (code === 'EADDRINUSE') throw new StartupError(`cannot listen on ${host}:${port} (${flag}): the port is already in use`);
    if (code === 'EACCES') throw new StartupError(`cannot listen on ${host}:${port} (${flag}): permission denied`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new StartupError(`cannot listen on ${host} (--host): no such local address`);
    throw error;
  }
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : port;
}

export async function startServer(
  config: ServeConfig,
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  logger: Logger = pino({ level: config.logLevel }, pino.destination(2)),
): Promise<RunningServer> {
  const store = await openStore(config);
  const apps: FastifyInstance[] = [];
  let context: AppContext | undefined;
  try {
    const ctx = await createAppContext(store, {
      clock: config.clock,
      timeZone: config.timeZone,
      accessTokenSeconds: config.accessTokenSeconds,
      // Batches are decoded, validated and written in a worker thread with its own connections, so
      // that reads keep their latency while batches arrive (services/ingestion.ts).
      ingestionWorker: true,
      vspcEnumStyle: config.vspcEnumStyle,
    });
    context = ctx;
    const { clock } = ctx;
    // The other commands (report, status, migrate) read the clock and zone back from the database.
    await recordInstallation(store.db, clock.fixed, config.timeZone);

    const admin = await ensureAdminAccount(store.db, config.adminPassword);
    if (admin.generatedPassword) {
      out(`tally created the account admin with password ${admin.generatedPassword} (shown once; set it with --admin-password on a new database)`);
    }
    if (config.demo) {
      const loaded = await loadDemo(ctx, await clock.now());
      if (loaded) out(`tally loaded the demo scenario: ${loaded.events} events`);
    }

    let tls: TlsMaterial | undefined;
    // The files a reload reads again: the user's pair, or the self-signed pair in the data dir.
    const tlsFiles = config.certFile && config.keyFile ? { certFile: config.certFile, keyFile: config.keyFile } : selfSignedFiles(config.dataDir);
    if (!config.http) {
      try {
        if (!config.certFile) await loadOrCreateCertificate(config.dataDir, config.host);
        const pair = readCheckedPair(tlsFiles.certFile, tlsFiles.keyFile);
        tls = pair.tls;
        if (pair.info.expired) logger.warn({ certFile: tlsFiles.certFile, validTo: pair.info.validTo }, 'the TLS certificate has expired');
      } catch (error) {
        throw new StartupError(`cannot read the TLS certificate or key: ${(error as Error).message}`);
      }
    }

    const inflight = new InflightRequests();
    const shutdown: ShutdownState = { closing: false };
    const ports = {} as Record<Face, number>;
    const urls = {} as Record<Face, string>;
    const scheme = config.http ? 'http' : 'https';
    for (const [face, port] of [['vb365', config.vb365Port], ['vspc', config.vspcPort]] as const) {
      const app = await buildFaceApp(face, ctx, {
        tls,
        inflight,
        shutdown,
        loggerInstance: logger.child({ face }),
        trustProxy: config.trustProxy,
        metricsOpen: config.metricsOpen,
        limits: { requestTimeoutMs: config.requestTimeoutMs, maxConnections: config.maxConnections },
      });
      apps.push(app);
      ports[face] = await listen(app, face, config.host, port);
      urls[face] = `${scheme}://${urlHost(config.host)}:${ports[face]}`;
    }
    out(`tally listening vb365=${urls.vb365} vspc=${urls.vspc}`);

    let closing: Promise<void> | undefined;
    const running: RunningServer = {
      urls,
      ports,
      context: ctx,
      reloadTls() {
        if (!tls) {
          logger.info('TLS reload requested, but the listeners serve plain HTTP (--http)');
          return { reloaded: false, reason: 'plain HTTP' };
        }
        const outcome = reloadCertificate(tlsFiles, apps.map((app) => app.server as unknown as TlsServer));
        if (outcome.reloaded) {
          logger.info({ ...tlsFiles, ...outcome.info }, 'TLS certificate reloaded; new connections use it');
        } else {
          logger.error({ ...tlsFiles, reason: outcome.reason }, 'TLS certificate reload refused; the previous certificate stays in use');
        }
        return outcome;
      },
      close() {
        // First every answer says `Connection: close`, and requests clients already sent (still on
        // their way through the kernel, or queued behind others on a connection) are read and
        // answered for a short grace; then the listeners stop and idle connections are closed;
        // in-flight requests finish; the worker finishes its queue; then the database closes.
        shutdown.closing = true;
        closing ??= new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS))
          .then(() => Promise.all(apps.map((app) => app.close())))
          .then(() => inflight.drained(10_000))
          // The worker finishes every batch it received before the database closes.
          .then(() => ctx.ingestion.close())
          .then(() => store.close());
        return closing;
      },
    };
    return running;
  } catch (error) {
    await Promise.allSettled(apps.map((app) => app.close()));
    await context?.ingestion.close().catch(() => {});
    await store.close();
    throw error;
  }
}
