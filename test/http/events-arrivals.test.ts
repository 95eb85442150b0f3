/**
 * `POST /tally/v1/events` announces each request to ingestion until it is ingested or answered
 * (concurrent batches are then committed together, src/store/sqliteLedger.ts). Every way a request
 * can end must withdraw its announcement: a count left behind would make later batches wait.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../support/harness.js';

const AGENT = '0d000000-0000-4000-8000-000000000001';
const COMPANY = '0c000000-0000-4000-8000-000000000001';
const activation = (id: string) => ({
  id, type: 'vspc.agentActivated', at: '2026-11-01T08:00:00Z', companyUid: COMPANY, agent: { uid: AGENT, name: 'srv', mode: 'server' },
});

test('no announcement outlives its request, whatever the answer', async () => {
  const app = await startTestApp();
  try {
    const post = (headers: Record<string, string>, payload: string) =>
      app.vspc.inject({ method: 'POST', url: '/tally/v1/events', headers: { authorization: `Bearer ${app.adminToken}`, ...headers }, payload });
    const json = { 'content-type': 'application/json' };
    const ndjson = { 'content-type': 'application/x-ndjson' };
    const answers = await Promise.all([
      post(json, JSON.stringify({ events: [activation('a1')] })),
      post(json, JSON.stringify({ events: [activation('a1'), activation('a2')] })),
      post(ndjson, `${JSON.stringify(activation('a3'))}\n`),
      post(ndjson, 'not json\n'),
      post(json, JSON.stringify({ events: [{ ...activation('a4'), type: 'vspc.unknown' }] })),
      post(json, JSON.stringify({ events: [{ ...activation('a1'), at: '2026-11-02T08:00:00Z' }] })),
      post(json, JSON.stringify({ wrong: [] })),
      post(json, '{"events":'),
      app.vspc.inject({ method: 'POST', url: '/tally/v1/events', headers: json, payload: JSON.stringify({ events: [activation('a5')] }) }),
      post({ 'content-type': 'text/plain' }, 'x'),
    ]);
    assert.deepEqual(answers.map((a) => a.statusCode), [200, 200, 200, 400, 400, 409, 400, 400, 401, 415]);
    assert.equal(app.ctx.ingestion.incomingBatches, 0);
  } finally {
    await app.close();
  }
});
