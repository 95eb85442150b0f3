/**
 * The VSPC query language (filter, sort, select): parsing, errors and semantics, unit by unit.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  matches,
  parseFilter,
  parseSelect,
  parseSort,
  QueryError,
  selectFields,
  sortItems,
  type FilterExpression,
  type FilterScalar,
  type QueryParameterName,
  type SortExpression,
} from '../../src/http/vspc/query.js';

/** Whether `item` matches the filter given as (single- or double-quoted) JSON text. */
function m(item: unknown, filter: string): boolean {
  return matches(item, parseFilter(filter));
}

/** One property expression as JSON text. */
function f(property: string, operation: string, value: unknown, collation?: string): string {
  return JSON.stringify([{ property, operation, value, ...(collation ? { collation } : {}) }]);
}

function assertQueryError(fn: () => unknown, parameterName: QueryParameterName, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof QueryError, `expected a QueryError, got ${String(error)}`);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'QueryError');
    assert.equal(error.parameterName, parameterName);
    assert.match(error.message, message);
    return true;
  });
}

describe('parseFilter', () => {
  test('parses double-quoted JSON and fills the default collation', () => {
    assert.deepEqual(parseFilter('[{"property":"name","operation":"equals","value":"x"}]'), [
      { property: 'name', operation: 'equals', collation: 'ordinal', value: 'x' },
    ]);
  });

  test('an empty array is no filter', () => {
    assert.deepEqual(parseFilter('[]'), []);
    assert.equal(matches({ a: 1 }, []), true);
  });

  test('accepts the single-quoted JSON real clients send (VeeamHub Get-VspcUsageReport)', () => {
    const filter = parseFilter(
      "[{'operation':'or','items':[{'property':'internalId','operation':'equals','value':17},{'property':'internalId','operation':'equals','value':41}]}]",
    );
    assert.deepEqual(filter, [
      {
        operation: 'or',
        items: [
          { property: 'internalId', operation: 'equals', collation: 'ordinal', value: 17 },
          { property: 'internalId', operation: 'equals', collation: 'ordinal', value: 41 },
        ],
      },
    ]);
    assert.equal(matches({ internalId: 41 }, filter), true);
    assert.equal(matches({ internalId: 42 }, filter), false);
    const uid = '5f0c3c8e-2f3b-4a57-b0a6-7f1c2d3e4f50';
    assert.equal(m({ alarmTemplateUid: uid }, `[{'property':'alarmTemplateUid','operation':'equals','value':'${uid}'}]`), true);
  });

  test('an apostrophe inside a double-quoted value survives single-quote conversion', () => {
    const [e] = parseFilter(`[{'property':'name','operation':'equals','value':"O'Brien"}]`);
    assert.deepEqual(e, { property: 'name', operation: 'equals', collation: 'ordinal', value: "O'Brien" });
    assert.equal(m({ name: "O'Brien" }, `[{'property':'name','operation':'equals','value':"O'Brien"}]`), true);
  });

  test('double quotes inside a single-quoted value, and escaped apostrophes, survive', () => {
    const [e] = parseFilter(`[{'property':'name','operation':'equals','value':'say "hi", it\\'s \\\\ \\u00e9'}]`);
    assert.equal((e as { value: unknown }).value, 'say "hi", it\'s \\ é');
  });

  test('member names and enumeration values are case-insensitive; the result is canonical', () => {
    assert.deepEqual(parseFilter("[{'Property':'name','Operation':'NOTEQUALS','Collation':'IgnoreCase','Value':'x'}]"), [
      { property: 'name', operation: 'notEquals', collation: 'ignorecase', value: 'x' },
    ]);
    assert.deepEqual(parseFilter("[{'operation':'exclusiveor','items':[]}]"), [{ operation: 'exclusiveOr', items: [] }]);
  });

  test('unknown members are ignored and an absent value is null', () => {
    assert.deepEqual(parseFilter('[{"property":"a","operation":"equals","comment":"ignored"}]'), [
      { property: 'a', operation: 'equals', collation: 'ordinal', value: null },
    ]);
  });

  test('null property/items/collation count as absent (nullable in the model)', () => {
    assert.deepEqual(parseFilter('[{"property":null,"operation":"and","items":[],"collation":null,"value":null}]'), [
      { operation: 'and', items: [] },
    ]);
    assert.deepEqual(parseFilter('[{"property":"a","operation":"equals","value":1,"items":null,"collation":null}]'), [
      { property: 'a', operation: 'equals', collation: 'ordinal', value: 1 },
    ]);
  });

  test('all 14 operations and all 3 collations parse', () => {
    const logical = ['and', 'or', 'not', 'exclusiveOr'];
    const sets = ['in', 'subset', 'superset'];
    const scalars = ['contains', 'equals', 'notEquals', 'greaterThan', 'greaterThanOrEqual', 'lessThan', 'lessThanOrEqual'];
    assert.equal(logical.length + sets.length + scalars.length, 14);
    for (const operation of logical) {
      assert.equal(parseFilter(JSON.stringify([{ operation, items: [] }]))[0]?.operation, operation);
    }
    for (const collation of ['ordinal', 'ignorecase', 'lexicographic']) {
      for (const operation of sets) {
        assert.deepEqual(parseFilter(f('a.b', operation, ['x', 1, true, null], collation)), [
          { property: 'a.b', operation, collation, value: ['x', 1, true, null] },
        ]);
      }
      for (const operation of scalars) {
        assert.deepEqual(parseFilter(f('a.b', operation, 'x', collation)), [{ property: 'a.b', operation, collation, value: 'x' }]);
      }
    }
  });

  test('nested logical expressions parse recursively', () => {
    const filter = parseFilter(
      "[{'operation':'not','items':[{'operation':'and','items':[{'property':'a','operation':'equals','value':1},{'operation':'exclusiveOr','items':[{'property':'b','operation':'in','value':[1,2]}]}]}]}]",
    );
    assert.deepEqual(filter, [
      {
        operation: 'not',
        items: [
          {
            operation: 'and',
            items: [
              { property: 'a', operation: 'equals', collation: 'ordinal', value: 1 },
              { operation: 'exclusiveOr', items: [{ property: 'b', operation: 'in', collation: 'ordinal', value: [1, 2] }] },
            ],
          },
        ],
      },
    ]);
  });

  describe('errors (QueryError, parameterName "filter")', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['bad JSON', '[{"property":"a"', /^The filter parameter is not valid JSON: /],
      ['an unterminated single-quoted string', "[{'property':'a}]", /not valid JSON: Unterminated string starting at position 13/],
      ['trailing garbage', '[] x', /not valid JSON/],
      ['an empty parameter', '   ', /The filter parameter is empty; expected a JSON array/],
      ['an object instead of an array', '{"property":"a","operation":"equals","value":1}', /The filter parameter must be a JSON array, e\.g\. \[\{"property"/],
      ['a string instead of an array', '"name"', /must be a JSON array/],
      ['an element that is not an object', '[1]', /^filter\[0\] must be an object with an operation, not the number 1\.$/],
      ['an element that is an array', '[[]]', /^filter\[0\] must be an object with an operation, not an array\.$/],
      ['a missing operation', '[{"property":"a","value":1}]', /^filter\[0\] has no operation\.$/],
      ['a null operation', '[{"property":"a","operation":null,"value":1}]', /^filter\[0\] has no operation\.$/],
      ['an operation that is not a string', '[{"property":"a","operation":3,"value":1}]', /^filter\[0\]\.operation must be a string, one of: and, contains, /],
      ['an unknown operation', '[{"property":"a","operation":"like","value":1}]', /^filter\[0\]\.operation 'like' is not supported; expected one of: and, contains, equals, exclusiveOr, greaterThan, greaterThanOrEqual, in, lessThan, lessThanOrEqual, not, notEquals, or, subset, superset\.$/],
      ['an unknown nested operation', '[{"operation":"or","items":[{"property":"a","operation":"eq","value":1}]}]', /^filter\[0\]\.items\[0\]\.operation 'eq' is not supported/],
      ['a missing property', '[{"operation":"equals","value":1}]', /^filter\[0\] has no property\.$/],
      ['a property that is not a string', '[{"property":1,"operation":"equals","value":1}]', /^filter\[0\]\.property must be a string\.$/],
      ['an empty property', '[{"property":"","operation":"equals","value":1}]', /^filter\[0\]\.property '' is not a property path; write nested properties as "a\.b\.c"\.$/],
      ['an empty path segment', '[{"property":"a..b","operation":"equals","value":1}]', /^filter\[0\]\.property 'a\.\.b' is not a property path/],
      ['missing items', '[{"operation":"and"}]', /^filter\[0\]: the and operation needs an items array of filter expressions\.$/],
      ['items that are not an array', '[{"operation":"or","items":{"property":"a"}}]', /^filter\[0\]: the or operation needs an items array of filter expressions, not an object\.$/],
      ['a property on a logical operation', '[{"operation":"not","property":"a","items":[]}]', /^filter\[0\]: the not operation combines its items and cannot have a property\.$/],
      ['a value on a logical operation', '[{"operation":"and","value":1,"items":[]}]', /cannot have a value\.$/],
      ['a collation on a logical operation', '[{"operation":"exclusiveOr","collation":"ordinal","items":[]}]', /cannot have a collation\.$/],
      ['items on a property operation', '[{"property":"a","operation":"equals","value":1,"items":[]}]', /^filter\[0\]: items can be used only with and, or, not and exclusiveOr, not with equals\.$/],
      ['an unknown collation', '[{"property":"a","operation":"equals","value":"x","collation":"invariant"}]', /^filter\[0\]\.collation 'invariant' is not supported; expected one of: ordinal, ignorecase, lexicographic\.$/],
      ['in with a scalar value', '[{"property":"a","operation":"in","value":1}]', /^filter\[0\]: the in operation needs an array value, not the number 1\.$/],
      ['in without a value', '[{"property":"a","operation":"in"}]', /^filter\[0\]: the in operation needs an array value, not null\.$/],
      ['subset with a string value', '[{"property":"a","operation":"subset","value":"x,y"}]', /^filter\[0\]: the subset operation needs an array value, not the string "x,y"\.$/],
      ['superset with an object value', '[{"property":"a","operation":"superset","value":{"x":1}}]', /^filter\[0\]: the superset operation needs an array value, not an object\.$/],
      ['an object inside an in array', '[{"property":"a","operation":"in","value":[1,{"x":1}]}]', /^filter\[0\]\.value\[1\] must be a string, number, boolean or null, not an object\.$/],
      ['equals with an array value', '[{"property":"a","operation":"equals","value":[1]}]', /^filter\[0\]: the equals operation needs a string, number, boolean or null value, not an array\.$/],
      ['contains with an object value', '[{"property":"a","operation":"contains","value":{}}]', /the contains operation needs a string, number, boolean or null value, not an object/],
      ['the same member twice', '[{"property":"a","Property":"b","operation":"equals","value":1}]', /^filter\[0\] has the member 'property' more than once\.$/],
      ['nesting deeper than 32 levels', `${'[{"operation":"not","items":'.repeat(33)}[]${'}]'.repeat(33)}`, /^The filter is nested more than 32 levels deep\.$/],
    ];
    for (const [name, raw, message] of cases) {
      test(name, () => assertQueryError(() => parseFilter(raw), 'filter', message));
    }

    test('32 levels of nesting are accepted', () => {
      const raw = `${'[{"operation":"not","items":'.repeat(31)}[]${'}]'.repeat(31)}`;
      assert.equal(parseFilter(raw).length, 1);
    });

    test('a parameter given twice (an array of strings at run time)', () => {
      assertQueryError(() => parseFilter(['[]', '[]'] as unknown as string), 'filter', /must be given once/);
    });
  });
});

describe('matches', () => {
  const item = {
    name: 'Alpine Dental',
    internalId: 17,
    enabled: true,
    note: null,
    createdAt: '2026-11-02T08:00:00Z',
    tags: ['gold', 'eu', 'Managed'],
    counters: [1, 2, 3],
    company: { address: { city: 'Zürich', zip: '8001' }, uid: 'c1' },
  };

  describe('equals / notEquals', () => {
    test('strings, numbers, booleans', () => {
      assert.equal(m(item, f('name', 'equals', 'Alpine Dental')), true);
      assert.equal(m(item, f('name', 'equals', 'alpine dental')), false);
      assert.equal(m(item, f('internalId', 'equals', 17)), true);
      assert.equal(m(item, f('internalId', 'equals', 17.0)), true);
      assert.equal(m(item, f('internalId', 'equals', 18)), false);
      assert.equal(m(item, f('enabled', 'equals', true)), true);
      assert.equal(m(item, f('enabled', 'equals', false)), false);
      assert.equal(m(item, f('name', 'notEquals', 'Alpine Dental')), false);
      assert.equal(m(item, f('name', 'notEquals', 'Other')), true);
      assert.equal(m(item, f('internalId', 'notEquals', 17)), false);
      assert.equal(m(item, f('enabled', 'notEquals', false)), true);
    });

    test('the value is converted to the type of the property', () => {
      assert.equal(m(item, f('internalId', 'equals', '17')), true);
      assert.equal(m(item, f('internalId', 'equals', '17.0')), true);
      assert.equal(m(item, f('internalId', 'equals', 'seventeen')), false);
      assert.equal(m(item, f('enabled', 'equals', 'True')), true);
      assert.equal(m(item, f('enabled', 'equals', 'yes')), false);
      assert.equal(m({ code: '17' }, f('code', 'equals', 17)), true);
      assert.equal(m({ flag: 'true' }, f('flag', 'equals', true)), true);
      assert.equal(m(item, f('enabled', 'equals', 1)), false);
    });

    test('null and missing properties', () => {
      assert.equal(m(item, f('note', 'equals', null)), true);
      assert.equal(m(item, f('missing', 'equals', null)), true);
      assert.equal(m(item, f('company.missing.deeper', 'equals', null)), true);
      assert.equal(m(item, f('name', 'equals', null)), false);
      assert.equal(m(item, f('note', 'equals', 'x')), false);
      assert.equal(m(item, f('missing', 'equals', 'x')), false);
      assert.equal(m(item, f('missing', 'notEquals', 'x')), true);
      assert.equal(m(item, f('missing', 'notEquals', null)), false);
      assert.equal(m(item, f('name', 'notEquals', null)), true);
    });

    test('objects and arrays never equal a scalar', () => {
      assert.equal(m(item, f('company', 'equals', 'c1')), false);
      assert.equal(m(item, f('tags', 'equals', 'gold')), false);
      assert.equal(m(item, f('tags', 'notEquals', 'gold')), true);
    });

    test('date-times are compared as instants', () => {
      assert.equal(m(item, f('createdAt', 'equals', '2026-11-02T09:00:00+01:00')), true);
      assert.equal(m(item, f('createdAt', 'equals', '2026-11-02T08:00:00.0000000Z')), true);
      assert.equal(m(item, f('createdAt', 'equals', '2026-11-02T08:00:00')), true, 'no offset = UTC');
      assert.equal(m(item, f('createdAt', 'equals', '2026-11-02T08:00:00.0000001Z')), false, 'sub-millisecond precision');
      assert.equal(m({ at: new Date('2026-11-02T08:00:00Z') }, f('at', 'equals', '2026-11-02T08:00:00Z')), true);
    });
  });

  describe('greaterThan / greaterThanOrEqual / lessThan / lessThanOrEqual', () => {
    test('numbers', () => {
      assert.equal(m(item, f('internalId', 'greaterThan', 16)), true);
      assert.equal(m(item, f('internalId', 'greaterThan', 17)), false);
      assert.equal(m(item, f('internalId', 'greaterThanOrEqual', 17)), true);
      assert.equal(m(item, f('internalId', 'greaterThanOrEqual', 18)), false);
      assert.equal(m(item, f('internalId', 'lessThan', 18)), true);
      assert.equal(m(item, f('internalId', 'lessThan', 17)), false);
      assert.equal(m(item, f('internalId', 'lessThanOrEqual', 17)), true);
      assert.equal(m(item, f('internalId', 'lessThanOrEqual', 16.5)), false);
      assert.equal(m(item, f('internalId', 'greaterThan', '9')), true, 'numeric string compared numerically');
    });

    test('date-times as instants, not as text', () => {
      // As text "2026-11-02T08:00:00Z" > "2026-11-02T08:30:00+01:00", as instants it is later.
      assert.equal(m(item, f('createdAt', 'greaterThan', '2026-11-02T08:30:00+01:00')), true);
      assert.equal(m(item, f('createdAt', 'lessThan', '2026-11-02T08:30:00+01:00')), false);
      assert.equal(m(item, f('createdAt', 'greaterThanOrEqual', '2026-11-02T09:00:00+01:00')), true);
      assert.equal(m(item, f('createdAt', 'lessThanOrEqual', '2026-11-02')), false);
      assert.equal(m(item, f('createdAt', 'lessThan', '2026-11-03')), true);
      assert.equal(m(item, f('createdAt', 'greaterThan', '2026-11-02T08:00:00.0000001Z')), false);
    });

    test('strings per collation (ordinal by default)', () => {
      assert.equal(m(item, f('name', 'greaterThan', 'Alpha')), true);
      assert.equal(m(item, f('name', 'lessThan', 'Beta')), true);
      assert.equal(m(item, f('name', 'lessThan', 'beta')), true);
      assert.equal(m(item, f('name', 'greaterThan', 'alpine')), false, 'ordinal: "A" < "a"');
      assert.equal(m(item, f('name', 'greaterThanOrEqual', 'ALPINE DENTAL', 'ignorecase')), true);
      assert.equal(m(item, f('name', 'lessThanOrEqual', 'ALPINE DENTAL', 'ignorecase')), true);
    });

    test('booleans: false < true', () => {
      assert.equal(m(item, f('enabled', 'greaterThan', false)), true);
      assert.equal(m(item, f('enabled', 'lessThan', true)), false);
    });

    test('null, missing and incomparable values are never ordered', () => {
      for (const operation of ['greaterThan', 'greaterThanOrEqual', 'lessThan', 'lessThanOrEqual']) {
        assert.equal(m(item, f('missing', operation, 1)), false, `${operation} missing`);
        assert.equal(m(item, f('note', operation, 1)), false, `${operation} null property`);
        assert.equal(m(item, f('internalId', operation, null)), false, `${operation} null value`);
        assert.equal(m(item, f('internalId', operation, 'abc')), false, `${operation} number vs text`);
        assert.equal(m(item, f('company', operation, 'a')), false, `${operation} object`);
      }
    });
  });

  describe('contains', () => {
    test('a substring of a string', () => {
      assert.equal(m(item, f('name', 'contains', 'Dent')), true);
      assert.equal(m(item, f('name', 'contains', 'dent')), false);
      assert.equal(m(item, f('name', 'contains', 'dent', 'ignorecase')), true);
      assert.equal(m(item, f('name', 'contains', 'dentist', 'ignorecase')), false);
      assert.equal(m(item, f('name', 'contains', '')), true);
      assert.equal(m(item, f('company.address.zip', 'contains', 80)), true, 'number as its text');
    });

    test('an element of an array', () => {
      assert.equal(m(item, f('tags', 'contains', 'eu')), true);
      assert.equal(m(item, f('tags', 'contains', 'EU')), false);
      assert.equal(m(item, f('tags', 'contains', 'EU', 'ignorecase')), true);
      assert.equal(m(item, f('tags', 'contains', 'e')), false, 'elements are compared whole');
      assert.equal(m(item, f('counters', 'contains', 2)), true);
      assert.equal(m(item, f('counters', 'contains', 4)), false);
    });

    test('anything else contains nothing', () => {
      assert.equal(m(item, f('internalId', 'contains', 1)), false);
      assert.equal(m(item, f('missing', 'contains', 'x')), false);
      assert.equal(m(item, f('company', 'contains', 'c1')), false);
      assert.equal(m(item, f('name', 'contains', null)), false);
    });
  });

  describe('in / subset / superset', () => {
    test('in', () => {
      assert.equal(m(item, f('internalId', 'in', [1, 17, 41])), true);
      assert.equal(m(item, f('internalId', 'in', [1, 41])), false);
      assert.equal(m(item, f('internalId', 'in', [])), false);
      assert.equal(m(item, f('name', 'in', ['alpine dental', 'x'])), false);
      assert.equal(m(item, f('name', 'in', ['alpine dental', 'x'], 'ignorecase')), true);
      assert.equal(m(item, f('missing', 'in', ['x', null])), true, 'null is in a list holding null');
      assert.equal(m(item, f('tags', 'in', ['gold'])), false, 'an array is not in a list of scalars');
    });

    test('subset: every element of the property is one of the values', () => {
      assert.equal(m(item, f('tags', 'subset', ['gold', 'eu', 'Managed', 'us'])), true);
      assert.equal(m(item, f('tags', 'subset', ['gold', 'eu'])), false);
      assert.equal(m(item, f('tags', 'subset', ['GOLD', 'EU', 'MANAGED'], 'ignorecase')), true);
      assert.equal(m({ tags: [] }, f('tags', 'subset', ['x'])), true, 'the empty set is a subset');
      assert.equal(m(item, f('name', 'subset', ['Alpine Dental'])), false, 'a scalar property is not a set');
      assert.equal(m(item, f('missing', 'subset', ['x'])), false);
    });

    test('superset: the property holds every one of the values', () => {
      assert.equal(m(item, f('tags', 'superset', ['gold', 'eu'])), true);
      assert.equal(m(item, f('tags', 'superset', ['gold', 'us'])), false);
      assert.equal(m(item, f('tags', 'superset', ['managed'], 'ignorecase')), true);
      assert.equal(m(item, f('tags', 'superset', [])), true);
      assert.equal(m(item, f('counters', 'superset', ['1', 3])), true, 'values converted to the element type');
      assert.equal(m(item, f('name', 'superset', ['Alpine Dental'])), false);
    });
  });

  describe('collations', () => {
    test('ordinal (the default) is case-sensitive and orders by code unit', () => {
      assert.equal(m({ s: 'abc' }, f('s', 'equals', 'ABC')), false);
      assert.equal(m({ s: 'abc' }, f('s', 'equals', 'ABC', 'ordinal')), false);
      assert.equal(m({ s: 'a' }, f('s', 'lessThan', 'B', 'ordinal')), false, '"B" (66) < "a" (97)');
      assert.equal(m({ s: 'e\u0301' }, f('s', 'equals', 'é', 'ordinal')), false, 'no normalisation');
    });

    test('ignorecase ignores case only', () => {
      assert.equal(m({ s: 'abc' }, f('s', 'equals', 'ABC', 'ignorecase')), true);
      assert.equal(m({ s: 'straße' }, f('s', 'equals', 'STRAßE', 'ignorecase')), true);
      assert.equal(m({ s: 'ÄÖÜ' }, f('s', 'equals', 'äöü', 'ignorecase')), true);
      assert.equal(m({ s: 'abc' }, f('s', 'equals', 'abd', 'ignorecase')), false);
      assert.equal(m({ s: 'a' }, f('s', 'lessThan', 'B', 'ignorecase')), true);
      assert.equal(m({ s: 'b' }, f('s', 'lessThan', 'A', 'ignorecase')), false);
    });

    test('lexicographic is culture-aware and case-sensitive', () => {
      assert.equal(m({ s: 'a' }, f('s', 'lessThan', 'B', 'lexicographic')), true, 'a < B < c');
      assert.equal(m({ s: 'c' }, f('s', 'greaterThan', 'B', 'lexicographic')), true);
      assert.equal(m({ s: 'abc' }, f('s', 'equals', 'ABC', 'lexicographic')), false);
      assert.equal(m({ s: 'abc' }, f('s', 'equals', 'abc', 'lexicographic')), true);
      assert.equal(m({ s: 'e\u0301' }, f('s', 'equals', 'é', 'lexicographic')), true, 'canonically equivalent');
      assert.equal(m({ s: 'Caf\u0065\u0301 Zürich' }, f('s', 'contains', 'Café', 'lexicographic')), true);
      assert.equal(m({ s: 'Café' }, f('s', 'contains', 'café', 'lexicographic')), false);
    });
  });

  describe('nested properties', () => {
    test('a.b.c walks own properties of objects', () => {
      assert.equal(m(item, f('company.address.city', 'equals', 'Zürich')), true);
      assert.equal(m(item, f('company.address.city', 'equals', 'Basel')), false);
      assert.equal(m(item, f('company.uid', 'in', ['c1', 'c2'])), true);
      assert.equal(m(item, f('company.address.city.length', 'equals', null)), true, 'no properties of primitives');
      assert.equal(m(item, f('tags.0', 'equals', null)), true, 'no walking into arrays');
    });

    test('an exact key first, else a key that differs only in case', () => {
      assert.equal(m(item, f('Company.Address.City', 'equals', 'Zürich')), true);
      assert.equal(m({ uid: 'lower', UID: 'upper' }, f('UID', 'equals', 'upper')), true);
      assert.equal(m({ uid: 'lower', UID: 'upper' }, f('Uid', 'equals', 'lower')), true);
    });

    test('never the prototype', () => {
      assert.equal(m({}, f('constructor', 'equals', null)), true);
      assert.equal(m({}, f('toString', 'equals', null)), true);
      assert.equal(m({}, f('__proto__', 'equals', null)), true);
      assert.equal(m(JSON.parse('{"__proto__":{"x":1}}'), f('__proto__.x', 'equals', 1)), true, 'an own "__proto__" key is data');
    });
  });

  describe('logical operations', () => {
    const a1 = { property: 'a', operation: 'equals', value: 1 };
    const b1 = { property: 'b', operation: 'equals', value: 1 };
    const logical = (operation: string, ...items: unknown[]) => JSON.stringify([{ operation, items }]);

    test('the top-level array is an AND', () => {
      const both = JSON.stringify([a1, b1]);
      assert.equal(m({ a: 1, b: 1 }, both), true);
      assert.equal(m({ a: 1, b: 2 }, both), false);
    });

    test('and / or / not / exclusiveOr truth tables', () => {
      const rows: Array<[unknown, boolean, boolean, boolean, boolean]> = [
        // item, and, or, not (neither), exclusiveOr
        [{ a: 1, b: 1 }, true, true, false, false],
        [{ a: 1, b: 2 }, false, true, false, true],
        [{ a: 2, b: 1 }, false, true, false, true],
        [{ a: 2, b: 2 }, false, false, true, false],
      ];
      for (const [row, and, or, not, xor] of rows) {
        assert.equal(m(row, logical('and', a1, b1)), and, `and ${JSON.stringify(row)}`);
        assert.equal(m(row, logical('or', a1, b1)), or, `or ${JSON.stringify(row)}`);
        assert.equal(m(row, logical('not', a1, b1)), not, `not ${JSON.stringify(row)}`);
        assert.equal(m(row, logical('exclusiveOr', a1, b1)), xor, `exclusiveOr ${JSON.stringify(row)}`);
      }
    });

    test('not of one item negates it', () => {
      assert.equal(m({ a: 1 }, logical('not', a1)), false);
      assert.equal(m({ a: 2 }, logical('not', a1)), true);
      assert.equal(m({}, logical('not', a1)), true);
    });

    test('exclusiveOr is exactly one of three, not an odd number', () => {
      const c1 = { property: 'c', operation: 'equals', value: 1 };
      assert.equal(m({ a: 1, b: 1, c: 1 }, logical('exclusiveOr', a1, b1, c1)), false);
      assert.equal(m({ a: 1, b: 2, c: 2 }, logical('exclusiveOr', a1, b1, c1)), true);
    });

    test('empty items: and and not are true, or and exclusiveOr are false', () => {
      assert.equal(m({}, logical('and')), true);
      assert.equal(m({}, logical('not')), true);
      assert.equal(m({}, logical('or')), false);
      assert.equal(m({}, logical('exclusiveOr')), false);
    });

    test('deep nesting', () => {
      // not (a = 1 and (b in [1,2] or c contains "x"))
      const filter = JSON.stringify([
        {
          operation: 'not',
          items: [
            {
              operation: 'and',
              items: [
                a1,
                {
                  operation: 'or',
                  items: [
                    { property: 'b', operation: 'in', value: [1, 2] },
                    { property: 'c', operation: 'contains', value: 'x' },
                  ],
                },
              ],
            },
          ],
        },
      ]);
      assert.equal(m({ a: 1, b: 2 }, filter), false);
      assert.equal(m({ a: 1, b: 3, c: 'box' }, filter), false);
      assert.equal(m({ a: 1, b: 3, c: 'bo' }, filter), true);
      assert.equal(m({ a: 2, b: 1 }, filter), true);
    });
  });

  test('expressions built in code may omit the collation', () => {
    const filter: FilterExpression[] = [{ property: 'name', operation: 'equals', value: 'x' }];
    assert.equal(matches({ name: 'x' }, filter), true);
    assert.equal(matches({ name: 'X' }, filter), false);
  });
});

describe('parseSort / sortItems', () => {
  test('parses with defaults and canonical spelling', () => {
    assert.deepEqual(parseSort("[{'property':'name'},{'Property':'a.b','Direction':'Descending','collation':'IgnoreCase'}]"), [
      { property: 'name', direction: 'ascending', collation: 'ordinal' },
      { property: 'a.b', direction: 'descending', collation: 'ignorecase' },
    ]);
    assert.deepEqual(parseSort('[]'), []);
  });

  describe('errors (QueryError, parameterName "sort")', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['bad JSON', '[{"property":}]', /^The sort parameter is not valid JSON: /],
      ['an empty parameter', '', /^The sort parameter is empty/],
      ['not an array', '{"property":"name"}', /^The sort parameter must be a JSON array, e\.g\. \[\{"property":"name","direction":"descending"\}\]\.$/],
      ['an element that is not an object', '["name"]', /^sort\[0\] must be an object with a property, not the string "name"\.$/],
      ['a missing property', '[{"direction":"ascending"}]', /^sort\[0\] has no property\.$/],
      ['a bad property path', '[{"property":".name"}]', /^sort\[0\]\.property '\.name' is not a property path/],
      ['an unknown direction', "[{'property':'name'},{'property':'x','direction':'desc'}]", /^sort\[1\]\.direction 'desc' is not supported; expected one of: ascending, descending\.$/],
      ['a direction that is not a string', '[{"property":"name","direction":-1}]', /^sort\[0\]\.direction must be a string, one of: ascending, descending\.$/],
      ['an unknown collation', '[{"property":"name","collation":"natural"}]', /^sort\[0\]\.collation 'natural' is not supported; expected one of: ordinal, ignorecase, lexicographic\.$/],
    ];
    for (const [name, raw, message] of cases) {
      test(name, () => assertQueryError(() => parseSort(raw), 'sort', message));
    }
  });

  const rows = [
    { id: 1, group: 'b', score: 10 },
    { id: 2, group: 'a', score: null },
    { id: 3, group: 'b', score: 5 },
    { id: 4, group: null, score: 1 },
    { id: 5, group: 'a', score: 7 },
    { id: 6, group: 'b' },
    { id: 7, group: 'a', score: 7 },
  ];
  const ids = (list: Array<{ id: number }>) => list.map((r) => r.id);

  test('ascending puts nulls and missing values first; ties keep their input order', () => {
    assert.deepEqual(ids(sortItems(rows, parseSort('[{"property":"score"}]'))), [2, 6, 4, 3, 5, 7, 1]);
  });

  test('descending reverses the order, nulls last; ties still keep their input order', () => {
    assert.deepEqual(ids(sortItems(rows, parseSort('[{"property":"score","direction":"descending"}]'))), [1, 5, 7, 3, 4, 2, 6]);
  });

  test('multi-key with both directions', () => {
    const sort = parseSort("[{'property':'group'},{'property':'score','direction':'descending'}]");
    assert.deepEqual(ids(sortItems(rows, sort)), [4, 5, 7, 2, 1, 3, 6]);
    const reversed = parseSort("[{'property':'group','direction':'descending'},{'property':'score'}]");
    assert.deepEqual(ids(sortItems(rows, reversed)), [6, 3, 1, 2, 5, 7, 4]);
  });

  test('does not modify its input; no sort is a copy in the same order', () => {
    const copy = rows.slice();
    sortItems(rows, parseSort('[{"property":"score"}]'));
    assert.deepEqual(rows, copy);
    const same = sortItems(rows, []);
    assert.notEqual(same, rows);
    assert.deepEqual(same, rows);
  });

  test('strings per collation', () => {
    const words = ['b', 'B', 'a', 'C', 'A', 'c'].map((name, id) => ({ id, name }));
    const names = (collation: string, direction = 'ascending') =>
      sortItems(words, parseSort(JSON.stringify([{ property: 'name', collation, direction }]))).map((w) => w.name).join('');
    assert.equal(names('ordinal'), 'ABCabc');
    assert.equal(names('ignorecase'), 'aAbBCc', 'case-insensitive ties keep their input order (b before B, C before c)');
    assert.equal(names('lexicographic'), 'aAbBcC');
    assert.equal(names('ordinal', 'descending'), 'cbaCBA');
  });

  test('nested properties, numbers numerically, date-times as instants', () => {
    const items = [
      { id: 1, meta: { at: '2026-11-02T08:30:00+01:00', n: 10 } },
      { id: 2, meta: { at: '2026-11-02T08:00:00Z', n: 9 } },
      { id: 3, meta: { at: '2026-11-02T07:45:00Z', n: 100 } },
    ];
    assert.deepEqual(ids(sortItems(items, [{ property: 'meta.at' }])), [1, 3, 2]);
    assert.deepEqual(ids(sortItems(items, [{ property: 'meta.n' }])), [2, 1, 3]);
  });

  test('mixed kinds sort by kind: null, boolean, number, date-time, string, other', () => {
    const values = ['text', { o: 1 }, 3, '2026-01-01T00:00:00Z', true, null, -1, false, 'abc', undefined];
    const sorted = sortItems(values.map((v, id) => ({ id, v })), [{ property: 'v' }]).map((r) => r.v);
    assert.deepEqual(sorted, [null, undefined, false, true, -1, 3, '2026-01-01T00:00:00Z', 'abc', 'text', { o: 1 }]);
  });
});

describe('parseSelect / selectFields', () => {
  test('parses property paths', () => {
    assert.deepEqual(parseSelect("[{'propertyPath':'companyUid'},{'PropertyPath':'counters.type'}]"), ['companyUid', 'counters.type']);
  });

  describe('errors (QueryError, parameterName "select")', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['bad JSON', "[{'propertyPath':'a'", /^The select parameter is not valid JSON: /],
      ['not an array', '{"propertyPath":"a"}', /^The select parameter must be a JSON array, e\.g\. \[\{"propertyPath":"companyUid"\}\]\.$/],
      ['an element that is a string', '["companyUid"]', /^select\[0\] must be an object with a propertyPath, not the string "companyUid"\.$/],
      ['a missing propertyPath', '[{"property":"a"}]', /^select\[0\] has no propertyPath\.$/],
      ['a propertyPath that is not a string', '[{"propertyPath":["a"]}]', /^select\[0\]\.propertyPath must be a string\.$/],
      ['an empty segment', '[{"propertyPath":"a."}]', /^select\[0\]\.propertyPath 'a\.' is not a property path/],
    ];
    for (const [name, raw, message] of cases) {
      test(name, () => assertQueryError(() => parseSelect(raw), 'select', message));
    }
  });

  const usage = {
    companyUid: 'f886afdf',
    tenantUid: 'b4971992',
    company: { name: 'Alpine', address: { city: 'Zürich', zip: '8001' }, uid: 'c1' },
    counters: [
      { type: 'vaC_Server_Agent', unitType: 'points', usedUnits: 0 },
      { type: 'vaC_Workstation_Agent', unitType: 'points', usedUnits: 8 },
    ],
    note: null,
  };

  test('keeps only the requested paths, in the order of the original object', () => {
    const out = selectFields(usage, ['company.address.city', 'companyUid', 'note']);
    assert.deepEqual(out, { companyUid: 'f886afdf', company: { address: { city: 'Zürich' } }, note: null });
    assert.deepEqual(Object.keys(out as object), ['companyUid', 'company', 'note']);
  });

  test('nested key order follows the original too', () => {
    const out = selectFields(usage, ['company.uid', 'company.name']) as { company: object };
    assert.deepEqual(Object.keys(out.company), ['name', 'uid']);
  });

  test('a selected object is kept whole and wins over deeper paths', () => {
    const whole = { company: usage.company };
    assert.deepEqual(selectFields(usage, ['company.name', 'company']), whole);
    assert.deepEqual(selectFields(usage, ['company', 'company.name']), whole);
  });

  test('a path through an array applies to each element', () => {
    assert.deepEqual(selectFields(usage, ['counters.type']), {
      counters: [{ type: 'vaC_Server_Agent' }, { type: 'vaC_Workstation_Agent' }],
    });
  });

  test('missing paths are left out; a null on the way is kept; primitives are not walked', () => {
    assert.deepEqual(selectFields(usage, ['missing', 'company.missing', 'note.deeper', 'companyUid.length']), {
      company: {},
      note: null,
    });
  });

  test('segments match an exact key first, else ignoring case; the original spelling is kept', () => {
    assert.deepEqual(selectFields(usage, ['COMPANYUID', 'Company.Name']), { companyUid: 'f886afdf', company: { name: 'Alpine' } });
  });

  test('no paths selects everything; arrays are projected per element; primitives pass through', () => {
    assert.equal(selectFields(usage, []), usage);
    assert.deepEqual(selectFields([usage, { companyUid: 'x', y: 1 }], ['companyUid']), [{ companyUid: 'f886afdf' }, { companyUid: 'x' }]);
    assert.equal(selectFields(42, ['a']), 42);
    assert.equal(selectFields(null, ['a']), null);
  });

  test('does not modify its input, and an own "__proto__" key stays data', () => {
    const before = structuredClone(usage);
    selectFields(usage, ['company.address.city', 'counters.type']);
    assert.deepEqual(usage, before);
    const tricky = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as object;
    const out = selectFields(tricky, ['__proto__']) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('select after parseSelect of single-quoted input', () => {
    assert.deepEqual(selectFields(usage, parseSelect("[{'propertyPath':'tenantUid'}]")), { tenantUid: 'b4971992' });
  });
});

describe('properties (fast-check)', () => {
  const scalar: fc.Arbitrary<FilterScalar> = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -5, max: 5 }),
    fc.constantFrom('a', 'A', 'b', 'ab', '', '2026-01-01T00:00:00Z', '2026-01-01T01:00:00+01:00', '3'),
  );
  const value: fc.Arbitrary<unknown> = fc.oneof(scalar, fc.constant(undefined), fc.array(scalar, { maxLength: 3 }));
  const record = fc.record(
    { a: value, b: value, c: fc.record({ d: value }, { requiredKeys: [] }) },
    { requiredKeys: [] },
  );
  const property = fc.constantFrom('a', 'b', 'c.d', 'missing');
  const collation = fc.constantFrom('ordinal' as const, 'ignorecase' as const, 'lexicographic' as const);

  const expression: fc.Arbitrary<FilterExpression> = fc.letrec<{ e: FilterExpression }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({
        property,
        operation: fc.constantFrom(
          'contains' as const,
          'equals' as const,
          'notEquals' as const,
          'greaterThan' as const,
          'greaterThanOrEqual' as const,
          'lessThan' as const,
          'lessThanOrEqual' as const,
        ),
        collation,
        value: scalar,
      }),
      fc.record({
        property,
        operation: fc.constantFrom('in' as const, 'subset' as const, 'superset' as const),
        collation,
        value: fc.array(scalar, { maxLength: 3 }),
      }),
      fc.record({
        operation: fc.constantFrom('and' as const, 'or' as const, 'not' as const, 'exclusiveOr' as const),
        items: fc.array(tie('e'), { maxLength: 3 }),
      }),
    ),
  })).e;

  test('not of one expression is its negation, and parsing its JSON changes nothing', () => {
    fc.assert(
      fc.property(record, expression, (item, e) => {
        const negated: FilterExpression[] = [{ operation: 'not', items: [e] }];
        assert.equal(matches(item, negated), !matches(item, [e]));
        assert.deepEqual(parseFilter(JSON.stringify([e])), JSON.parse(JSON.stringify([e])));
      }),
      { numRuns: 500 },
    );
  });

  test('sortItems is a stable permutation: same elements, sorted order is a fixed point', () => {
    const sortExpression: fc.Arbitrary<SortExpression> = fc.record({
      property,
      direction: fc.constantFrom('ascending' as const, 'descending' as const),
      collation,
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 30 }), fc.array(sortExpression, { maxLength: 3 }), (items, sort) => {
        const sorted = sortItems(items, sort);
        assert.equal(sorted.length, items.length);
        const count = new Map<unknown, number>();
        for (const x of items) count.set(x, (count.get(x) ?? 0) + 1);
        for (const x of sorted) count.set(x, (count.get(x) ?? 0) - 1);
        assert.ok([...count.values()].every((n) => n === 0), 'every element exactly once');
        assert.deepEqual(sortItems(sorted, sort), sorted, 'sorting sorted input changes nothing (stable)');
      }),
      { numRuns: 300 },
    );
  });

  test('any string survives single-quoting', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const singleQuoted = `'${JSON.stringify(s).slice(1, -1).replace(/'/g, "\\'")}'`;
        const [e] = parseFilter(`[{'property':'p','operation':'equals','value':${singleQuoted}}]`);
        assert.deepEqual(e, { property: 'p', operation: 'equals', collation: 'ordinal', value: s });
        const [d] = parseFilter(`[{'property':'p','operation':'equals','value':${JSON.stringify(s)}}]`);
        assert.deepEqual(d, e);
      }),
    );
  });
});
