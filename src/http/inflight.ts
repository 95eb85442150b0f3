/**
 * Counts requests whose handlers are still running, so that shutdown closes the database only
 * after them. Fastify's close() waits for open connections, but a handler whose client has gone
 * away keeps running after its connection closed.
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

  /** Resolves when no handler runs any more, or after `timeoutMs`. */
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

  /** Tracks every request of `app` from arrival until its handler settles or its response is sent. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (request) => {
      request.finishInflight = this.begin();
    });
    app.addHook('onResponse', async (request) => {
      request.finishInflight?.();
    });
    app.addHook('onRoute', (route) => {
      const handler = route.handler;
      route.handler = async function tracked(this: FastifyInstance, request, reply) {
        try {
          return await handler.call(this, request, reply);
        } finally {
          request.finishInflight?.();
        }
      };
    });
  }
}
