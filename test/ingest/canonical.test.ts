/**
 * The canonical content of events is what idempotency compares with what the ledger stores: it
 * must not change when its code does (a stored event would turn from a duplicate into a conflict).
 * It is derived from the schemas (src/ingest/eventCodec.ts); here it is pinned for every event type
 * and compared with its definition: JSON with keys sorted and the instant in UTC with milliseconds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Type from 'typebox';
import { codecOf } from '../../src/ingest/eventCodec.js';
import { validateEvent, validateThoroughly, type LedgerEvent } from '../../src/ingest/events.js';

const ORG = '92460656-7a85-4a04-b1af-1ea903c0bc2e';
const COMPANY = 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e';
const AGENT = 'b4971992-84ac-4dee-b837-95c8db275f28';
const AT = '2026-11-01T11:00:00+01:00';

/** The canonical form's definition, written independently of the code that produces it. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const pinned: [unknown, string][] = [
  [
    { id: 'b1', type: 'vb365.backup', at: AT, organizationId: ORG.toUpperCase(), user: { id: 'u1', name: 'Anna', kind: 'teams' } },
    `{"at":"2026-11-01T10:00:00.000Z","id":"b1","organizationId":"${ORG}","type":"vb365.backup","user":{"id":"u1","kind":"teams","m365Licensed":false,"name":"Anna"}}`,
  ],
  [
    { id: 'r1', type: 'vb365.dataRemoved', at: AT, organizationId: ORG, userId: 'u1' },
    `{"at":"2026-11-01T10:00:00.000Z","id":"r1","organizationId":"${ORG}","type":"vb365.dataRemoved","userId":"u1"}`,
  ],
  [
    { id: 'l1', type: 'vb365.licenseRevoked', at: AT, organizationId: ORG, userId: 'u1' },
    `{"at":"2026-11-01T10:00:00.000Z","id":"l1","organizationId":"${ORG}","type":"vb365.licenseRevoked","userId":"u1"}`,
  ],
  [
    { id: 'a1', type: 'vspc.agentActivated', at: AT, companyUid: COMPANY.toUpperCase(), agent: { uid: AGENT.toUpperCase(), name: 'srv', mode: 'server' } },
    `{"agent":{"mode":"server","name":"srv","uid":"${AGENT}"},"at":"2026-11-01T10:00:00.000Z","companyUid":"${COMPANY}","id":"a1","type":"vspc.agentActivated"}`,
  ],
  [
    { id: 'm1', type: 'vspc.agentModeChanged', at: AT, agentUid: AGENT, mode: 'workstation' },
    `{"agentUid":"${AGENT}","at":"2026-11-01T10:00:00.000Z","id":"m1","mode":"workstation","type":"vspc.agentModeChanged"}`,
  ],
  [
    { id: 'd1', type: 'vspc.agentDeactivated', at: '2026-11-01T10:00:00.000Z', agentUid: AGENT },
    `{"agentUid":"${AGENT}","at":"2026-11-01T10:00:00.000Z","id":"d1","type":"vspc.agentDeactivated"}`,
  ],
];

test('every event type has the canonical content the ledger has always stored', () => {
  for (const [raw, canonical] of pinned) {
    for (const result of [validateEvent(raw, 0), validateThoroughly(raw, 0)]) {
      assert.ok(result.ok, JSON.stringify(raw));
      assert.equal(result.canonical, canonical);
      assert.equal(result.canonical, sortedJson({ ...result.event, at: new Date((result.event as LedgerEvent).at).toISOString() }));
    }
  }
});

test('a schema form the codec cannot follow stops the module from loading, not a client', () => {
  assert.throws(() => codecOf(Type.Object({ n: Type.Number() }, { additionalProperties: false })), /cannot read/);
  assert.throws(() => codecOf(Type.Object({ s: Type.String() })), /additional properties/);
  assert.throws(() => codecOf(Type.String({ format: 'email' })), /format email/);
});
