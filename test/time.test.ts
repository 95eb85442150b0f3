/**
 * src/time.ts holds Tally's one date-time parser. Its shortcut for the canonical form (what the
 * ledger stores and most clients send) must give exactly what the general RFC 3339 reader gives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalInstant, formatInstant, parseLocalDateTime, parseRfc3339, parseRfc3339Generally } from '../src/time.js';

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

test('a date-time without an offset is a wall-clock time in the zone asked for', () => {
  assert.equal(parseLocalDateTime('2026-11-01T00:00:00', 'Europe/Berlin'), Date.UTC(2026, 9, 31, 23));
  assert.equal(parseLocalDateTime('2026-07-01T00:00:00.5', 'UTC'), Date.UTC(2026, 6, 1, 0, 0, 0, 500));
  assert.equal(parseLocalDateTime('2026-11-01T00:00:00Z', 'UTC'), null, 'an offset makes it an instant: parseRfc3339 reads it');
  assert.equal(parseLocalDateTime('2026-02-30T00:00:00', 'UTC'), null);
  assert.equal(parseLocalDateTime('yesterday', 'UTC'), null);
});

test('a year below 100 is read as written, not as 19xx', () => {
  assert.equal(parseRfc3339('0050-01-01T00:00:00Z'), Date.parse('0050-01-01T00:00:00Z'));
  assert.equal(new Date(parseRfc3339('0050-03-01T12:30:00+01:00')!).toISOString(), '0050-03-01T11:30:00.000Z');
  // 29 February exists in year 48 (a leap year) and not in year 50.
  assert.notEqual(parseRfc3339('0048-02-29T00:00:00Z'), null);
  assert.equal(parseRfc3339('0050-02-29T00:00:00Z'), null);
});
