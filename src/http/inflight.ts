/**
 * Counts requests still being worked on, so that shutdown closes the database only after them.
 * Fastify's close() waits for open connections, but a handler whose client has gone away keeps
 * running after its connection closed.
 *
 * Only Fastify's lifecycle hooks are used; route handlers are left as registered (wrapping them in
 * `onRoute` made @fastify/static's handlers, and so Swagger UI, answer empty bodies). A request
 * counts from `onRequest` until its answer is handed to `onSend` (the handler, or the error
 * handler, has produced it: nothing of the request touches the database any more) or, for answers
 * that skip `onSend`, until `onResponse`. An aborted request (`onRequestAbort`) or a timed-out one
 * (`onTimeout`) stays counted: its handler is still running and still sends its answer into the
 * closed connection, which runs `onSend`. `drained` gives up after its timeout, so a request that
 * never reaches either hook delays a shutdown, it does not stop it.
 */
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    finishInflight?: () => void;
  }
}

export class InflightRequests {
  private count = 0;
  private waiters: (() => void)[] = [];

  /** Requests counted and not finished. */
  get size(): number {
    return this.count;
  }

  begin(): () => void {
    this.count++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.count--;
      if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
    };
  }

  /** Resolves when no request is being worked on any more, or after `timeoutMs`. */
  drained(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Tracks every request of `app` from arrival until its answer is produced (see above). */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (request) => {
      request.finishInflight = this.begin();
    });
    app.addHook('onSend', async (request) => {
      request.finishInflight?.();
    });
    app.addHook('onResponse', async (request) => {
      request.finishInflight?.();
    });
  }
}
