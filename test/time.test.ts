/**
 * src/time.ts holds Tally's one date-time parser. Its shortcut for the canonical form (what the
 * ledger stores and most clients send) must give exactly what the general RFC 3339 reader gives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalInstant, formatInstant, parseRfc3339, parseRfc3339Generally } from '../src/time.js';

test('the canonical form is read as the general parser reads it, and written back unchanged', () => {
  fc.assert(
    fc.property(fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), (date) => {
      const text = date.toISOString();
      assert.equal(canonicalInstant(text), date.getTime());
      assert.equal(parseRfc3339Generally(text), date.getTime());
      assert.equal(formatInstant(parseRfc3339(text)!), text);
    }),
    { numRuns: 2000, seed: 20261208 },
  );
});

test('texts near the canonical form are left to the general parser, which decides', () => {
  const near = [
    '2026-02-29T00:00:00.000Z', '2024-02-29T00:00:00.000Z', '2026-04-31T00:00:00.000Z', '2026-11-01T24:00:00.000Z',
    '2026-11-01T10:00:60.000Z', '2026-11-01T10:00:00.000z', '0999-12-31T23:59:59.999Z', '2026-1a-01T00:00:00.000Z',
    '2026-11-01T10:00:00.00-Z', '2026-11-01T10:00:00Z', '2026-11-01T11:30:00+01:30', '2026-11-01T10:00:00.123456789Z',
  ];
  for (const text of near) {
    const shortcut = canonicalInstant(text);
    if (shortcut !== null) assert.equal(shortcut, parseRfc3339Generally(text), text);
    assert.equal(parseRfc3339(text), shortcut ?? parseRfc3339Generally(text), text);
  }
  assert.equal(parseRfc3339('2026-02-29T00:00:00.000Z'), null);
  assert.equal(parseRfc3339('2026-11-01T11:30:00+01:30'), Date.UTC(2026, 10, 1, 10, 0));
});
