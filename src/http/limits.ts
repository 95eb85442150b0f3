/**
 * What one client may cost a listener: header size, how long it may take to send a request, how
 * long an idle connection is kept, how many connections are open at once. Slow or silent clients
 * are cut off by Node's own timers, so that they cannot hold the server.
 */

export interface ConnectionLimits {
  /** Time to send one whole request (headers and body); `--request-timeout`. */
  requestTimeoutMs: number;
  /** Open connections per listener; `--max-connections`. */
  maxConnections: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = { requestTimeoutMs: 30_000, maxConnections: 1000 };

/** Request line and headers together; more answers 431. Node's default, fixed here so that `--max-http-header-size` cannot raise it. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** A request body (the events route allows its own 10 MiB). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Idle keep-alive connections are kept longer than the 60 s idle timeout of common load balancers,
 * so the balancer closes them first and never sends a request on a connection Tally is closing.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/** How often Node looks for requests past their headers or request timeout. */
const CHECK_INTERVAL_MS = 1000;

/** Timers of one listener, derived from the request timeout. */
export function listenerTimers(limits: ConnectionLimits) {
  const requestTimeout = limits.requestTimeoutMs;
  // Headers are small: a client that needs more than 10 s for them is trickling on purpose.
  // Node also counts a connection that has sent nothing yet, so a silent client goes the same way.
  const headersTimeout = Math.min(10_000, requestTimeout);
  return {
    requestTimeout,
    headersTimeout,
    connectionsCheckingInterval: Math.min(CHECK_INTERVAL_MS, headersTimeout),
    // A TLS client that connects and never finishes the handshake (Node's default is 120 s).
    handshakeTimeout: headersTimeout,
    // A socket with no traffic at all while a request is open: a client that stopped reading its
    // answer. Longer than any handler needs (statements give up after 60 s).
    connectionTimeout: requestTimeout + 60_000,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    maxHeaderSize: MAX_HEADER_BYTES,
  };
}
