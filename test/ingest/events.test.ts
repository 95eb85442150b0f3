import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateEvent } from '../../src/ingest/events.js';
import { parseRfc3339 } from '../../src/time.js';

const ORG = '92460656-7a85-4a04-b1af-1ea903c0bc2e';
const backup = (over: Record<string, unknown> = {}) => ({
  id: 'e1',
  type: 'vb365.backup',
  at: '2026-11-01T10:00:00Z',
  organizationId: ORG,
  user: { id: 'u1', name: 'anna@contoso.example' },
  ...over,
});

function errorsOf(raw: unknown) {
  const result = validateEvent(raw, 3);
  assert.equal(result.ok, false);
  return (result as { errors: { index: number; field: string; message: string }[] }).errors;
}

test('RFC 3339 needs an offset and a real date', () => {
  assert.equal(parseRfc3339('2026-11-01T10:00:00Z'), Date.UTC(2026, 10, 1, 10));
  assert.equal(parseRfc3339('2026-11-01T11:30:00+01:30'), Date.UTC(2026, 10, 1, 10));
  assert.equal(parseRfc3339('2026-11-01T10:00:00.123456789Z'), Date.UTC(2026, 10, 1, 10, 0, 0, 123));
  assert.equal(parseRfc3339('2026-11-01T10:00:00'), null);
  assert.equal(parseRfc3339('2026-02-30T10:00:00Z'), null);
  assert.equal(parseRfc3339('2026-13-01T10:00:00Z'), null);
  assert.equal(parseRfc3339('2026-11-01 10:00:00Z'), null);
  assert.equal(parseRfc3339('yesterday'), null);
  assert.equal(parseRfc3339('2026-11-01T24:00:00Z'), null);
});

test('a valid backup is normalized: UTC instant, defaults, lower-case uuids', () => {
  const result = validateEvent(backup({ organizationId: ORG.toUpperCase(), at: '2026-11-01T11:00:00+01:00' }), 0);
  assert.ok(result.ok);
  assert.equal(result.event.at, Date.UTC(2026, 10, 1, 10));
  assert.deepEqual(result.event.type === 'vb365.backup' && result.event.user, { id: 'u1', name: 'anna@contoso.example', kind: 'user', m365Licensed: false });
  assert.equal(
    result.canonical,
    `{"at":"2026-11-01T10:00:00.000Z","id":"e1","organizationId":"${ORG}","type":"vb365.backup","user":{"id":"u1","kind":"user","m365Licensed":false,"name":"anna@contoso.example"}}`,
  );
});

test('the same fact written differently has the same canonical content', () => {
  const a = validateEvent(backup(), 0);
  const b = validateEvent(backup({ at: '2026-11-01T12:00:00+02:00', user: { name: 'anna@contoso.example', id: 'u1', kind: 'user' } }), 0);
  assert.ok(a.ok && b.ok);
  assert.equal(a.canonical, b.canonical);
  const c = validateEvent(backup({ at: '2026-11-01T10:00:00.001Z' }), 0);
  assert.ok(c.ok);
  assert.notEqual(a.canonical, c.canonical);
});

test('each problem names the index, the field and what is wrong', () => {
  assert.deepEqual(errorsOf(backup({ at: '2026-11-01T10:00:00' })), [
    { index: 3, field: 'at', message: 'must be an RFC 3339 date-time with an offset, e.g. 2026-11-01T08:00:00Z' },
  ]);
  assert.deepEqual(errorsOf(backup({ type: 'vb365.restore' }))[0]?.field, 'type');
  assert.deepEqual(errorsOf(backup({ organizationId: 'not-a-uuid' })), [{ index: 3, field: 'organizationId', message: 'must be a uuid' }]);
  assert.deepEqual(errorsOf(backup({ organizationId: undefined })), [{ index: 3, field: 'organizationId', message: 'is required' }]);
  assert.deepEqual(errorsOf(backup({ extra: 1 })), [{ index: 3, field: 'extra', message: 'unknown field for event type vb365.backup' }]);
  assert.deepEqual(errorsOf(backup({ user: { id: 'u1', name: 'x', kind: 'robot' } })), [
    { index: 3, field: 'user.kind', message: 'must be one of "user", "sharedMailbox", "resourceMailbox", "groupMailbox", "publicFolderMailbox", "teams", "site", "external"' },
  ]);
  assert.deepEqual(errorsOf({ id: '', type: 'vspc.agentDeactivated', at: '2026-11-01T10:00:00Z', agentUid: ORG }), [
    { index: 3, field: 'id', message: 'must be a string of 1 to 200 characters' },
  ]);
  assert.deepEqual(errorsOf('text'), [{ index: 3, field: '(event)', message: 'must be a JSON object' }]);
  assert.deepEqual(errorsOf(backup({ user: { id: 'u\u0000', name: 'x' } })), [{ index: 3, field: 'user.id', message: 'must not contain control characters' }]);
  assert.deepEqual(errorsOf(backup({ id: 'e\u0001' })), [{ index: 3, field: 'id', message: 'must not contain control characters' }]);
  assert.deepEqual(
    errorsOf({ id: 'a', type: 'vspc.agentActivated', at: '2026-11-01T10:00:00Z', companyUid: ORG, agent: { uid: ORG, name: 'srv', mode: 'laptop' } }),
    [{ index: 3, field: 'agent.mode', message: 'must be one of "server", "workstation"' }],
  );
});
