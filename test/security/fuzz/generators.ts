/**
 * fast-check arbitraries of malformed requests for one route: broken paths, query strings, bodies
 * and headers. Each request is malformed somewhere, never valid as a whole where it could change
 * data: bodies are junk or schema-derived with one certain violation, and a valid token is never
 * sent with a method that deletes something without naming it (DELETE of a license, of the session).
 */
import fc from 'fast-check';
import type { Listener, Parameter, Route } from './routes.js';
import { invalidBody, validValue } from './schemaBodies.js';

/** Which credentials a request carries; resolved to the target server's tokens when it is sent. */
export type Credentials = 'admin' | 'ingest' | 'reader';

export type HeaderValue = string | { token: Credentials; format: (token: string) => string };

export interface FuzzRequest {
  transport: 'http' | 'https' | 'raw';
  listener: Listener;
  method: string;
  /** Path and query, sent byte for byte (latin1). */
  target: string;
  /** Header lines in order (duplicates allowed); no Host unless the request has one. */
  headers: [string, HeaderValue][];
  body: Buffer | undefined;
  /** The route it was made from, for reports. */
  route: string;
  /** Set when the body certainly breaks the route's schema: any 2xx is then a bug. */
  mustFail: string | undefined;
  /** For raw requests: the bytes after the request line and headers are built from the fields above. */
  rawStyle?: RawStyle;
}

export type RawStyle =
  | 'space-in-path' | 'control-in-path' | 'utf8-path' | 'http2-version' | 'garbage-line' | 'absolute-form' | 'asterisk'
  | 'header-no-colon' | 'header-space-name' | 'latin1-header-name' | 'obs-fold' | 'nul-in-header' | 'double-content-length' | 'te-and-cl'
  | 'bad-chunk' | 'negative-length' | 'huge-length' | 'lowercase-method' | 'bare-lf' | 'pipelined';

// ---------------------------------------------------------------------------------------------
// Text pieces
// ---------------------------------------------------------------------------------------------

const NASTY = [
  '', ' ', '%', '%%', '%zz', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%00', '%0A', '%0d%0a', '..', '.', '%2e%2e', '%2E', '%2F', '%5C', '\\',
  'null', 'undefined', 'NaN', 'Infinity', '-1', '0', '1e309', '0x10', '1.5', '-0', '__proto__', 'constructor', 'prototype',
  'hasOwnProperty', '{}', '[]', "'", '"', '<script>alert(1)</script>', '${7*7}', '{{7*7}}', "' OR '1'='1", '; DROP TABLE events;--',
  '../../../../etc/passwd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', 'admin%00', 'ÿ', 'é', 'ß', '\u00ff\u00fe', 'true', 'false',
  '92460656-7a85-4a04-b1af-1ea903c0bc2e', '92460656-7A85-4A04-B1AF-1EA903C0BC2E', '{92460656-7a85-4a04-b1af-1ea903c0bc2e}',
  '92460656-7a85-4a04-b1af-1ea903c0bc2', '00000000-0000-0000-0000-000000000000', '2026-13', '2026-02-30', '9999-99',
];

/** Characters of any plane, including lone surrogates (which have no valid UTF-8 form). */
const anyText = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom(...NASTY),
  fc.integer().map(String),
  fc.double().map(String),
  fc.integer({ min: 200, max: 4000 }).map((n) => 'x'.repeat(n)),
);

const HEX = '0123456789ABCDEF';

/** Percent-encodes UTF-8 like encodeURIComponent, but lone surrogates become the (invalid) bytes ED A0 80. */
function encodeUtf8(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (/[A-Za-z0-9\-_.~]/.test(char)) out += char;
    else if (code >= 0xd800 && code <= 0xdfff) out += '%ED%A0%80';
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/** What Node's client lets through in a request target: 0x21–0xFF; everything else percent-encoded. */
function encodeLatin1(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    out += code >= 0x21 && code <= 0xff && char !== '?' && char !== '#' ? char : encodeUtf8(char);
  }
  return out;
}

/** A path or query piece: properly encoded, raw Latin-1 (invalid UTF-8), or with broken escapes. */
const encodedPiece = (text: fc.Arbitrary<string>) =>
  fc.tuple(text, fc.constantFrom('utf8', 'utf8', 'utf8', 'latin1', 'broken')).chain(([value, mode]) =>
    mode === 'utf8' ? fc.constant(encodeUtf8(value))
    : mode === 'latin1' ? fc.constant(encodeLatin1(value))
    : fc.constantFrom('%', '%z', '%E0%A4', '%FF', '%C0%80', '%%41').map((broken) => encodeUtf8(value) + broken),
  );

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

/** Account names the fuzzer must never name in a path (they exist and could be changed). */
const EXISTING_ACCOUNTS = /^(admin|fuzz-ingest|fuzz-reader)$/i;

function parameterValue(parameter: Parameter): fc.Arbitrary<string> {
  const valid = validValue(parameter.schema).map((value) => String(value));
  return fc.oneof({ weight: 2, arbitrary: valid.map(encodeUtf8) }, { weight: 5, arbitrary: encodedPiece(anyText) }).filter(
    (value) => !EXISTING_ACCOUNTS.test(decodeSafely(value)),
  );
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

type PathMutation = (path: string) => fc.Arbitrary<string>;

const PATH_MUTATIONS: PathMutation[] = [
  // ASCII only: 'ÿ'.toUpperCase() is 'Ÿ', which no client can put in a request line.
  (path) => fc.constant(path.replace(/[a-z]+/g, (word) => word.toUpperCase())),
  (path) => fc.constant(path.replace(/[A-Z]+/g, (word) => word.toLowerCase())),
  (path) => fc.nat(path.length).map((i) => path.slice(0, i) + path.slice(i).replace('/', '//')),
  (path) => fc.constantFrom('/', '/.', '/..', '/./', '//', '/%2e', '/%2e%2e', '%2F', '/;', ';jsessionid=1', '/~').map((tail) => path + tail),
  (path) => fc.constantFrom('/..', '/.', '/%2e%2e', '//').map((insert) => path.replace(/\/[^/]*$/, `${insert}$&`)),
  (path) => fc.integer({ min: 257, max: 6000 }).map((n) => `${path}/${'a'.repeat(n)}`),
  (path) => encodedPiece(anyText).map((junk) => `${path}/${junk}`),
  (path) => fc.constantFrom('/v5', '/v7', '/api/v2', '/api/v4', '/tally/v2', '/TALLY/V1', '/Api/V3', '/V6').map((prefix) => path.replace(/^\/(tally\/v1|api\/v3|v6)/i, prefix)),
  (path) => fc.constantFrom('%C3%A9', 'é', '%F0%9F%98%80', '%EF%BF%BF', 'ÿ').map((unicode) => `${path}${unicode}`),
  (path) => fc.constant(`${path}#fragment`),
  (path) => fc.constant(path.replace(/[a-z]/g, (c, i: number) => (i % 2 ? c.toUpperCase() : c))),
];

function pathOf(route: Route): fc.Arbitrary<string> {
  const pathParameters = route.parameters.filter((parameter) => parameter.in === 'path');
  const values = fc.record(Object.fromEntries(pathParameters.map((parameter) => [parameter.name, parameterValue(parameter)])));
  const filled = values.map((bound) => route.template.replace(/\{([^}]+)\}/g, (_all, name: string) => (bound as Record<string, string>)[name] ?? 'x'));
  return filled.chain((path) =>
    fc.oneof(
      { weight: 5, arbitrary: fc.constant(path) },
      { weight: 4, arbitrary: fc.constantFrom(...PATH_MUTATIONS).chain((mutate) => mutate(path)) },
      { weight: 1, arbitrary: fc.array(encodedPiece(anyText), { minLength: 1, maxLength: 6 }).map((segments) => `/${segments.join('/')}`) },
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Query strings
// ---------------------------------------------------------------------------------------------

const BAD_NUMBERS = ['-1', '-0', 'abc', '1.5', '1e309', '99999999999999999999', '', ' 1', '1 ', '+1', '0x10', 'NaN', 'Infinity', '1,2', '2147483648', '-2147483649', '0', '1e3'];

function nested(depth: number, open: string, close: string, inner = ''): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

/** VSPC filter/sort/select and other JSON-valued parameters: malformed, single-quoted, deep, huge. */
const jsonParameter = fc.oneof(
  fc.constantFrom(
    "[{'property':'name','operation':'equals','value':'x'}]",
    "[{'property':'name','operation':'equals','value':'x'",
    '[{"property":"name","operation":"equals","value":"x"}',
    "[{'property':'name','operation':'contains','value':'O\\'Brien'}]",
    '[{"property":"__proto__.polluted","operation":"equals","value":1}]',
    '[{"property":"constructor.prototype","operation":"equals","value":{}}]',
    '[{"property":"name","operation":"in","value":[[1]]}]',
    '[{"property":"name","operation":"matches","value":"(a+)+$"}]',
    '[{"property":"","operation":"equals"}]',
    '[{"property":"a..b","operation":"equals","value":1}]',
    '[{"operation":"and","items":null}]',
    '[{"operation":"not","items":[{"operation":"not"}]}]',
    '[{"Property":"name","property":"name","operation":"equals","value":1}]',
    '[{"propertyPath":"name"},{"propertyPath":""}]',
    '[{"property":"name","direction":"sideways"}]',
    '{"property":"name"}', '"name"', 'null', '[null]', '[1,2,3]', '[[]]', '[{}]', "['", "'", '[', '{', '}', ']', '\\', '[\u0000]',
  ),
  fc.integer({ min: 30, max: 3000 }).map((depth) => nested(depth, '[', ']')),
  fc.integer({ min: 30, max: 400 }).map((depth) => nested(depth, '[{"operation":"and","items":', '}]', '[]')),
  fc.integer({ min: 30, max: 400 }).map((depth) => nested(depth, '{"a":', '}', '1')),
  fc.integer({ min: 100, max: 2500 }).map((n) => `[${Array(n).fill('{"property":"name","operation":"equals","value":"x"}').join(',').slice(0, 9000)}]`),
  fc.integer({ min: 100, max: 4000 }).map((n) => `[{"property":"name","operation":"in","value":[${Array(n).fill('1').join(',')}]}]`),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
);

function queryValue(parameter: Parameter | undefined): fc.Arbitrary<string> {
  const name = parameter?.name.toLowerCase() ?? '';
  if (['filter', 'sort', 'select', 'expand'].includes(name)) return fc.oneof({ weight: 3, arbitrary: jsonParameter }, { weight: 1, arbitrary: anyText });
  if (['limit', 'offset'].includes(name)) return fc.oneof(fc.constantFrom(...BAD_NUMBERS), anyText);
  const valid = parameter ? validValue(parameter.schema).map(String) : anyText;
  return fc.oneof({ weight: 1, arbitrary: valid }, { weight: 3, arbitrary: anyText }, { weight: 1, arbitrary: fc.constantFrom(...BAD_NUMBERS) });
}

function queryOf(route: Route): fc.Arbitrary<string> {
  // Built once per parameter: arbitraries made inside a chain would be rebuilt for every request.
  const known = route.parameters.filter((parameter) => parameter.in === 'query').map((parameter) => encodedPiece(queryValue(parameter)).map((encoded) => `${parameter.name}=${encoded}`));
  const pair: fc.Arbitrary<string> = fc.oneof(
    { weight: known.length > 0 ? 6 : 0, arbitrary: known.length > 0 ? fc.oneof(...known) : fc.constant('') },
    { weight: 1, arbitrary: fc.tuple(encodedPiece(anyText), encodedPiece(anyText)).map(([key, value]) => `${key}=${value}`) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__[polluted]=1', '__proto__=x', 'constructor[prototype][polluted]=1', 'a[b][c]=1', 'limit[]=1', 'limit=1&limit=2', '=', '&', '==', 'a==b', '%=%', '?', 'filter', 'limit') },
  );
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant('') },
    { weight: 6, arbitrary: fc.array(pair, { minLength: 1, maxLength: 5 }).map((pairs) => `?${pairs.join('&')}`) },
    { weight: 1, arbitrary: fc.constantFrom('?', '??', '?&&&', '?#', '?%', `?${'a=1&'.repeat(1000)}`) },
  ).map((query) => (query.length > 12_000 ? query.slice(0, 12_000) : query));
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

interface Body {
  bytes: Buffer;
  contentType: string | undefined;
  mustFail: string | undefined;
}

const json = (text: string, mustFail?: string): Body => ({ bytes: Buffer.from(text, 'utf8'), contentType: 'application/json', mustFail });

const PROTO_BODIES = [
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
  '{"name":"x","__proto__":{"roles":["PortalAdministrator"]}}',
  '{"events":[{"__proto__":{"id":"x"}}]}',
  '{"a":{"b":{"__proto__":{"polluted":1}}}}',
  '[{"__proto__":null}]',
];

const BIG_NUMBERS = ['{"totalNumber":1e400}', '{"units":-1e400}', '[123456789012345678901234567890]', '{"totalNumber":-0}', '{"n":NaN}', '{"n":Infinity}', '{"n":0x10}', '{"n":1.7976931348623157e309}', '{"n":5e-324}'];

/** Invalid UTF-8 inside JSON strings: stray continuation bytes, overlong forms, surrogates, truncation. */
const INVALID_UTF8 = [
  [0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d],
  [0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d],
  [0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d],
  [0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0x22, 0x7d],
  [0xef, 0xbb, 0xbf, 0x7b, 0x7d],
  [0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d],
].map((bytes) => Buffer.from(bytes));

/** A JSON text that does not parse. */
const truncatedJson = fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat()).map(([value, cut]) => {
  const text = JSON.stringify(value) ?? 'null';
  const truncated = text.slice(0, text.length > 1 ? cut % text.length : 0);
  try {
    JSON.parse(truncated);
    return `${truncated}{`;
  } catch {
    return truncated;
  }
});

/** An event batch with at least one event the ingestion must refuse: nothing of it may be stored. */
const EVENT_TYPES = ['vb365.backup', 'vb365.dataRemoved', 'vspc.agentActivated', 'vspc.agentModeChanged', 'vspc.agentDeactivated'];
const plausibleEvent = fc.record({
  id: fc.string({ minLength: 1, maxLength: 30 }).map((id) => `fuzz-${id}`),
  type: fc.constantFrom(...EVENT_TYPES),
  at: fc.constantFrom('2026-11-20T10:00:00Z', '2026-10-01T00:00:00+02:00'),
  organizationId: fc.uuid(),
  companyUid: fc.uuid(),
  agentUid: fc.uuid(),
  userId: fc.uuid(),
  mode: fc.constantFrom('server', 'workstation'),
  user: fc.record({ id: fc.uuid(), name: fc.string({ minLength: 1, maxLength: 10 }) }),
  agent: fc.record({ uid: fc.uuid(), name: fc.string({ minLength: 1, maxLength: 10 }), mode: fc.constantFrom('server', 'workstation') }),
});
const brokenEvent: fc.Arbitrary<[unknown, string]> = fc.tuple(plausibleEvent, fc.constantFrom('no id', 'empty id', 'long id', 'unknown type', 'no offset', 'bad instant', 'not an object', 'id not a string')).map(([event, how]) => {
  const copy: Record<string, unknown> = { ...event };
  switch (how) {
    case 'no id': delete copy.id; break;
    case 'empty id': copy.id = ''; break;
    case 'long id': copy.id = 'i'.repeat(201); break;
    case 'unknown type': copy.type = 'vspc.agentExploded'; break;
    case 'no offset': copy.at = '2026-11-20T10:00:00'; break;
    case 'bad instant': copy.at = '2026-02-30T25:61:00Z'; break;
    case 'not an object': return [['not', 'an', 'event'], how];
    case 'id not a string': copy.id = 12345; break;
  }
  return [copy, how];
});
const eventBatch: fc.Arbitrary<Body> = fc.tuple(fc.array(plausibleEvent, { maxLength: 5 }), brokenEvent, fc.nat(), fc.boolean()).map(([valid, [broken, how], at, ndjson]) => {
  const events: unknown[] = [...valid];
  events.splice(at % (events.length + 1), 0, broken);
  const mustFail = `event batch with one event with ${how}`;
  if (ndjson) return { bytes: Buffer.from(events.map((event) => JSON.stringify(event)).join('\n')), contentType: 'application/x-ndjson', mustFail };
  return json(JSON.stringify({ events }), mustFail);
});

const FORM_BODIES = [
  'grant_type=password&username=nobody&password=wrong',
  'grant_type=refresh_token&refresh_token=not-a-token',
  'grant_type=client_credentials', 'grant_type=', 'grant_type=password', 'grant_type=password&username=&password=',
  'grant_type[]=password&username=x&password=y', '__proto__[admin]=1&grant_type=password', 'username=%zz&password=%',
  '=&=&=', '&&&', 'grant_type=password&username=' + 'u'.repeat(5000) + '&password=p', 'grant_type=password&grant_type=refresh_token',
  'grant_type=authorization_code&code=x', 'grant_type=password&username=nobody%00&password=x',
];

function bodyOf(route: Route): fc.Arbitrary<Body> {
  const schemaBody = route.body ? invalidBody(route.body) : undefined;
  const isEvents = /\/events$/.test(route.template);
  const isToken = /\/token$/.test(route.template);
  // Weights in twentieths: the large bodies (hundreds of KiB to 11 MiB) are a small share, so that
  // the run moves about 10 KiB a request on average.
  const options: { weight: number; arbitrary: fc.Arbitrary<Body> }[] = [
    { weight: 60, arbitrary: truncatedJson.map((text) => json(text)) },
    { weight: 10, arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((depth) => json(nested(depth, '[', ']'))) },
    { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 200_000 }).map((depth) => json(nested(depth, '[', ']'))) },
    { weight: 10, arbitrary: fc.integer({ min: 1_000, max: 10_000 }).map((depth) => json(nested(depth, '{"a":', '}', '1'))) },
    { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 100_000 }).map((depth) => json(nested(depth, '{"a":', '}', '1'))) },
    { weight: 10, arbitrary: fc.integer({ min: 100, max: 5_000 }).map((depth) => json(`{"events":${nested(depth, '[', ']')}}`)) },
    { weight: 20, arbitrary: fc.constantFrom(...BIG_NUMBERS).map((text) => json(text)) },
    { weight: 40, arbitrary: fc.constantFrom(...PROTO_BODIES).map((text) => json(text)) },
    { weight: 20, arbitrary: fc.constantFrom(...INVALID_UTF8).map((bytes) => ({ bytes, contentType: 'application/json', mustFail: undefined })) },
    { weight: 5, arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((n) => json(`[${'1,'.repeat(n)}1]`)) },
    { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 150_000 }).map((n) => json(`[${'1,'.repeat(n)}1]`)) },
    { weight: 1, arbitrary: fc.constantFrom(900_000, 1_100_000, 1_100_000, 11 * 1024 * 1024).map((n) => json(`{"name":"${'a'.repeat(n)}"}`)) },
    { weight: 20, arbitrary: fc.constant(json('')) },
    { weight: 40, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => json(JSON.stringify(value) ?? 'null')) },
    { weight: 20, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ bytes: Buffer.from(bytes), contentType: 'application/octet-stream', mustFail: undefined })) },
    { weight: isToken ? 120 : 20, arbitrary: fc.constantFrom(...FORM_BODIES).map((text) => ({ bytes: Buffer.from(text), contentType: 'application/x-www-form-urlencoded', mustFail: undefined })) },
    { weight: 20, arbitrary: fc.array(fc.oneof(truncatedJson, fc.constantFrom(...PROTO_BODIES)), { minLength: 1, maxLength: 5 }).map((lines) => ({ bytes: Buffer.from(lines.join('\n')), contentType: 'application/x-ndjson', mustFail: undefined })) },
  ];
  if (schemaBody) options.push({ weight: 200, arbitrary: schemaBody.map((broken) => json(JSON.stringify(broken.value), `schema-invalid body: ${broken.violation}`)) });
  if (isEvents) options.push({ weight: 200, arbitrary: eventBatch });
  return fc.oneof(...options);
}

const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/json; charset=utf-16',
  'APPLICATION/JSON', 'application/json;;', 'application/json, text/plain', 'application/x-www-form-urlencoded', 'text/plain',
  'multipart/form-data; boundary=xyz', 'application/xml', '', ';', 'application/x-ndjson', 'application/vnd.api+json',
  'application/merge-patch+json', 'application/json; charset="\u00ff"', '*/*', 'application/*',
];

// ---------------------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------------------

const JUNK_AUTHORIZATION = [
  '', 'Bearer', 'Bearer ', 'Bearer  ', 'bearer', 'Basic YWRtaW46dGVzdC1hZG1pbi1wYXNzd29yZA==', 'Basic', 'Basic %%%', 'Negotiate YIIB',
  'Digest username="admin"', 'Bearer null', 'Bearer undefined', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.', 'Bearer ../../etc',
  'Token abc', 'Bearer \u00ff\u00fe', `Bearer ${'A'.repeat(8000)}`, `Bearer ${'A'.repeat(15_000)}`, 'Bearer a b c', 'Bearer\tabc',
];

const authorization: fc.Arbitrary<[string, HeaderValue][]> = fc.oneof(
  { weight: 20, arbitrary: fc.constant([['Authorization', { token: 'admin' as const, format: (t: string) => `Bearer ${t}` }]] as [string, HeaderValue][]) },
  { weight: 3, arbitrary: fc.constantFrom<Credentials>('ingest', 'reader').map((token) => [['Authorization', { token, format: (t: string) => `Bearer ${t}` }]] as [string, HeaderValue][]) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      (t: string) => `bearer ${t}`, (t: string) => `BEARER ${t}`, (t: string) => `Bearer  ${t}`, (t: string) => `Bearer ${t}x`,
      (t: string) => `Bearer ${t.slice(0, -1)}`, (t: string) => `Bearer ${t}, Bearer ${t}`, (t: string) => `Bearer ${t} `,
      (t: string) => t, (t: string) => `Basic ${t}`, (t: string) => `Bearer ${t.toUpperCase()}`, (t: string) => `Bearer ${encodeURIComponent(t)}%00`,
    ).map((format) => [['Authorization', { token: 'admin' as const, format }]] as [string, HeaderValue][]),
  },
  { weight: 2, arbitrary: fc.constant([['Authorization', { token: 'admin' as const, format: (t: string) => `Bearer ${t}` }], ['Authorization', 'Bearer forged']] as [string, HeaderValue][]) },
  { weight: 8, arbitrary: fc.constant([] as [string, HeaderValue][]) },
  { weight: 12, arbitrary: fc.oneof(fc.constantFrom(...JUNK_AUTHORIZATION), fc.string({ maxLength: 40 }).map((junk) => `Bearer ${junk}`)).map((value) => [['Authorization', value]] as [string, HeaderValue][]) },
);

const OTHER_HEADERS: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.constantFrom('3.0', '3.2', '3.3', '3.5', '99', '', ' ', 'abc', '3.', '3.2.1.4', '-1.0', 'Infinity', '3.2; drop', '\u00ff').map((v) => ['X-Client-Version', v] as [string, string]),
  fc.oneof(fc.uuid(), fc.constantFrom('', 'not-a-guid', '{}', '0'.repeat(5000), '00000000000000000000000000000000', '(92460656-7a85-4a04-b1af-1ea903c0bc2e)'), fc.string({ maxLength: 40 })).map((v) => ['X-Request-id', v] as [string, string]),
  fc.constantFrom('application/xml', 'text/html', '*/*;q=abc', '', 'application/json;q=0', 'image/png').map((v) => ['Accept', v] as [string, string]),
  fc.constantFrom('gzip', 'deflate', 'br', 'identity, gzip', 'compress', 'x-unknown').map((v) => ['Content-Encoding', v] as [string, string]),
  fc.constantFrom('gzip', '*;q=0', 'identity;q=0', 'x-unknown', '').map((v) => ['Accept-Encoding', v] as [string, string]),
  fc.constantFrom('bytes=0-1', 'bytes=-1', 'bytes=99999999999999999999-', 'lines=1-2', '').map((v) => ['Range', v] as [string, string]),
  fc.constantFrom('1.1.1.1', '::1, 10.0.0.1', 'not-an-ip', '', '127.0.0.1, , ,').map((v) => ['X-Forwarded-For', v] as [string, string]),
  fc.constantFrom('https', 'gopher', '').map((v) => ['X-Forwarded-Proto', v] as [string, string]),
  fc.constantFrom('a=b', '__proto__=1', `session=${'c'.repeat(3000)}`, ';;;').map((v) => ['Cookie', v] as [string, string]),
  fc.constantFrom('*', 'null', 'https://evil.example').map((v) => ['Origin', v] as [string, string]),
  fc.constantFrom('GET', 'DELETE', 'X').map((v) => ['X-HTTP-Method-Override', v] as [string, string]),
  fc.constantFrom('100-continue', 'nonsense').map((v) => ['Expect', v] as [string, string]),
  fc.tuple(fc.constantFrom('X-Junk', 'x-fuzz', 'Content-Type', 'Host', 'Content-Language'), fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?'))),
);

const HOSTS = ['localhost', '127.0.0.1', 'evil.example', '', '[::1]', 'localhost:99999', 'a'.repeat(300), 'localhost, evil.example', '\u00ff'];

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'SEARCH'];
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const RAW_STYLES: RawStyle[] = [
  'space-in-path', 'control-in-path', 'utf8-path', 'http2-version', 'garbage-line', 'absolute-form', 'asterisk', 'header-no-colon',
  'header-space-name', 'latin1-header-name', 'obs-fold', 'nul-in-header', 'double-content-length', 'te-and-cl', 'bad-chunk', 'negative-length', 'huge-length',
  'lowercase-method', 'bare-lf', 'pipelined',
];

function hasValidToken(headers: [string, HeaderValue][]): boolean {
  return headers.some(([name, value]) => name.toLowerCase() === 'authorization' && typeof value !== 'string');
}

const percent = fc.noBias(fc.integer({ min: 0, max: 99 }));

export function requestArbitrary(routes: Route[]): fc.Arbitrary<FuzzRequest> {
  const perRoute = routes.map((route) =>
    fc
      .record({
        method: fc.oneof({ weight: 6, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) }),
        listener: fc.constantFrom(...route.listeners),
        path: pathOf(route),
        query: queryOf(route),
        auth: authorization,
        body: fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: bodyOf(route) }),
        // Mostly the content type that goes with the body; now and then another one.
        contentType: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
        others: fc.array(OTHER_HEADERS, { maxLength: 4 }),
        host: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTS) }),
        // Unbiased: fast-check favours small integers, which would inflate these shares.
        noHost: percent.map((n) => n === 0),
        transport: percent.map((n): FuzzRequest['transport'] => (n < 4 ? 'https' : n < 8 ? 'raw' : 'http')),
        rawStyle: fc.constantFrom(...RAW_STYLES),
      })
      .map((draw): FuzzRequest => {
        const withBody = draw.body !== undefined && (BODY_METHODS.has(draw.method) || draw.method === 'GET');
        let auth = draw.auth;
        // Deleting something that the path does not name (a license, the session) needs no malformed
        // part to succeed: such requests never carry a valid token.
        const namesNothing = !route.parameters.some((parameter) => parameter.in === 'path');
        if (draw.method === 'DELETE' && (namesNothing || route.method !== 'DELETE') && hasValidToken(auth)) auth = [['Authorization', 'Bearer revoked']];
        const headers: [string, HeaderValue][] = [];
        if (!draw.noHost) headers.push(['Host', draw.host ?? 'localhost']);
        headers.push(...auth);
        if (withBody) {
          const contentType = draw.contentType ?? draw.body!.contentType;
          if (contentType !== undefined) headers.push(['Content-Type', contentType]);
        }
        headers.push(...draw.others);
        return {
          transport: draw.transport,
          listener: draw.listener,
          method: draw.method,
          target: `${draw.path}${draw.query}`,
          headers,
          body: withBody ? draw.body!.bytes : undefined,
          route: route.id,
          // Only when the body reached the route as JSON does the schema decide; otherwise a 2xx is
          // still not expected, but the fuzzer cannot be certain the route reads a body at all.
          mustFail: withBody && draw.contentType === undefined && draw.method === route.method ? draw.body!.mustFail : undefined,
          ...(draw.transport === 'raw' ? { rawStyle: draw.rawStyle } : {}),
        };
      }),
  );
  return fc.oneof(...perRoute);
}
