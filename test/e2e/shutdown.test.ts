/**
 * A shutdown during ingestion loses nothing: SIGTERM reaches `tally serve` while many clients send
 * small batches on keep-alive connections. Every request a client had sent before the signal gets
 * its answer (none is reset or refused), answers to requests sent after it say
 * `Connection: close`, and every event the server acknowledged is in the ledger after a restart.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { passwordToken, spawnTally } from '../support/server.js';
import { TEST_STORE } from '../support/stores.js';
import { ADMIN_PASSWORD, backup } from './helpers.js';

const ORG = '5d000000-0000-4000-8000-000000000001';
const CLIENTS = 24;

interface Outcome {
  sentAt: number;
  answeredAt?: number;
  status?: number;
  connection?: string | undefined;
  error?: string;
  ids: string[];
}

/** Sends one batch on `agent`; resolves with what happened to it, never rejects. */
function send(agent: http.Agent, base: URL, token: string, ids: string[]): Promise<Outcome> {
  const body = JSON.stringify({ events: ids.map((id) => backup(id, '2026-11-20T00:00:00Z', ORG, id)) });
  return new Promise((resolve) => {
    const outcome: Outcome = { sentAt: Infinity, ids };
    const req = http.request(
      { host: base.hostname, port: base.port, path: '/tally/v1/events', method: 'POST', agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => {
          Object.assign(outcome, { answeredAt: performance.now(), status: res.statusCode, connection: res.headers.connection });
          resolve(outcome);
        });
      },
    );
    req.on('error', (error) => {
      outcome.error = (error as NodeJS.ErrnoException).code ?? error.message;
      resolve(outcome);
    });
    // Sent once the whole request was handed to the kernel.
    req.end(body, () => {
      outcome.sentAt = performance.now();
    });
  });
}

test('SIGTERM during ingestion: every request sent before it is answered, every acknowledged event survives', async () => {
  const server = await spawnTally({ args: ['--http', '--no-demo', '--admin-password', ADMIN_PASSWORD], keepData: true });
  const base = new URL(server.vspc);
  const token = await passwordToken(server.vspc, 'vspc', 'admin', ADMIN_PASSWORD);
  let signalAt = Infinity;
  let stop = false;
  const outcomes: Outcome[] = [];
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let n = 0; !stop; n++) {
      const ids = Array.from({ length: 2 }, (_, i) => `c${client}-b${n}-e${i}`);
      const outcome = await send(agent, base, token, ids);
      outcomes.push(outcome);
      // Refused connections mean the listener is gone: this client is done.
      if (outcome.error && outcome.sentAt === Infinity) break;
    }
    agent.destroy();
  });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  // When the server says it began shutting down (it sets the flag right after writing this line).
  let closingAt = Infinity;
  server.child.stderr!.on('data', (chunk: Buffer) => {
    if (closingAt === Infinity && chunk.toString().includes('SIGTERM received')) closingAt = performance.now();
  });
  signalAt = performance.now();
  server.child.kill('SIGTERM');
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  const code = await exited;
  stop = true;
  await Promise.all(clients);
  assert.equal(code, 0, server.stderr());

  const before = outcomes.filter((o) => o.sentAt < signalAt);
  assert.ok(before.length > 50, `clients sent ${before.length} batches before the signal`);
  const unanswered = before.filter((o) => o.status === undefined);
  assert.deepEqual(unanswered.map((o) => o.error), [], 'requests sent before the signal that got no answer');
  assert.deepEqual([...new Set(before.map((o) => o.status))], [200]);
  // Answers received once the server said it was shutting down close their connection.
  assert.ok(closingAt < Infinity, 'the server said it was shutting down');
  const late = outcomes.filter((o) => o.answeredAt !== undefined && o.answeredAt > closingAt + 20);
  assert.deepEqual(late.filter((o) => o.connection !== 'close').map((o) => o.connection), [], 'answers during shutdown close their connection');

  // Restarted on the same data, the ledger holds every acknowledged event.
  const again = await spawnTally({ dataDir: server.dataDir, database: server.database, args: ['--http', '--no-demo'] });
  await again.stop();
  const acknowledged = outcomes.filter((o) => o.status === 200).flatMap((o) => o.ids);
  const stored = await storedIds(server.dataDir, server.database.url);
  const missing = acknowledged.filter((id) => !stored.has(id));
  assert.deepEqual(missing, [], 'acknowledged events missing from the ledger');
  await server.stop();
});

async function storedIds(dataDir: string, url: string | undefined): Promise<Set<string>> {
  if (TEST_STORE === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return new Set((await client.query<{ id: string }>('select id from events')).rows.map((r) => r.id));
    } finally {
      await client.end();
    }
  }
  const db = new SQLite(path.join(dataDir, 'tally.db'), { readonly: true });
  try {
    return new Set((db.prepare('select id from events').all() as { id: string }[]).map((r) => r.id));
  } finally {
    db.close();
  }
}
