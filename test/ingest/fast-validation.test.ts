/**
 * `validateEvent` accepts the usual events on a fast path and leaves everything else to the
 * thorough one (src/ingest/events.ts). The fast path must never accept what the thorough path
 * refuses, and must normalize to the same event and the same canonical content: checked here on
 * random events close to valid ones (each field valid, invalid or unusual, keys added or dropped).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { validateEvent, validateThoroughly } from '../../src/ingest/events.js';

const SEED = Number(process.env.TALLY_FC_SEED ?? 24_112_026);

const uuid = fc.oneof(
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.constantFrom('not-a-uuid', '', '0b1e5c1a-5d6f-4c0e-9a55-3d0f8e2a7b1', '0b1e5c1a-5d6f-4c0e-9a55-3d0f8e2a7b10\n', 'g0000000-0000-4000-8000-000000000000'),
);
// Names and ids: usual text, empty, control characters, and lengths around the limits in UTF-16
// units and in code points (an astral character is two units, one code point).
const text = (max: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
    fc.constantFrom('', 'a\u0000b', 'tab\there', 'del\u007f', 'é', '\ud83d\ude00', '\ud800'),
    fc.constantFrom(max - 1, max, max + 1).map((n) => 'x'.repeat(n)),
    fc.constantFrom(max - 1, max, max + 1).map((n) => '\ud83d\ude00'.repeat(n)),
  );
const instant = fc.oneof(
  { weight: 3, arbitrary: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()) },
  fc.constantFrom(
    '2026-11-01T10:00:00Z', '2026-11-01T11:30:00+01:30', '2026-11-01t10:00:00z', '2026-11-01T10:00:00.123456789Z',
    '2026-11-01T23:59:60Z', '2026-02-30T10:00:00Z', '2026-11-01T10:00:00', '0050-01-01T00:00:00Z', 'yesterday',
    // The canonical form itself, at its edges.
    '2024-02-29T23:59:59.999Z', '2023-02-29T00:00:00.000Z', '2100-02-29T00:00:00.000Z', '2000-02-29T00:00:00.000Z',
    '2026-04-31T00:00:00.000Z', '2026-11-01T24:00:00.000Z', '2026-11-01T10:00:60.000Z', '2026-11-01T10:00:00.000z',
    '0999-12-31T23:59:59.999Z', '1000-01-01T00:00:00.000Z', '2026-1a-01T00:00:00.000Z', '2026-11-01T10:00:00.00-Z',
  ),
);
const odd = fc.constantFrom<unknown>(undefined, null, 1, true, [], {}, 'x');
const kind = fc.constantFrom<unknown>('user', 'sharedMailbox', 'teams', 'external', 'robot', 'User', undefined, null);
const mode = fc.constantFrom<unknown>('server', 'workstation', 'laptop', 'Server', undefined);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: arb }, { weight: 1, arbitrary: odd });

const user = fc.record(
  { id: maybe(text(200)), name: maybe(text(400)), kind, m365Licensed: fc.constantFrom<unknown>(true, false, undefined, 'yes') },
  { requiredKeys: ['id', 'name'] },
);
// `odd` includes undefined: a missing key once the event has been through JSON.
const agent = fc.record({ uid: maybe(uuid), name: maybe(text(400)), mode }, { requiredKeys: ['uid', 'name'] });

const event = fc
  .record(
    {
      id: maybe(text(200)),
      type: fc.constantFrom<unknown>(
        'vb365.backup', 'vb365.dataRemoved', 'vb365.licenseRevoked', 'vspc.agentActivated', 'vspc.agentModeChanged',
        'vspc.agentDeactivated', 'vb365.restore', 'toString', '__proto__',
      ),
      at: maybe(instant),
      organizationId: maybe(uuid),
      companyUid: maybe(uuid),
      agentUid: maybe(uuid),
      userId: maybe(text(200)),
      user: maybe(user),
      agent: maybe(agent),
      mode,
      extra: odd,
    },
    { requiredKeys: ['id', 'type', 'at', 'organizationId', 'companyUid', 'agentUid', 'userId', 'user', 'agent'] },
  )
  // Most records carry keys of several types; keep only the type's own keys in most of them.
  .chain((raw) => fc.nat(3).map((n) => (n > 0 ? onlyKeysOf(raw) : raw)));

const OWN_KEYS: Record<string, string[]> = {
  'vb365.backup': ['organizationId', 'user'],
  'vb365.dataRemoved': ['organizationId', 'userId'],
  'vb365.licenseRevoked': ['organizationId', 'userId'],
  'vspc.agentActivated': ['companyUid', 'agent'],
  'vspc.agentModeChanged': ['agentUid', 'mode'],
  'vspc.agentDeactivated': ['agentUid'],
};

function onlyKeysOf(raw: Record<string, unknown>): Record<string, unknown> {
  const own = Object.hasOwn(OWN_KEYS, String(raw.type)) ? OWN_KEYS[String(raw.type)]! : [];
  const keep = new Set(['id', 'type', 'at', ...own]);
  return Object.fromEntries(Object.entries(raw).filter(([key]) => keep.has(key)));
}

test('the fast path agrees with the thorough path on random near-valid events', () => {
  let accepted = 0;
  fc.assert(
    fc.property(event, (raw) => {
      // As the HTTP route hands them over: parsed JSON (no undefined values) and the objects themselves.
      for (const candidate of [JSON.parse(JSON.stringify(raw)) as unknown, raw]) {
        const fast = validateEvent(candidate, 7);
        const thorough = validateThoroughly(candidate, 7);
        assert.deepEqual(fast, thorough);
        if (fast.ok) accepted++;
      }
    }),
    { seed: SEED, numRuns: 10_000 },
  );
  // The generator must produce valid events too, or the property says little.
  assert.ok(accepted > 1_000, `only ${accepted} valid events generated`);
});

test('objects that are not plain JSON objects go to the thorough path', () => {
  const valid = { id: 'e1', type: 'vspc.agentDeactivated', at: '2026-11-01T10:00:00Z', agentUid: '0b1e5c1a-5d6f-4c0e-9a55-3d0f8e2a7b10' };
  const inherited = Object.assign(Object.create({ agentUid: valid.agentUid }) as object, { id: 'e1', type: valid.type, at: valid.at });
  assert.deepEqual(validateEvent(inherited, 0), validateThoroughly(inherited, 0));
  assert.equal(validateEvent(inherited, 0).ok, false);
  const bare = Object.assign(Object.create(null) as object, valid);
  assert.deepEqual(validateEvent(bare, 0), validateThoroughly(bare, 0));
  const proto = JSON.parse('{"__proto__":{"x":1},"id":"e1","type":"vspc.agentDeactivated","at":"2026-11-01T10:00:00Z","agentUid":"0b1e5c1a-5d6f-4c0e-9a55-3d0f8e2a7b10"}') as unknown;
  assert.deepEqual(validateEvent(proto, 0), validateThoroughly(proto, 0));
});
