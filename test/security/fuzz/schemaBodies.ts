/**
 * Bodies derived from a route's JSON schema: a valid instance with exactly one change that the
 * schema forbids (a required field dropped, an unknown field added, a field of the wrong type, out
 * of range, too long, of the wrong format). Such a body gets past the JSON parser and into
 * validation, and must never be accepted: the fuzzer checks that none answers 2xx, which is also
 * what guarantees that no fuzz request changed data.
 */
import fc from 'fast-check';
import type { JsonSchema } from './routes.js';

export interface InvalidBody {
  value: unknown;
  /** What was broken, for the failure report. */
  violation: string;
}

const LETTERS = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 -_.'), minLength: 1, maxLength: 24 });
const WORDS = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.'), minLength: 1, maxLength: 24 });
const INSTANTS = ['2026-11-23T12:00:00Z', '2026-01-31T23:59:59.999+02:00', '2027-06-01T00:00:00-05:00'];

function typesOf(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  return typeof schema.type === 'string' ? [schema.type] : [];
}

/** A value the schema accepts (within the generator's reach: the admin schemas are simple). */
export function validValue(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  if ('const' in schema) return fc.constant(schema.const);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives) && alternatives.length > 0) return validValue(alternatives[0]);
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) return validValue(Object.assign({}, ...schema.allOf));
  const type = typesOf(schema).find((t) => t !== 'null') ?? (schema.properties ? 'object' : 'string');
  switch (type) {
    case 'object': {
      const properties: Record<string, JsonSchema> = schema.properties ?? {};
      const required: string[] = schema.required ?? [];
      const record = Object.fromEntries(Object.entries(properties).map(([key, inner]) => [key, validValue(inner)]));
      return fc.record(record, { requiredKeys: required.filter((key) => key in properties) });
    }
    case 'array': {
      const min = schema.minItems ?? 0;
      const max = Math.max(min, Math.min(schema.maxItems ?? min + 3, min + 3));
      const items = validValue(schema.items ?? {});
      return schema.uniqueItems ? fc.uniqueArray(items, { minLength: min, maxLength: max, selector: (v) => JSON.stringify(v) }) : fc.array(items, { minLength: min, maxLength: max });
    }
    case 'integer':
      return fc.integer({ min: Math.ceil(schema.minimum ?? -1000), max: Math.floor(schema.maximum ?? 1000) });
    case 'number':
      return fc.integer({ min: Math.ceil(schema.minimum ?? -1000), max: Math.floor(schema.maximum ?? 1000) });
    case 'boolean':
      return fc.boolean();
    default: {
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'date-time') return fc.constantFrom(...INSTANTS);
      if (schema.format === 'date') return fc.constant('2026-11-23');
      const min = schema.minLength ?? 0;
      const max = schema.maxLength ?? 24;
      const fits = (text: string) => text.length >= min && text.length <= max;
      if (typeof schema.pattern === 'string') {
        const pattern = new RegExp(schema.pattern);
        // Plain words pass most patterns (names, "printable"); for the others (`^\d{4}-…$`) the text
        // is built from the pattern, since a filter on random text could wait forever.
        if (pattern.test('fuzzvalue')) return WORDS.filter((text) => pattern.test(text) && fits(text));
        return fc.stringMatching(pattern).filter(fits);
      }
      return LETTERS.map((text) => (text.length < min ? text.padEnd(min, 'x') : text).slice(0, Math.max(min, Math.min(max, 24))));
    }
  }
}

/** Values the schema certainly refuses, each with its reason; none when the schema is too loose to be sure. */
function violations(schema: JsonSchema): fc.Arbitrary<InvalidBody>[] {
  const out: fc.Arbitrary<InvalidBody>[] = [];
  const types = typesOf(schema);
  const nullable = types.includes('null') || schema.nullable === true;
  if (Array.isArray(schema.enum)) {
    const members = new Set(schema.enum.map((v: unknown) => JSON.stringify(v)));
    const outside = ['NotAMember', 'portaladministrator ', '', 0, true, {}, []].filter((v) => !members.has(JSON.stringify(v)));
    if (outside.length > 0) out.push(fc.constantFrom<unknown>(...outside).map((value) => ({ value, violation: 'not one of the enumeration' })));
    return out;
  }
  if (schema.anyOf || schema.oneOf || schema.allOf || types.length !== 1) return out;
  const type = types[0]!;
  const wrongTypes: unknown[] = ['text', 42, 1.5, true, { nested: 1 }, [1, 2], ...(nullable ? [] : [null])].filter((value) => {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value === 'object' ? 'object' : typeof value;
    if (type === 'number') return kind !== 'number' && kind !== 'integer';
    return kind !== type;
  });
  out.push(fc.constantFrom(...wrongTypes).map((value) => ({ value, violation: `not of type ${type}` })));
  switch (type) {
    case 'string': {
      const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : undefined;
      if (schema.minLength > 0) out.push(fc.constant({ value: '', violation: 'shorter than minLength' }));
      if (typeof schema.maxLength === 'number') {
        out.push(fc.integer({ min: 1, max: 2000 }).map((extra) => ({ value: 'a'.repeat(schema.maxLength + extra), violation: 'longer than maxLength' })));
      }
      if (schema.format === 'uuid') out.push(fc.constantFrom('not-a-uuid', '92460656-7a85-4a04-b1af-1ea903c0bc2', '{92460656-7a85-4a04-b1af-1ea903c0bc2e}x', '').map((value) => ({ value, violation: 'not a uuid' })));
      if (schema.format === 'date-time') {
        out.push(fc.constantFrom('2026-13-45T99:99:99Z', '2026-11-23', '2026-11-23T12:00:00', 'yesterday', '', '2026-11-23T12:00:00+25:00').map((value) => ({ value, violation: 'not an RFC 3339 instant' })));
      }
      if (pattern) {
        // Chosen here, not by a filter: a pattern that all candidates match simply adds no violation.
        const mismatches = ['a\u0000b', 'tab\there', 'line\nbreak', 'bell\u0007', 'del\u007f', 'with space', 'with/slash', 'UPPER*', '2026-13']
          .filter((value) => !pattern.test(value) && value.length >= (schema.minLength ?? 0) && value.length <= (schema.maxLength ?? Infinity));
        if (mismatches.length > 0) out.push(fc.constantFrom(...mismatches).map((value) => ({ value, violation: `does not match ${schema.pattern}` })));
      }
      break;
    }
    case 'integer':
    case 'number':
      if (type === 'integer') out.push(fc.constantFrom(1.5, -0.25, 1e-7).map((value) => ({ value, violation: 'not an integer' })));
      if (typeof schema.minimum === 'number') out.push(fc.constantFrom(schema.minimum - 1, schema.minimum - 1e9, -Number.MAX_VALUE).map((value) => ({ value, violation: 'below minimum' })));
      if (typeof schema.maximum === 'number') out.push(fc.constantFrom(schema.maximum + 1, Number.MAX_VALUE, 1e300).map((value) => ({ value, violation: 'above maximum' })));
      break;
    case 'array':
      if (schema.minItems > 0) out.push(fc.constant({ value: [], violation: 'fewer items than minItems' }));
      if (typeof schema.maxItems === 'number') {
        out.push(validValue(schema.items ?? {}).map((item) => ({ value: Array(schema.maxItems + 1).fill(item), violation: 'more items than maxItems' })));
      }
      for (const bad of violations(schema.items ?? {})) {
        out.push(fc.tuple(validValue(schema), bad).map(([valid, item]) => ({ value: [...(valid as unknown[]), item.value], violation: `an item ${item.violation}` })));
      }
      break;
    case 'object':
      out.push(...objectViolations(schema));
      break;
  }
  return out;
}

function objectViolations(schema: JsonSchema): fc.Arbitrary<InvalidBody>[] {
  const properties: Record<string, JsonSchema> = schema.properties ?? {};
  const required: string[] = (schema.required ?? []).filter((key: string) => key in properties);
  const base = validValue(schema) as fc.Arbitrary<Record<string, unknown>>;
  const out: fc.Arbitrary<InvalidBody>[] = [];
  if (required.length > 0) {
    out.push(fc.tuple(base, fc.constantFrom(...required)).map(([valid, key]) => {
      const copy = { ...valid };
      delete copy[key];
      return { value: copy, violation: `required ${key} missing` };
    }));
  }
  const unknownKeys = ['unexpected', 'Name', 'isAdmin', 'role', 'constructor', 'toString', 'x'.repeat(300)].filter((key) => !(key in properties));
  if (schema.additionalProperties === false && unknownKeys.length > 0) {
    out.push(fc.tuple(base, fc.constantFrom(...unknownKeys), fc.jsonValue({ maxDepth: 2 }))
      .map(([valid, key, extra]) => ({ value: { ...valid, [key]: extra }, violation: `unknown field ${key.slice(0, 20)}` })));
  }
  for (const [key, inner] of Object.entries(properties)) {
    for (const bad of violations(inner)) {
      out.push(fc.tuple(base, bad).map(([valid, broken]) => ({ value: { ...valid, [key]: broken.value }, violation: `${key} ${broken.violation}` })));
    }
  }
  return out;
}

/** A body that breaks the schema in one place; undefined when the schema leaves nothing certain to break. */
export function invalidBody(schema: JsonSchema): fc.Arbitrary<InvalidBody> | undefined {
  const options = violations(schema);
  return options.length > 0 ? fc.oneof(...options) : undefined;
}
