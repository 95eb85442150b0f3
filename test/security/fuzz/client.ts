/**
 * Sends fuzz requests: over keep-alive HTTP and HTTPS agents as a client library would, or byte
 * for byte over a fresh TCP connection for what no client library lets through (bad request
 * lines, malformed header lines, conflicting lengths, bad chunking). Never throws: every request
 * ends in an outcome.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Credentials, FuzzRequest, HeaderValue } from './generators.js';
import type { Listener } from './routes.js';

export interface Target {
  http: Record<Listener, URL>;
  https: Record<Listener, URL>;
  /** Tokens of each server, by credentials. */
  tokens: { http: Record<Credentials, string>; https: Record<Credentials, string> };
}

export interface Outcome {
  /** Every status line the server sent (two for a pipelined raw request); empty when it sent none. */
  statuses: number[];
  /** A client-side or connection error, when there was no complete answer. */
  error: string | undefined;
  /** The first bytes of the answer, for failure reports. */
  excerpt: string;
}

/** Keep-alive agents with at most `sockets` connections each. */
export function agents(sockets: number) {
  return {
    http: new http.Agent({ keepAlive: true, maxSockets: sockets }),
    https: new https.Agent({ keepAlive: true, maxSockets: sockets, rejectUnauthorized: false }),
  };
}

const ANSWER_TIMEOUT_MS = 5_000;

function headerLines(request: FuzzRequest, tokens: Record<Credentials, string>): string[] {
  const flat: string[] = [];
  for (const [name, value] of request.headers) flat.push(name, resolve(value, tokens));
  // Node adds no framing to array headers: without a length, a GET's body would be read as the
  // next request on the connection. Broken framing is the raw transport's business.
  if (request.body) flat.push('Content-Length', String(request.body.length));
  return flat;
}

function resolve(value: HeaderValue, tokens: Record<Credentials, string>): string {
  return typeof value === 'string' ? value : value.format(tokens[value.token]);
}

/** Sends one request; with `pool` undefined, alone on a connection of its own. */
export function send(request: FuzzRequest, target: Target, pool: ReturnType<typeof agents> | undefined): Promise<Outcome> {
  if (request.transport === 'raw') return sendRaw(request, target.http[request.listener], target.tokens.http);
  const secure = request.transport === 'https';
  const base = (secure ? target.https : target.http)[request.listener];
  const tokens = secure ? target.tokens.https : target.tokens.http;
  return new Promise((done) => {
    let req: http.ClientRequest;
    try {
      req = (secure ? https : http).request({
        host: base.hostname,
        port: base.port,
        method: request.method,
        path: request.target,
        headers: headerLines(request, tokens),
        agent: pool ? (secure ? pool.https : pool.http) : false,
        ...(secure ? { rejectUnauthorized: false } : {}),
        // Array headers are sent as they are: no Host is added for the requests without one.
        setHost: false,
      });
    } catch (error) {
      done({ statuses: [], error: `unsendable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, excerpt: '' });
      return;
    }
    const timer = setTimeout(() => req.destroy(new Error('no answer in time')), ANSWER_TIMEOUT_MS);
    req.on('socket', guardSocket);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < 2048) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => {
        clearTimeout(timer);
        done({ statuses: [res.statusCode ?? 0], error: undefined, excerpt: Buffer.concat(chunks).toString('utf8').slice(0, 500) });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        done({ statuses: [res.statusCode ?? 0], error: `response: ${error.message}`, excerpt: '' });
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done({ statuses: [], error: error.code ?? error.message, excerpt: '' });
    });
    req.end(request.body);
  });
}

/** A raw request that draws no byte in this time is abandoned (it may wait for a body that never comes). */
const guarded = new WeakSet<object>();

/**
 * A server that resets a connection while a large body is still being written can make the socket
 * emit 'error' after Node's client has let go of it (seen once in 250,000 requests), which would
 * crash the fuzzer. The request's own 'error' still reports it; this only keeps it from being
 * uncaught.
 */
function guardSocket(socket: net.Socket): void {
  if (guarded.has(socket)) return;
  guarded.add(socket);
  socket.on('error', () => {});
}

const RAW_FIRST_BYTE_MS = 1500;
/** Once the answer has started, the connection is given this long to say more (a pipelined second answer). */
const RAW_QUIET_MS = 200;

/** The request as bytes, broken in the way its style says. */
export function rawBytes(request: FuzzRequest, tokens: Record<Credentials, string>): Buffer {
  const headers: [string, string][] = request.headers.map(([name, value]) => [name, resolve(value, tokens)]);
  if (!headers.some(([name]) => name.toLowerCase() === 'host')) headers.unshift(['Host', 'localhost']);
  const body = request.body ?? Buffer.alloc(0);
  let eol = '\r\n';
  let requestLine = `${request.method} ${request.target} HTTP/1.1`;
  const extra: string[] = [];
  let payload: Buffer = body;
  let length: string | undefined = body.length > 0 ? String(body.length) : undefined;
  switch (request.rawStyle) {
    case 'space-in-path': requestLine = `${request.method} ${request.target.replace(/\//g, '/ ')} HTTP/1.1`; break;
    case 'control-in-path': requestLine = `${request.method} ${request.target}\u0001\u007f HTTP/1.1`; break;
    case 'utf8-path': requestLine = `${request.method} ${request.target}/\u00c3\u00a9\u00e2\u0082 HTTP/1.1`; break;
    case 'http2-version': requestLine = `${request.method} ${request.target} HTTP/2.0`; break;
    case 'garbage-line': requestLine = `\u0016\u0003\u0001${request.target}`; break;
    case 'absolute-form': requestLine = `${request.method} http://evil.example${request.target} HTTP/1.1`; break;
    case 'asterisk': requestLine = `OPTIONS * HTTP/1.1`; break;
    case 'lowercase-method': requestLine = `${request.method.toLowerCase()} ${request.target} HTTP/1.1`; break;
    case 'header-no-colon': extra.push('NoColonHere'); break;
    case 'header-space-name': extra.push('Bad Name: x'); break;
    case 'latin1-header-name': extra.push('X-\u00ff\u00e9: x'); break;
    case 'obs-fold': extra.push('X-Folded: first', '  continued'); break;
    case 'nul-in-header': extra.push('X-Nul: a\u0000b'); break;
    case 'double-content-length': extra.push(`Content-Length: ${body.length + 1}`); length = String(body.length); break;
    case 'te-and-cl': extra.push('Transfer-Encoding: chunked'); length = '5'; payload = chunked(body); break;
    case 'bad-chunk': extra.push('Transfer-Encoding: chunked'); length = undefined; payload = Buffer.concat([Buffer.from('zz\r\n'), body, Buffer.from('\r\n0\r\n\r\n')]); break;
    case 'negative-length': length = '-1'; break;
    case 'huge-length': length = '99999999999999999999'; break;
    case 'bare-lf': eol = '\n'; break;
    case 'pipelined': break;
  }
  const lines = [requestLine, ...headers.map(([name, value]) => `${name}: ${value}`), ...extra];
  if (length !== undefined) lines.push(`Content-Length: ${length}`);
  lines.push('Connection: close');
  const head = Buffer.from(`${lines.join(eol)}${eol}${eol}`, 'latin1');
  const message = Buffer.concat([head, payload]);
  if (request.rawStyle === 'pipelined') {
    // A well-formed request, then the malformed one on the same connection.
    const first = Buffer.from(`GET /v6/License HTTP/1.1\r\nHost: localhost\r\n\r\n`, 'latin1');
    return Buffer.concat([first, message]);
  }
  return message;
}

function chunked(body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
}

function sendRaw(request: FuzzRequest, base: URL, tokens: Record<Credentials, string>): Promise<Outcome> {
  return new Promise((done) => {
    const socket = net.connect({ host: base.hostname, port: Number(base.port) });
    const chunks: Buffer[] = [];
    let finished = false;
    const finish = (error: string | undefined) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1]));
      done({ statuses, error, excerpt: text.slice(0, 500) });
    };
    let timer = setTimeout(() => finish(undefined), RAW_FIRST_BYTE_MS);
    socket.on('connect', () => socket.end(rawBytes(request, tokens)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(() => finish(undefined), RAW_QUIET_MS);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    socket.on('close', () => finish(undefined));
  });
}

/** CPU seconds a process has used (user + system), from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The resident set of a process in KiB, from /proc. */
export function residentKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) : 0;
}
