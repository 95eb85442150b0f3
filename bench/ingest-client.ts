/**
 * The ingestion load generator, run as its own process (niced by the caller): creates a ledger's
 * entities and licenses through the admin API, then POSTs its events as NDJSON batches over
 * several keep-alive connections, the real ingestion path. Reports progress and the result as JSON
 * lines on standard output.
 *
 *   node --import tsx bench/ingest-client.ts '{"url":"http://127.0.0.1:PORT","kind":"reads","size":100000,...}'
 *
 * With `prebuild`, every batch is built before the clock starts, so that the measured rate is the
 * server's alone; otherwise batches are built on the fly (ledgers of 10 million events).
 */
import http from 'node:http';
import { ADMIN_PASSWORD, entityRequests, eventLines, planLedger, type LedgerKind } from './ledger.js';

interface Options {
  url: string;
  kind: LedgerKind;
  size: number;
  connections: number;
  batch: number;
  prebuild?: boolean;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

function request(method: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${options.url}${path}`, { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `work` on `items` with `width` concurrent workers. */
async function pool<T>(items: Iterator<T>, width: number, work: (item: T) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: width }, async () => {
    for (let next = items.next(); !next.done; next = items.next()) await work(next.value);
  }));
}

function* batches(lines: Iterator<string>, size: number): Generator<{ body: string; count: number }> {
  let chunk: string[] = [];
  for (let next = lines.next(); !next.done; next = lines.next()) {
    chunk.push(next.value);
    if (chunk.length === size) {
      yield { body: `${chunk.join('\n')}\n`, count: chunk.length };
      chunk = [];
    }
  }
  if (chunk.length > 0) yield { body: `${chunk.join('\n')}\n`, count: chunk.length };
}

const plan = planLedger(options.kind, options.size);
const login = await request('POST', '/api/v3/token', { 'content-type': 'application/x-www-form-urlencoded' }, `grant_type=password&username=admin&password=${ADMIN_PASSWORD}`);
if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`);
const auth = { authorization: `Bearer ${(JSON.parse(login.text) as { access_token: string }).access_token}` };

let entities = 0;
await pool(entityRequests(plan), 4, async ({ path, body }) => {
  const res = await request('PUT', path, { ...auth, 'content-type': 'application/json' }, JSON.stringify(body));
  if (res.status !== 200) throw new Error(`PUT ${path}: ${res.status} ${res.text.slice(0, 300)}`);
  if (++entities % 5000 === 0) emit({ phase: 'entities', done: entities });
});

const source: Iterator<{ body: string; count: number }> = options.prebuild
  ? [...batches(eventLines(plan), options.batch)][Symbol.iterator]()
  : batches(eventLines(plan), options.batch);
const started = performance.now();
let sent = 0;
let accepted = 0;
let lastReport = started;
await pool(source, options.connections, async ({ body, count }) => {
  const res = await request('POST', '/tally/v1/events', { ...auth, 'content-type': 'application/x-ndjson' }, body);
  if (res.status !== 200) throw new Error(`POST /tally/v1/events: ${res.status} ${res.text.slice(0, 300)}`);
  const answer = JSON.parse(res.text) as { accepted: number; duplicates: number };
  if (answer.accepted + answer.duplicates !== count) throw new Error(`batch of ${count} answered ${res.text}`);
  sent += count;
  accepted += answer.accepted;
  const now = performance.now();
  if (now - lastReport > 5000) {
    lastReport = now;
    emit({ phase: 'events', done: sent, total: plan.events, seconds: (now - started) / 1000 });
  }
});
const seconds = (performance.now() - started) / 1000;
emit({ phase: 'done', entities, events: sent, accepted, seconds, eventsPerSecond: sent / seconds });
agent.destroy();
