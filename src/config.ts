/**
 * One typed, validated configuration for `tally serve`: flag > environment variable > default
 * (contract §2). Every problem is reported with the flag or variable that caused it.
 */
import { passwordProblem } from './services/passwordPolicy.js';
import { isIP } from 'node:net';
import path from 'node:path';
import type { VspcEnumStyle } from './http/context.js';
import { isValidTimeZone, parseRfc3339, type Instant } from './time.js';

export interface ServeConfig {
  dataDir: string;
  databaseUrl: string | undefined;
  host: string;
  vb365Port: number;
  vspcPort: number;
  http: boolean;
  certFile: string | undefined;
  keyFile: string | undefined;
  demo: boolean;
  clock: Instant | undefined;
  timeZone: string;
  adminPassword: string | undefined;
  vspcEnumStyle: VspcEnumStyle;
  logLevel: string;
  /** Proxies whose X-Forwarded-For is believed (addresses, CIDRs, or proxy-addr's named ranges); none by default. */
  trustProxy: string[] | undefined;
  /** Milliseconds a client has to send one whole request; its headers must arrive within min(10 s, this). */
  requestTimeoutMs: number;
  /** Open connections a listener accepts at once; more are closed at once. */
  maxConnections: number;
  /** Seconds an access token is valid (`expires_in`); 3600 as the products. */
  accessTokenSeconds: number;
  /** GET /metrics without a token (a Prometheus on a private network); otherwise a PortalAdministrator's token. */
  metricsOpen: boolean;
}

/** What commander hands over: only the flags the user actually gave are defined. */
export interface ServeFlags {
  data?: string;
  database?: string;
  host?: string;
  vb365Port?: string;
  vspcPort?: string;
  http?: boolean;
  cert?: string;
  key?: string;
  demo?: boolean;
  clock?: string;
  timeZone?: string;
  adminPassword?: string;
  vspcEnumStyle?: string;
  logLevel?: string;
  trustProxy?: string;
  requestTimeout?: string;
  maxConnections?: string;
  tokenLifetime?: string;
  metricsOpen?: boolean;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function pick(flag: string | undefined, env: Env, name: string): { value: string; source: string } | undefined {
  if (flag !== undefined) return { value: flag, source: 'flag' };
  const fromEnv = env[name];
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: name };
  return undefined;
}

function parsePort(raw: { value: string; source: string } | undefined, flagName: string, fallback: number): number {
  if (!raw) return fallback;
  const n = Number(raw.value);
  if (!/^\d+$/.test(raw.value.trim()) || !Number.isInteger(n) || n < 0 || n > 65535) {
    const where = raw.source === 'flag' ? flagName : raw.source;
    throw new ConfigError(`${where} must be a port number from 0 to 65535 (0 picks a free port), not ${JSON.stringify(raw.value)}`);
  }
  return n;
}

function parseSwitch(value: string, name: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be 1 or 0 (or true/false), not ${JSON.stringify(value)}`);
}

/** The named ranges proxy-addr (Fastify's trustProxy) understands, besides addresses and CIDRs. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

function isAddressOrCidr(entry: string): boolean {
  const slash = entry.indexOf('/');
  if (slash === -1) return isIP(entry) !== 0;
  const family = isIP(entry.slice(0, slash));
  const bits = entry.slice(slash + 1);
  return family !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * `--trust-proxy`: the addresses of the reverse proxies in front of Tally. A hop count or "all" is
 * refused on purpose: either believes X-Forwarded-For from whoever connects, so a client that
 * reaches the port directly could pick the address its failed logins are counted against.
 */
function parseTrustProxy(raw: { value: string; source: string } | undefined): string[] | undefined {
  if (!raw) return undefined;
  const where = raw.source === 'flag' ? '--trust-proxy' : raw.source;
  const entries = raw.value.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (PROXY_RANGES.includes(entry) || isAddressOrCidr(entry)) continue;
    const hint = /^\d+$/.test(entry) || ['true', 'all', '*'].includes(entry.toLowerCase())
      ? ' (hop counts and "all" are not accepted: name the proxies, so a client cannot forge X-Forwarded-For)'
      : '';
    throw new ConfigError(
      `${where} must be a comma-separated list of proxy addresses or CIDRs (e.g. 10.0.0.5,192.168.1.0/24) or loopback, linklocal, uniquelocal; ${JSON.stringify(entry || raw.value)} is none of these${hint}`,
    );
  }
  return entries;
}

function parseBounded(
  raw: { value: string; source: string } | undefined,
  flagName: string,
  fallback: number,
  { min, max, integer, what }: { min: number; max: number; integer: boolean; what: string },
): number {
  if (!raw) return fallback;
  const text = raw.value.trim();
  const n = Number(text);
  const shape = integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  if (!shape.test(text) || !Number.isFinite(n) || n < min || n > max) {
    const where = raw.source === 'flag' ? flagName : raw.source;
    throw new ConfigError(`${where} must be ${what} from ${min} to ${max}, not ${JSON.stringify(raw.value)}`);
  }
  return n;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Where the data lives: what every command that touches the database needs (`--data`, `--database`). */
export function resolveStoreConfig(flags: Pick<ServeFlags, 'data' | 'database'>, env: Env): Pick<ServeConfig, 'dataDir' | 'databaseUrl'> {
  return {
    dataDir: path.resolve(pick(flags.data, env, 'TALLY_DATA')?.value ?? './data'),
    databaseUrl: pick(flags.database, env, 'TALLY_DATABASE_URL')?.value,
  };
}

export function resolveServeConfig(flags: ServeFlags, env: Env): ServeConfig {
  const { dataDir, databaseUrl } = resolveStoreConfig(flags, env);
  const host = pick(flags.host, env, 'TALLY_HOST')?.value ?? '127.0.0.1';
  const vb365Port = parsePort(pick(flags.vb365Port, env, 'TALLY_VB365_PORT'), '--vb365-port', 4443);
  const vspcPort = parsePort(pick(flags.vspcPort, env, 'TALLY_VSPC_PORT'), '--vspc-port', 1280);
  if (vb365Port !== 0 && vb365Port === vspcPort) {
    throw new ConfigError(`the VB365 and VSPC faces need two different ports (both are ${vb365Port})`);
  }

  const http = flags.http ?? (env.TALLY_HTTP ? parseSwitch(env.TALLY_HTTP, 'TALLY_HTTP') : false);
  const certFile = pick(flags.cert, env, 'TALLY_CERT')?.value;
  const keyFile = pick(flags.key, env, 'TALLY_KEY')?.value;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError('--cert and --key go together: give both files or neither');
  }
  if (http && certFile) throw new ConfigError('--http serves plain HTTP; it cannot be combined with --cert/--key');

  // commander sets `demo: false` only for --no-demo; otherwise the flag is left undefined.
  const demo = flags.demo === false ? false : env.TALLY_DEMO ? parseSwitch(env.TALLY_DEMO, 'TALLY_DEMO') : true;

  const clockRaw = pick(flags.clock, env, 'TALLY_CLOCK');
  let clock: Instant | undefined;
  if (clockRaw) {
    const parsed = parseRfc3339(clockRaw.value);
    if (parsed === null) {
      throw new ConfigError(
        `${clockRaw.source === 'flag' ? '--clock' : clockRaw.source} must be an RFC 3339 instant with an offset, e.g. 2026-11-23T12:00:00Z, not ${JSON.stringify(clockRaw.value)}`,
      );
    }
    clock = parsed;
  }

  const timeZone = pick(flags.timeZone, env, 'TALLY_TIME_ZONE')?.value ?? 'UTC';
  if (!isValidTimeZone(timeZone)) {
    throw new ConfigError(`--time-zone must be an IANA time zone such as UTC or Europe/Berlin, not ${JSON.stringify(timeZone)}`);
  }

  const adminPassword = pick(flags.adminPassword, env, 'TALLY_ADMIN_PASSWORD')?.value;
  // A weak first-start password is refused, not warned about: it guards the one account that can
  // do everything, and the operator can always leave it out to get a generated one.
  const adminProblem = adminPassword === undefined ? undefined : passwordProblem(adminPassword, 'admin');
  if (adminProblem !== undefined) throw new ConfigError(`--admin-password ${adminProblem.replace(/^the password /, '')}`);

  const enumStyle = pick(flags.vspcEnumStyle, env, 'TALLY_VSPC_ENUM_STYLE')?.value ?? 'camel';
  if (enumStyle !== 'camel' && enumStyle !== 'pascal') {
    throw new ConfigError(`--vspc-enum-style must be camel or pascal, not ${JSON.stringify(enumStyle)}`);
  }

  const logLevel = pick(flags.logLevel, env, 'TALLY_LOG_LEVEL')?.value ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);

  const trustProxy = parseTrustProxy(pick(flags.trustProxy, env, 'TALLY_TRUST_PROXY'));
  const requestTimeoutSeconds = parseBounded(pick(flags.requestTimeout, env, 'TALLY_REQUEST_TIMEOUT'), '--request-timeout', 30, {
    min: 0.5, max: 3600, integer: false, what: 'a number of seconds',
  });
  const maxConnections = parseBounded(pick(flags.maxConnections, env, 'TALLY_MAX_CONNECTIONS'), '--max-connections', 1000, {
    min: 1, max: 1_000_000, integer: true, what: 'a whole number',
  });

  const accessTokenSeconds = parseBounded(pick(flags.tokenLifetime, env, 'TALLY_TOKEN_LIFETIME'), '--token-lifetime', 3600, {
    min: 60, max: 86_400, integer: true, what: 'a whole number of seconds',
  });

  const metricsOpen = flags.metricsOpen ?? (env.TALLY_METRICS_OPEN ? parseSwitch(env.TALLY_METRICS_OPEN, 'TALLY_METRICS_OPEN') : false);

  return {
    metricsOpen,
    dataDir, databaseUrl, host, vb365Port, vspcPort, http, certFile, keyFile, demo, clock, timeZone,
    adminPassword, vspcEnumStyle: enumStyle, logLevel, trustProxy,
    requestTimeoutMs: Math.round(requestTimeoutSeconds * 1000), maxConnections, accessTokenSeconds,
  };
}
