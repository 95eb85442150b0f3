/**
 * The licensed users' name filter matches exactly what a plain reference matcher says (a
 * dynamic-programming table over pattern × name, the textbook definition), for random patterns
 * and names over an alphabet full of stars, question marks, cases and regular-expression
 * metacharacters; and the patterns that froze the server answer at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { wildcardMatcher } from '../../src/domain/wildcard.js';

/** Canonicalize as in a regular expression with the `i` flag (no `u`): the old filter's folding. */
const fold = (c: string) => {
  const upper = c.toUpperCase();
  return upper.length !== 1 || (c.charCodeAt(0) >= 128 && upper.charCodeAt(0) < 128) ? c : upper;
};

/** Reference: table[i][j] = the first i pattern units match the first j name units. */
function reference(pattern: string, name: string): boolean {
  let row = new Array<boolean>(name.length + 1).fill(false);
  row[0] = true;
  for (let i = 1; i <= pattern.length; i++) {
    const p = pattern[i - 1]!;
    const next = new Array<boolean>(name.length + 1).fill(false);
    next[0] = p === '*' && row[0]!;
    for (let j = 1; j <= name.length; j++) {
      next[j] = p === '*' ? row[j]! || next[j - 1]! : row[j - 1]! && (p === '?' || fold(p) === fold(name[j - 1]!));
    }
    row = next;
  }
  return row[name.length]!;
}

const units = fc.constantFrom('a', 'A', 'b', 'B', '.', '+', '(', '[', '\\', '^', '$', '#', ' ', 'é', 'É', 'ß', 'İ', 'ı', 'K', '\u212a', '\n');
/** Names may hold the filter's own characters: they are plain characters there. */
const nameUnits = fc.oneof(units, fc.constant('?'), fc.constant('*'));
const patternUnits = fc.oneof(units, fc.constant('*'), fc.constant('*'), fc.constant('?'));
const text = (unit: fc.Arbitrary<string>, maxLength: number) => fc.array(unit, { maxLength }).map((a) => a.join(''));

test('the name filter matches exactly what the reference matcher says', () => {
  fc.assert(
    fc.property(text(patternUnits, 12), text(nameUnits, 14), (pattern, name) => {
      assert.equal(wildcardMatcher(pattern)(name), reference(pattern, name), `${JSON.stringify(pattern)} ~ ${JSON.stringify(name)}`);
    }),
    { numRuns: 20_000, seed: 19 },
  );
});

test('a name built from the pattern always matches it', () => {
  fc.assert(
    fc.property(text(patternUnits, 12), fc.array(text(nameUnits, 4), { minLength: 12, maxLength: 12 }), (pattern, fills) => {
      let i = 0;
      const name = [...pattern].map((c) => (c === '*' ? fills[i++]! : c === '?' ? 'x' : c)).join('');
      assert.ok(wildcardMatcher(pattern)(name), `${JSON.stringify(pattern)} ~ ${JSON.stringify(name)}`);
    }),
    { numRuns: 5_000, seed: 1919 },
  );
});

test('examples: stars, question marks, case, and characters a regular expression would read', () => {
  assert.ok(wildcardMatcher('ad*')('Adele Vance'));
  assert.ok(wildcardMatcher('*vance')('Adele Vance'));
  assert.ok(wildcardMatcher('a?ele*')('adele'));
  assert.ok(!wildcardMatcher('a?ele*')('adle'));
  assert.ok(wildcardMatcher('a.b')('A.B'));
  assert.ok(!wildcardMatcher('a.b')('axb'));
  assert.ok(wildcardMatcher('(x)+[y]')('(X)+[Y]'));
  assert.ok(wildcardMatcher('')(''));
  assert.ok(!wildcardMatcher('')('a'));
  assert.ok(wildcardMatcher('*')(''));
  assert.ok(wildcardMatcher('**a**')('bab'));
  assert.ok(!wildcardMatcher('ab*ba')('aba'));
  assert.ok(!wildcardMatcher('a')('?'));
  assert.ok(wildcardMatcher('?')('?'));
});

test('the patterns that froze the server are answered at once on long names', () => {
  const names = Array.from({ length: 2_000 }, (_, i) => `${'a'.repeat(200)}${i}`);
  for (const pattern of ['******#', '*'.repeat(200) + '#', '*a'.repeat(200) + '#', '?*'.repeat(200) + '#', 'a*'.repeat(199) + 'b']) {
    const matches = wildcardMatcher(pattern);
    const started = process.hrtime.bigint();
    assert.equal(names.filter(matches).length, 0, pattern);
    // Generous: the old regular expression needed minutes for 6 stars; the matcher, milliseconds.
    assert.ok(process.hrtime.bigint() - started < 5_000_000_000n, pattern);
  }
});
