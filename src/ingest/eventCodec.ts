/**
 * What ingestion needs besides validation, derived from the events' TypeBox schemas at start-up
 * (src/ingest/events.ts) so that the event vocabulary is written once:
 *
 * - `accept`: the fast check. It accepts only what the schema accepts (never looser) and returns
 *   the normalized value at once; anything it is unsure of (an unusual prototype, a string whose
 *   length in code points it would have to count) it leaves to the schema's validator.
 * - `normalize`: the normalized form of a value the schema accepted: defaults (`default` in the
 *   schema) filled in, UUIDs (`format: 'uuid'`) lower-cased, date-times (`format: 'date-time'`)
 *   as instants.
 * - `write`: the canonical text of a normalized value: keys sorted, undefined left out, instants
 *   in UTC with milliseconds. Equal facts get equal text (idempotency compares it).
 *
 * Only the schema forms the events use are understood (objects without additional properties,
 * strings with lengths, pattern and the two formats, literals, enums, booleans); any other form
 * throws when the module loads, so that a schema change the codec cannot follow is found by the
 * first test, not by a client.
 */
import type { TSchema } from 'typebox';
import { Format } from 'typebox/format';
import { canonicalInstant, formatInstant, parseRfc3339 } from '../time.js';

/** What `accept` returns for a value it leaves to the schema's validator. */
export const UNSURE: unique symbol = Symbol('unsure');

export interface Codec {
  accept(value: unknown): unknown;
  normalize(value: unknown): unknown;
  write(value: unknown): string;
}

const quote = JSON.stringify;
const identity = (value: unknown) => value;

function plainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

export function codecOf(schema: TSchema): Codec {
  const s = schema as Record<string, unknown>;
  if ('const' in s) {
    const constant = s.const;
    return { accept: (value) => (value === constant ? value : UNSURE), normalize: identity, write: quote };
  }
  if (Array.isArray(s.enum)) {
    const allowed: ReadonlySet<unknown> = new Set(s.enum);
    return { accept: (value) => (allowed.has(value) ? value : UNSURE), normalize: identity, write: quote };
  }
  switch (s.type) {
    case 'boolean':
      return { accept: (value) => (typeof value === 'boolean' ? value : UNSURE), normalize: identity, write: quote };
    case 'string':
      return stringCodec(s);
    case 'object':
      return objectCodec(s);
  }
  throw new Error(`the event codec cannot read the schema ${JSON.stringify(schema)}`);
}

function stringCodec(s: Record<string, unknown>): Codec {
  const known = new Set(['type', 'minLength', 'maxLength', 'pattern', 'format', 'default']);
  for (const key of Object.keys(s)) if (!known.has(key)) throw new Error(`the event codec cannot read the string keyword ${key}`);
  // Lengths are counted in code points by the schema and in UTF-16 units here: n units hold
  // between n/2 and n code points, so these bounds accept only what the schema accepts.
  const max = typeof s.maxLength === 'number' ? s.maxLength : Infinity;
  const minUnits = typeof s.minLength === 'number' ? 2 * s.minLength - 1 : 0;
  const pattern = typeof s.pattern === 'string' ? new RegExp(s.pattern, 'u') : undefined;
  const fits = (value: unknown): value is string =>
    typeof value === 'string' && value.length >= minUnits && value.length <= max && (pattern === undefined || pattern.test(value));
  switch (s.format) {
    case undefined:
      return { accept: (value) => (fits(value) ? value : UNSURE), normalize: identity, write: quote };
    case 'uuid': {
      const lower = (value: unknown) => (value as string).toLowerCase();
      return { accept: (value) => (fits(value) && Format.IsUuid(value) ? value.toLowerCase() : UNSURE), normalize: lower, write: quote };
    }
    case 'date-time': {
      // Most clients send the canonical form itself (what formatInstant writes): the text accepted
      // last is kept, and written again instead of formatting its instant anew.
      let keptText = '';
      let keptAt = NaN;
      return {
        accept(value) {
          if (!fits(value)) return UNSURE;
          const canonical = canonicalInstant(value);
          if (canonical !== null) {
            keptText = quote(value);
            keptAt = canonical;
            return canonical;
          }
          return parseRfc3339(value) ?? UNSURE;
        },
        normalize: (value) => parseRfc3339(value as string),
        write: (value) => (value === keptAt ? keptText : quote(formatInstant(value as number))),
      };
    }
  }
  throw new Error(`the event codec cannot read the string format ${String(s.format)}`);
}

function objectCodec(s: Record<string, unknown>): Codec {
  if (s.additionalProperties !== false) throw new Error('the event codec needs objects without additional properties (their keys make the canonical form)');
  const properties = Object.entries(s.properties as Record<string, TSchema>).map(([name, schema]) => ({
    name,
    codec: codecOf(schema),
    required: ((s.required as string[] | undefined) ?? []).includes(name),
    fallback: (schema as { default?: unknown }).default,
  }));
  const names: ReadonlySet<string> = new Set(properties.map((p) => p.name));
  // In canonical order, each with its key as written first (`"name":`) and after another (`,"name":`).
  const sorted = [...properties]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(({ name, codec }) => ({ name, codec, first: `${quote(name)}:`, next: `,${quote(name)}:` }));
  return {
    accept(value) {
      if (!plainObject(value)) return UNSURE;
      for (const key in value) if (!names.has(key)) return UNSURE;
      const out: Record<string, unknown> = {};
      for (const { name, codec, required, fallback } of properties) {
        const field = value[name];
        if (field === undefined) {
          if (required) return UNSURE;
          if (fallback !== undefined) out[name] = fallback;
          continue;
        }
        const accepted = codec.accept(field);
        if (accepted === UNSURE) return UNSURE;
        out[name] = accepted;
      }
      return out;
    },
    normalize(value) {
      const source = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const { name, codec, fallback } of properties) {
        const field = source[name];
        if (field !== undefined) out[name] = codec.normalize(field);
        else if (fallback !== undefined) out[name] = fallback;
      }
      return out;
    },
    write(value) {
      const source = value as Record<string, unknown>;
      let text = '{';
      for (const { name, codec, first, next } of sorted) {
        const field = source[name];
        if (field === undefined) continue;
        text += (text.length === 1 ? first : next) + codec.write(field);
      }
      return text + '}';
    },
  };
}
