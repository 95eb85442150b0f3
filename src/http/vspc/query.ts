/**
 * The VSPC v3 collection query language: `filter`, `sort` and `select` (reference §4.3–4.5).
 * Pure functions, no Fastify and no I/O: the routes parse the query parameters with `parseFilter`,
 * `parseSort` and `parseSelect` (a `QueryError` becomes a 400 with `parameterName`), then apply
 * `matches`, `sortItems` and `selectFields` to the items of a collection.
 *
 * What the reference states: a filter is a JSON array of `FilterExpression`s
 * `{property, operation, collation, value, items}` with 14 operations and three collations
 * (`ordinal` the default, `ignorecase`, `lexicographic`); nested properties are written
 * `"a.b.c"`; `items` belongs to the logical operations; real clients send single-quoted JSON.
 * A sort is an array of `{property, direction (default ascending), collation}`, a select an array
 * of `{propertyPath}`.
 *
 * Where the reference is silent, this module chooses (each choice is repeated where it is made):
 *
 * Parsing
 * - Single-quoted strings are accepted anywhere (keys and values) and converted to JSON by a
 *   tokenizer that knows which quotes delimit strings: `'O\'Brien'` and `"O'Brien"` both mean
 *   O'Brien, and a `"` inside a single-quoted string is escaped. Nothing else of JSON is relaxed.
 * - Member names (`Property`, `operation`…) and enumeration values (`Equals`, `IgnoreCase`,
 *   `Descending`) are matched case-insensitively, as a .NET server deserialises them; the parsed
 *   result always carries the canonical spelling. Unknown members are ignored (as .NET does); the
 *   same member twice in different cases is an error.
 * - `exclusiveOr` is a logical operation like `and`, `or` and `not`: it takes `items`.
 * - A logical operation must have an `items` array (it may be empty: `and` of nothing is true,
 *   `or` and `exclusiveOr` of nothing are false, `not` of nothing is true) and must not carry
 *   `property`, `value` or `collation`; a property operation must have a non-empty `property`
 *   without empty segments and must not carry `items` (`null` counts as absent everywhere).
 * - `in`, `subset` and `superset` take an array of scalars; every other property operation takes
 *   one scalar (string, number, boolean or null); an absent `value` is `null`, as a .NET
 *   deserialiser would leave it. Objects are never accepted as values.
 * - The top level must be an array (an empty one matches everything). Expressions may nest at
 *   most 32 levels deep.
 *
 * Matching
 * - A property path is resolved through own properties of plain objects only (never the
 *   prototype): an exact key first, else the first key that equals it ignoring case. Going through
 *   an array, a primitive, null or a missing key yields `undefined` (no implicit flattening of
 *   arrays). `undefined` is treated as null.
 * - The filter value is converted to the type of the property's value, as VSPC (.NET) converts it
 *   into the property's type: against a number, a numeric string counts as that number; against a
 *   boolean, "true"/"false" (any case) count as booleans; against a string, a number or boolean
 *   counts as its JSON text. Otherwise the two are not comparable: equals is false, every ordering
 *   comparison is false.
 * - Two strings that both parse as ISO 8601 date-times (or dates), or a `Date` and such a string,
 *   are compared as instants (a date-time without an offset is UTC; fractions to nanoseconds), for
 *   equality and for ordering, whatever the collation.
 * - `equals null` is true for null and for a missing property; `notEquals` is always the negation
 *   of `equals` (so `notEquals "x"` is true for a missing property).
 * - Ordering comparisons (`greaterThan`…) with null or a missing value on either side are false;
 *   numbers compare numerically, booleans false < true, strings per collation.
 * - Collations: `ordinal` compares UTF-16 code units (.NET `Ordinal`); `ignorecase` compares after
 *   simple per-character upper-casing (.NET `OrdinalIgnoreCase`); `lexicographic` is the
 *   culture-aware, case-sensitive order of `Intl.Collator` (the root/English collation, like
 *   .NET's invariant culture: "a" < "B" < "c"), and for `contains` a substring test on the NFC
 *   forms.
 * - `contains`: a string property contains the value as a substring (the empty string is contained
 *   in every string); an array property contains an element equal to the value; otherwise false.
 * - `in`: the property's (scalar) value equals one of the values. `subset`: the property is an array
 *   and each of its elements equals one of the values (an empty array is a subset). `superset`: the
 *   property is an array and each of the values equals one of its elements. A non-array property
 *   is neither subset nor superset of anything.
 * - `not` is true when none of its items is true (the negation of the one item, or of their `or`);
 *   `exclusiveOr` when exactly one is.
 *
 * Sorting
 * - Stable (ties keep their input order) and multi-key. Values are ranked by kind first — null and
 *   missing, booleans, numbers, date-times (`Date`s and ISO strings), other strings, everything
 *   else (objects, arrays) — then compared within their kind as above. Descending reverses the
 *   whole order, so nulls come first ascending and last descending.
 *
 * Selecting
 * - `selectFields` keeps only the requested paths, in the key order of the original object. A path
 *   that names an object keeps it whole (and wins over deeper paths under it); a path through an
 *   array applies the rest of the path to every element (`counters.type`); a path through null
 *   keeps the null (`{"a": null}` for `a.b`); a path that does not exist is left out. An empty
 *   list of paths selects everything (the item is returned unchanged). Arrays at the top are
 *   projected element by element; primitives are returned unchanged.
 */

export type QueryParameterName = 'filter' | 'sort' | 'select';

/** A malformed `filter`, `sort` or `select` parameter: a 400 with `parameterName`. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
  readonly parameterName: QueryParameterName;

  constructor(message: string, parameterName: QueryParameterName) {
    super(message);
    this.parameterName = parameterName;
  }
}

export type Collation = 'ordinal' | 'ignorecase' | 'lexicographic';
export type LogicalOperation = 'and' | 'or' | 'not' | 'exclusiveOr';
export type ScalarOperation =
  | 'contains'
  | 'equals'
  | 'notEquals'
  | 'greaterThan'
  | 'greaterThanOrEqual'
  | 'lessThan'
  | 'lessThanOrEqual';
export type SetOperation = 'in' | 'subset' | 'superset';
export type FilterOperation = LogicalOperation | ScalarOperation | SetOperation;
export type FilterScalar = string | number | boolean | null;

export interface LogicalFilterExpression {
  operation: LogicalOperation;
  items: FilterExpression[];
}

export interface ScalarFilterExpression {
  /** A property path, nested segments separated by dots: `"a.b.c"`. */
  property: string;
  operation: ScalarOperation;
  /** `ordinal` when absent; `parseFilter` always sets it. */
  collation?: Collation;
  value: FilterScalar;
}

export interface SetFilterExpression {
  property: string;
  operation: SetOperation;
  collation?: Collation;
  value: FilterScalar[];
}

export type FilterExpression = LogicalFilterExpression | ScalarFilterExpression | SetFilterExpression;

export type SortDirection = 'ascending' | 'descending';

export interface SortExpression {
  property: string;
  /** `ascending` when absent; `parseSort` always sets it. */
  direction?: SortDirection;
  /** `ordinal` when absent; `parseSort` always sets it. */
  collation?: Collation;
}

export const FILTER_OPERATIONS: readonly FilterOperation[] = [
  'and',
  'contains',
  'equals',
  'exclusiveOr',
  'greaterThan',
  'greaterThanOrEqual',
  'in',
  'lessThan',
  'lessThanOrEqual',
  'not',
  'notEquals',
  'or',
  'subset',
  'superset',
];
export const COLLATIONS: readonly Collation[] = ['ordinal', 'ignorecase', 'lexicographic'];
export const SORT_DIRECTIONS: readonly SortDirection[] = ['ascending', 'descending'];

const LOGICAL_OPERATIONS: ReadonlySet<string> = new Set<LogicalOperation>(['and', 'or', 'not', 'exclusiveOr']);
const SET_OPERATIONS: ReadonlySet<string> = new Set<SetOperation>(['in', 'subset', 'superset']);
const MAX_DEPTH = 32;

function isLogical(operation: FilterOperation): operation is LogicalOperation {
  return LOGICAL_OPERATIONS.has(operation);
}

function isSetOperation(operation: FilterOperation): operation is SetOperation {
  return SET_OPERATIONS.has(operation);
}

// ---------------------------------------------------------------------------------------------
// Lenient JSON: single-quoted strings
// ---------------------------------------------------------------------------------------------

/**
 * Rewrites single-quoted strings as JSON strings and copies everything else verbatim, so that
 * `JSON.parse` does the real validation. Only quotes that open or close a string are touched: a `'`
 * inside a double-quoted string and a `"` inside a single-quoted one are content.
 */
export function singleQuotesToJson(raw: string): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const ch = raw[i] as string;
    if (ch === '"') {
      const end = endOfString(raw, i, '"');
      out += raw.slice(i, end + 1);
      i = end + 1;
    } else if (ch === "'") {
      const end = endOfString(raw, i, "'");
      out += '"';
      for (let j = i + 1; j < end; j++) {
        const c = raw[j] as string;
        if (c === '\\') {
          const next = raw[j + 1] as string; // j + 1 < end: endOfString skips escaped characters
          out += next === "'" ? "'" : `\\${next}`;
          j++;
        } else if (c === '"') {
          out += '\\"';
        } else {
          out += c;
        }
      }
      out += '"';
      i = end + 1;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** The index of the quote that closes the string opened at `start`. */
function endOfString(raw: string, start: number, quote: string): number {
  for (let j = start + 1; j < raw.length; j++) {
    const c = raw[j];
    if (c === '\\') j++;
    else if (c === quote) return j;
  }
  throw new SyntaxError(`Unterminated string starting at position ${start}`);
}

function parseLenientJson(raw: unknown, parameterName: QueryParameterName): unknown {
  if (typeof raw !== 'string') {
    throw new QueryError(`The ${parameterName} parameter must be given once, as a JSON array.`, parameterName);
  }
  if (raw.trim() === '') {
    throw new QueryError(`The ${parameterName} parameter is empty; expected a JSON array.`, parameterName);
  }
  try {
    return JSON.parse(singleQuotesToJson(raw));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new QueryError(`The ${parameterName} parameter is not valid JSON: ${detail}.`, parameterName);
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing helpers
// ---------------------------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The members of `node` that are in `allowed`, by canonical name, matched case-insensitively.
 * Unknown members are ignored; the same member twice (differing in case) is an error.
 */
function members(
  node: Record<string, unknown>,
  allowed: readonly string[],
  where: string,
  parameterName: QueryParameterName,
): Map<string, unknown> {
  const found = new Map<string, unknown>();
  for (const key of Object.keys(node)) {
    const canonical = allowed.find((name) => name.toLowerCase() === key.toLowerCase());
    if (canonical === undefined) continue;
    if (found.has(canonical)) {
      throw new QueryError(`${where} has the member '${canonical}' more than once.`, parameterName);
    }
    found.set(canonical, node[key]);
  }
  return found;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function enumValue<T extends string>(
  value: unknown,
  allowed: readonly T[],
  what: string,
  where: string,
  parameterName: QueryParameterName,
): T {
  if (typeof value !== 'string') {
    throw new QueryError(`${where}.${what} must be a string, one of: ${allowed.join(', ')}.`, parameterName);
  }
  const canonical = allowed.find((name) => name.toLowerCase() === value.toLowerCase());
  if (canonical === undefined) {
    throw new QueryError(
      `${where}.${what} '${value}' is not supported; expected one of: ${allowed.join(', ')}.`,
      parameterName,
    );
  }
  return canonical;
}

function propertyPath(value: unknown, what: string, where: string, parameterName: QueryParameterName): string {
  if (!present(value)) throw new QueryError(`${where} has no ${what}.`, parameterName);
  if (typeof value !== 'string') throw new QueryError(`${where}.${what} must be a string.`, parameterName);
  if (value === '' || value.split('.').some((segment) => segment === '')) {
    throw new QueryError(
      `${where}.${what} '${value}' is not a property path; write nested properties as "a.b.c".`,
      parameterName,
    );
  }
  return value;
}

function isScalar(value: unknown): value is FilterScalar {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

function topLevelArray(json: unknown, parameterName: QueryParameterName, example: string): unknown[] {
  if (!Array.isArray(json)) {
    throw new QueryError(`The ${parameterName} parameter must be a JSON array, e.g. ${example}.`, parameterName);
  }
  return json;
}

// ---------------------------------------------------------------------------------------------
// filter
// ---------------------------------------------------------------------------------------------

const FILTER_MEMBERS = ['property', 'operation', 'collation', 'value', 'items'] as const;

/**
 * Parses a VSPC `filter` parameter (JSON, single quotes allowed) into expressions whose top-level
 * array is the AND of its items. Throws `QueryError` (`parameterName: 'filter'`).
 */
export function parseFilter(raw: string): FilterExpression[] {
  const json = parseLenientJson(raw, 'filter');
  const list = topLevelArray(json, 'filter', `[{"property":"name","operation":"equals","value":"x"}]`);
  return list.map((node, index) => parseFilterExpression(node, `filter[${index}]`, 1));
}

function parseFilterExpression(node: unknown, where: string, depth: number): FilterExpression {
  if (depth > MAX_DEPTH) {
    throw new QueryError(`The filter is nested more than ${MAX_DEPTH} levels deep.`, 'filter');
  }
  if (!isPlainObject(node)) {
    throw new QueryError(`${where} must be an object with an operation, not ${describe(node)}.`, 'filter');
  }
  const m = members(node, FILTER_MEMBERS, where, 'filter');
  const rawOperation = m.get('operation');
  if (!present(rawOperation)) throw new QueryError(`${where} has no operation.`, 'filter');
  const operation = enumValue(rawOperation, FILTER_OPERATIONS, 'operation', where, 'filter');

  if (isLogical(operation)) {
    for (const member of ['property', 'value', 'collation'] as const) {
      if (present(m.get(member))) {
        throw new QueryError(
          `${where}: the ${operation} operation combines its items and cannot have a ${member}.`,
          'filter',
        );
      }
    }
    const items = m.get('items');
    if (!Array.isArray(items)) {
      throw new QueryError(
        `${where}: the ${operation} operation needs an items array of filter expressions${present(items) ? `, not ${describe(items)}` : ''}.`,
        'filter',
      );
    }
    return {
      operation,
      items: items.map((item, index) => parseFilterExpression(item, `${where}.items[${index}]`, depth + 1)),
    };
  }

  if (present(m.get('items'))) {
    throw new QueryError(`${where}: items can be used only with and, or, not and exclusiveOr, not with ${operation}.`, 'filter');
  }
  const property = propertyPath(m.get('property'), 'property', where, 'filter');
  const rawCollation = m.get('collation');
  const collation = present(rawCollation) ? enumValue(rawCollation, COLLATIONS, 'collation', where, 'filter') : 'ordinal';
  const value = m.get('value') ?? null; // absent = null, as a .NET deserialiser leaves it

  if (isSetOperation(operation)) {
    if (!Array.isArray(value)) {
      throw new QueryError(`${where}: the ${operation} operation needs an array value, not ${describe(value)}.`, 'filter');
    }
    value.forEach((element, index) => {
      if (!isScalar(element)) {
        throw new QueryError(
          `${where}.value[${index}] must be a string, number, boolean or null, not ${describe(element)}.`,
          'filter',
        );
      }
    });
    return { property, operation, collation, value: value as FilterScalar[] };
  }
  if (!isScalar(value)) {
    throw new QueryError(
      `${where}: the ${operation} operation needs a string, number, boolean or null value, not ${describe(value)}.`,
      'filter',
    );
  }
  return { property, operation, collation, value };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `the ${typeof value} ${JSON.stringify(value)}`;
}

// ---------------------------------------------------------------------------------------------
// Property access and comparisons
// ---------------------------------------------------------------------------------------------

/**
 * The value at a dotted path: own properties of plain objects only, an exact key first, else the
 * first key equal ignoring case. Through an array, primitive, null or missing key: `undefined`.
 */
function valueAt(item: unknown, path: string): unknown {
  let current: unknown = item;
  for (const segment of path.split('.')) {
    if (!isTraversable(current)) return undefined;
    const key = ownKey(current, segment);
    if (key === undefined) return undefined;
    current = current[key];
  }
  return current;
}

function isTraversable(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && !(value instanceof Date);
}

function ownKey(object: Record<string, unknown>, segment: string): string | undefined {
  if (Object.hasOwn(object, segment)) return segment;
  const lower = segment.toLowerCase();
  return Object.keys(object).find((key) => key.toLowerCase() === lower);
}

interface Instant {
  /** Milliseconds since the epoch. */
  ms: number;
  /** Nanoseconds within the millisecond. */
  ns: number;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** An ISO 8601 date or date-time as an instant (no offset = UTC), or null. */
function parseInstant(text: string): Instant | null {
  const match = DATE_TIME.exec(text);
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction, offset] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (offset && offset !== 'Z' && offset !== 'z') {
    const sign = offset.startsWith('-') ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // setUTCFullYear: years 0–99 stay literal
  date.setUTCHours(hour, minute, second, 0);
  const nanos = fraction ? Number(fraction.padEnd(9, '0')) : 0;
  return { ms: date.getTime() - offsetMinutes * 60_000 + Math.floor(nanos / 1e6), ns: nanos % 1e6 };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function instantOf(value: unknown): Instant | null {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? null : { ms, ns: 0 };
  }
  return typeof value === 'string' ? parseInstant(value) : null;
}

function compareInstants(a: Instant, b: Instant): number {
  return a.ms !== b.ms ? Math.sign(a.ms - b.ms) : Math.sign(a.ns - b.ns);
}

const NUMERIC = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return null;
}

function asBoolean(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return null;
}

function asString(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return null;
}

/** Simple per-character upper-casing (a character whose upper case is longer stays as it is). */
function foldCase(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text.toUpperCase();
  let out = '';
  for (const ch of text) {
    const upper = ch.toUpperCase();
    out += upper.length === ch.length ? upper : ch;
  }
  return out;
}

let collator: Intl.Collator | undefined;
function lexicographic(): Intl.Collator {
  collator ??= new Intl.Collator('en', { usage: 'sort', sensitivity: 'variant' });
  return collator;
}

function ordinalCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareStrings(a: string, b: string, collation: Collation): number {
  switch (collation) {
    case 'ordinal':
      return ordinalCompare(a, b);
    case 'ignorecase':
      return ordinalCompare(foldCase(a), foldCase(b));
    case 'lexicographic':
      return Math.sign(lexicographic().compare(a, b));
  }
}

function containsString(haystack: string, needle: string, collation: Collation): boolean {
  switch (collation) {
    case 'ordinal':
      return haystack.includes(needle);
    case 'ignorecase':
      return foldCase(haystack).includes(foldCase(needle));
    case 'lexicographic':
      return haystack.normalize('NFC').includes(needle.normalize('NFC'));
  }
}

/**
 * Compares a property's value with a filter value converted to the property's type: a number, or
 * null when the two are not comparable (null or missing on either side, or types that do not meet).
 */
function compareToValue(property: unknown, value: unknown, collation: Collation): number | null {
  if (property === null || property === undefined || value === null || value === undefined) return null;
  if (typeof property === 'number' || typeof property === 'bigint') {
    const a = Number(property);
    const b = asNumber(value);
    if (b === null || Number.isNaN(a) || Number.isNaN(b)) return null;
    return Math.sign(a - b);
  }
  if (typeof property === 'boolean') {
    const b = asBoolean(value);
    return b === null ? null : Number(property) - Number(b);
  }
  if (property instanceof Date) {
    const a = instantOf(property);
    const b = instantOf(value);
    return a && b ? compareInstants(a, b) : null;
  }
  if (typeof property === 'string') {
    if (typeof value === 'string' || value instanceof Date) {
      const a = parseInstant(property);
      const b = a ? instantOf(value) : null;
      if (a && b) return compareInstants(a, b);
    }
    const b = asString(value);
    return b === null ? null : compareStrings(property, b, collation);
  }
  return null; // objects and arrays are not comparable with a scalar
}

function scalarEquals(property: unknown, value: unknown, collation: Collation): boolean {
  if (value === null || value === undefined) return property === null || property === undefined;
  return compareToValue(property, value, collation) === 0;
}

// ---------------------------------------------------------------------------------------------
// matches
// ---------------------------------------------------------------------------------------------

/** Whether `item` satisfies every expression of `filter` (the top-level array is an AND). */
export function matches(item: unknown, filter: readonly FilterExpression[]): boolean {
  return filter.every((expression) => evaluate(item, expression));
}

function evaluate(item: unknown, expression: FilterExpression): boolean {
  switch (expression.operation) {
    case 'and':
      return expression.items.every((e) => evaluate(item, e));
    case 'or':
      return expression.items.some((e) => evaluate(item, e));
    case 'not':
      return !expression.items.some((e) => evaluate(item, e));
    case 'exclusiveOr': {
      let count = 0;
      for (const e of expression.items) {
        if (evaluate(item, e) && ++count > 1) return false;
      }
      return count === 1;
    }
    default:
      return evaluateProperty(item, expression);
  }
}

function evaluateProperty(item: unknown, expression: ScalarFilterExpression | SetFilterExpression): boolean {
  const property = valueAt(item, expression.property);
  const collation = expression.collation ?? 'ordinal';
  if (expression.operation === 'in' || expression.operation === 'subset' || expression.operation === 'superset') {
    const values: readonly unknown[] = Array.isArray(expression.value) ? expression.value : [expression.value];
    switch (expression.operation) {
      case 'in':
        return !Array.isArray(property) && values.some((v) => scalarEquals(property, v, collation));
      case 'subset':
        return Array.isArray(property) && property.every((e: unknown) => values.some((v) => scalarEquals(e, v, collation)));
      case 'superset':
        return Array.isArray(property) && values.every((v) => property.some((e: unknown) => scalarEquals(e, v, collation)));
    }
  }
  const value: unknown = expression.value;
  switch (expression.operation) {
    case 'equals':
      return scalarEquals(property, value, collation);
    case 'notEquals':
      return !scalarEquals(property, value, collation);
    case 'greaterThan':
      return (compareToValue(property, value, collation) ?? 0) > 0;
    case 'greaterThanOrEqual': {
      const c = compareToValue(property, value, collation);
      return c !== null && c >= 0;
    }
    case 'lessThan':
      return (compareToValue(property, value, collation) ?? 0) < 0;
    case 'lessThanOrEqual': {
      const c = compareToValue(property, value, collation);
      return c !== null && c <= 0;
    }
    case 'contains': {
      if (typeof property === 'string') {
        const needle = asString(value);
        return needle !== null && containsString(property, needle, collation);
      }
      if (Array.isArray(property)) return property.some((e: unknown) => scalarEquals(e, value, collation));
      return false;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// sort
// ---------------------------------------------------------------------------------------------

const SORT_MEMBERS = ['property', 'direction', 'collation'] as const;

/** Parses a VSPC `sort` parameter. Throws `QueryError` (`parameterName: 'sort'`). */
export function parseSort(raw: string): SortExpression[] {
  const json = parseLenientJson(raw, 'sort');
  const list = topLevelArray(json, 'sort', `[{"property":"name","direction":"descending"}]`);
  return list.map((node, index) => {
    const where = `sort[${index}]`;
    if (!isPlainObject(node)) {
      throw new QueryError(`${where} must be an object with a property, not ${describe(node)}.`, 'sort');
    }
    const m = members(node, SORT_MEMBERS, where, 'sort');
    const property = propertyPath(m.get('property'), 'property', where, 'sort');
    const rawDirection = m.get('direction');
    const rawCollation = m.get('collation');
    return {
      property,
      direction: present(rawDirection) ? enumValue(rawDirection, SORT_DIRECTIONS, 'direction', where, 'sort') : 'ascending',
      collation: present(rawCollation) ? enumValue(rawCollation, COLLATIONS, 'collation', where, 'sort') : 'ordinal',
    };
  });
}

type SortKey =
  | { rank: 0 } // null or missing
  | { rank: 1; value: number } // boolean
  | { rank: 2; value: number } // number
  | { rank: 3; value: Instant } // date-time
  | { rank: 4; value: string } // other string (folded for ignorecase)
  | { rank: 5 }; // object, array, anything else

function sortKey(value: unknown, collation: Collation): SortKey {
  if (value === null || value === undefined) return { rank: 0 };
  if (typeof value === 'boolean') return { rank: 1, value: Number(value) };
  if (typeof value === 'number' || typeof value === 'bigint') return { rank: 2, value: Number(value) };
  const instant = instantOf(value);
  if (instant) return { rank: 3, value: instant };
  if (typeof value === 'string') return { rank: 4, value: collation === 'ignorecase' ? foldCase(value) : value };
  return { rank: 5 };
}

function compareKeys(a: SortKey, b: SortKey, collation: Collation): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  switch (a.rank) {
    case 1:
    case 2: {
      const bv = (b as typeof a).value;
      if (Number.isNaN(a.value) || Number.isNaN(bv)) return Number(!Number.isNaN(a.value)) - Number(!Number.isNaN(bv));
      return Math.sign(a.value - bv);
    }
    case 3:
      return compareInstants(a.value, (b as typeof a).value);
    case 4:
      return collation === 'lexicographic'
        ? Math.sign(lexicographic().compare(a.value, (b as typeof a).value))
        : ordinalCompare(a.value, (b as typeof a).value);
    default:
      return 0;
  }
}

/**
 * A sorted copy of `items`: stable, multi-key (the first expression first), nulls and missing
 * values first in ascending order and last in descending order. `items` is not modified.
 */
export function sortItems<T>(items: readonly T[], sort: readonly SortExpression[]): T[] {
  if (sort.length === 0) return items.slice();
  const keys = sort.map((s) => ({
    sign: s.direction === 'descending' ? -1 : 1,
    collation: s.collation ?? 'ordinal',
  }));
  const decorated = items.map((item, index) => ({
    item,
    index,
    keys: sort.map((s, k) => sortKey(valueAt(item, s.property), (keys[k] as (typeof keys)[number]).collation)),
  }));
  decorated.sort((a, b) => {
    for (let k = 0; k < keys.length; k++) {
      const { sign, collation } = keys[k] as (typeof keys)[number];
      const c = compareKeys(a.keys[k] as SortKey, b.keys[k] as SortKey, collation);
      if (c !== 0) return sign * c;
    }
    return a.index - b.index;
  });
  return decorated.map((d) => d.item);
}

// ---------------------------------------------------------------------------------------------
// select
// ---------------------------------------------------------------------------------------------

/** Parses a VSPC `select` parameter into property paths. Throws `QueryError` (`parameterName: 'select'`). */
export function parseSelect(raw: string): string[] {
  const json = parseLenientJson(raw, 'select');
  const list = topLevelArray(json, 'select', `[{"propertyPath":"companyUid"}]`);
  return list.map((node, index) => {
    const where = `select[${index}]`;
    if (!isPlainObject(node)) {
      throw new QueryError(`${where} must be an object with a propertyPath, not ${describe(node)}.`, 'select');
    }
    const m = members(node, ['propertyPath'], where, 'select');
    return propertyPath(m.get('propertyPath'), 'propertyPath', where, 'select');
  });
}

/** A tree of requested paths; `true` marks a path selected whole. */
type Selection = Map<string, Selection | true>;

/**
 * `item` with only the requested (possibly nested) property paths, in the key order of the
 * original. An empty `paths` returns `item` unchanged.
 */
export function selectFields(item: unknown, paths: readonly string[]): unknown {
  if (paths.length === 0) return item;
  const tree: Selection = new Map();
  for (const path of paths) {
    let node = tree;
    const segments = path.split('.');
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i] as string;
      const existing = node.get(segment);
      if (existing === true) break; // an ancestor is already selected whole
      if (i === segments.length - 1) {
        node.set(segment, true); // selected whole: replaces deeper selections under it
        break;
      }
      const child: Selection = existing ?? new Map();
      node.set(segment, child);
      node = child;
    }
  }
  return project(item, tree);
}

function project(value: unknown, selection: Selection): unknown {
  if (Array.isArray(value)) return value.map((element: unknown) => project(element, selection));
  if (!isTraversable(value)) return value;
  // Which of the object's keys each requested segment names (exact, else ignoring case).
  const wanted = new Map<string, Selection | true>();
  for (const [segment, sub] of selection) {
    const key = ownKey(value, segment);
    if (key === undefined) continue;
    const previous = wanted.get(key);
    wanted.set(key, previous === undefined ? sub : mergeSelections(previous, sub));
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const sub = wanted.get(key);
    if (sub === undefined) continue;
    const child = value[key];
    let projected: unknown;
    if (sub === true || child === null) projected = child;
    else if (Array.isArray(child) || isTraversable(child)) projected = project(child, sub);
    else continue; // a path through a primitive does not exist
    // defineProperty: a key such as "__proto__" stays an own property.
    Object.defineProperty(out, key, { value: projected, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function mergeSelections(a: Selection | true, b: Selection | true): Selection | true {
  if (a === true || b === true) return true;
  const merged: Selection = new Map(a);
  for (const [key, sub] of b) {
    const existing = merged.get(key);
    merged.set(key, existing === undefined ? sub : mergeSelections(existing, sub));
  }
  return merged;
}
