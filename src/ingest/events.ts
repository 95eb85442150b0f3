/**
 * The event vocabulary of contract §4: schemas, validation with precise per-field errors, and the
 * canonical form used for idempotency (same id + same canonical content = duplicate).
 */
import Type, { type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { AGENT_MODES, type AgentMode } from '../domain/licenses.js';
import { backupConsumesLicense, USER_KINDS, type UserKind } from '../domain/vb365.js';
import type { AgentEvent } from '../domain/vspc.js';
import { formatInstant, parseRfc3339, type Instant } from '../time.js';

export const MAX_EVENTS_PER_BATCH = 10_000;
export const MAX_BATCH_BYTES = 10 * 1024 * 1024;

const Uuid = Type.String({ format: 'uuid' });
// Control characters (NUL above all, which PostgreSQL cannot store) are never part of a name or id.
export const PRINTABLE = '^[^\\u0000-\\u001f\\u007f]*$';
const Name = Type.String({ minLength: 1, maxLength: 400, pattern: PRINTABLE });
const Id = Type.String({ minLength: 1, maxLength: 200, pattern: PRINTABLE });
const Mode = Type.Enum([...AGENT_MODES]);

const payloadSchemas = {
  'vb365.backup': Type.Object(
    {
      organizationId: Uuid,
      user: Type.Object(
        {
          id: Id,
          name: Name,
          kind: Type.Optional(Type.Enum([...USER_KINDS])),
          m365Licensed: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  'vb365.dataRemoved': Type.Object(
    { organizationId: Uuid, userId: Id },
    { additionalProperties: false },
  ),
  'vb365.licenseRevoked': Type.Object(
    { organizationId: Uuid, userId: Id },
    { additionalProperties: false },
  ),
  'vspc.agentActivated': Type.Object(
    {
      companyUid: Uuid,
      agent: Type.Object({ uid: Uuid, name: Name, mode: Mode }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
  'vspc.agentModeChanged': Type.Object({ agentUid: Uuid, mode: Mode }, { additionalProperties: false }),
  'vspc.agentDeactivated': Type.Object({ agentUid: Uuid }, { additionalProperties: false }),
} satisfies Record<string, TSchema>;

export type EventType = keyof typeof payloadSchemas;
export const EVENT_TYPES = Object.keys(payloadSchemas) as EventType[];

type Payload<T extends EventType> = Static<(typeof payloadSchemas)[T]>;

/** A validated event with its instant in epoch ms and defaults applied. */
export type LedgerEvent = {
  [T in EventType]: { id: string; type: T; at: Instant } & Payload<T>;
}[EventType];

export type Vb365BackupEvent = Extract<LedgerEvent, { type: 'vb365.backup' }>;

export interface FieldError {
  index: number;
  field: string;
  message: string;
}

// Compiled when first needed: valid events usually never reach the generic validator (`acceptValid`).
let compiled: Record<EventType, ReturnType<typeof Compile>> | undefined;
function validatorOf(type: EventType): ReturnType<typeof Compile> {
  compiled ??= Object.fromEntries(
    Object.entries(payloadSchemas).map(([name, schema]) => [name, Compile(schema as TSchema)]),
  ) as unknown as Record<EventType, ReturnType<typeof Compile>>;
  return compiled[type];
}

const ENVELOPE_FIELDS = new Set(['id', 'type', 'at']);
const PRINTABLE_TEXT = new RegExp(PRINTABLE);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pointerToField(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/** Turns the validator's errors into one clear message per field. */
function payloadErrors(type: EventType, payload: Record<string, unknown>, index: number): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of validatorOf(type).Errors(payload)) {
    let field = pointerToField(error.instancePath);
    let message: string;
    switch (error.keyword) {
      case 'boolean': // "schema is false": reported once below as an unknown field
        continue;
      case 'additionalProperties': {
        const extra = (error.params as { additionalProperties?: string[] }).additionalProperties ?? [];
        for (const name of extra) {
          const path = field ? `${field}.${name}` : name;
          if (!seen.has(path)) {
            seen.add(path);
            errors.push({ index, field: path, message: `unknown field for event type ${type}` });
          }
        }
        continue;
      }
      case 'required': {
        const missing = (error.params as { requiredProperties?: string[] }).requiredProperties ?? [];
        for (const name of missing) {
          const path = field ? `${field}.${name}` : name;
          if (!seen.has(path)) {
            seen.add(path);
            errors.push({ index, field: path, message: 'is required' });
          }
        }
        continue;
      }
      case 'enum': {
        const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues ?? [];
        message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      }
      case 'format':
        message = `must be a ${(error.params as { format?: string }).format ?? 'valid value'}`;
        break;
      case 'pattern':
        message = 'must not contain control characters';
        break;
      default:
        message = error.message;
    }
    if (!field) field = '(event)';
    if (seen.has(field)) continue;
    seen.add(field);
    errors.push({ index, field, message });
  }
  return errors;
}

export type ValidationResult =
  | { ok: true; event: LedgerEvent; canonical: string }
  | { ok: false; errors: FieldError[] };

/** Validates one raw event (already parsed JSON) and returns its normalized form. */
export function validateEvent(raw: unknown, index: number): ValidationResult {
  return acceptValid(raw) ?? validateThoroughly(raw, index);
}

/**
 * The thorough path: every problem of the event with its field and message, and the normalized
 * event built generically. It defines what is valid; `acceptValid` must agree with it.
 */
export function validateThoroughly(raw: unknown, index: number): ValidationResult {
  if (!isRecord(raw)) return { ok: false, errors: [{ index, field: '(event)', message: 'must be a JSON object' }] };
  const errors: FieldError[] = [];
  const { id, type, at } = raw;
  if (typeof id !== 'string' || id.length < 1 || id.length > 200) {
    errors.push({ index, field: 'id', message: 'must be a string of 1 to 200 characters' });
  } else if (!PRINTABLE_TEXT.test(id)) {
    errors.push({ index, field: 'id', message: 'must not contain control characters' });
  }
  let instant: Instant | null = null;
  if (typeof at !== 'string' || (instant = parseRfc3339(at)) === null) {
    errors.push({ index, field: 'at', message: 'must be an RFC 3339 date-time with an offset, e.g. 2026-11-01T08:00:00Z' });
  }
  // Own keys only: `toString` or `__proto__` is no event type (and has no validator).
  if (typeof type !== 'string' || !Object.hasOwn(payloadSchemas, type)) {
    errors.push({ index, field: 'type', message: `must be one of ${EVENT_TYPES.join(', ')}` });
    return { ok: false, errors };
  }
  const eventType = type as EventType;
  const payload: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) if (!ENVELOPE_FIELDS.has(key) && value !== undefined) payload[key] = value;
  errors.push(...payloadErrors(eventType, payload, index));
  if (errors.length > 0 || instant === null) return { ok: false, errors };

  const event = applyDefaults({ ...payload, id: id as string, type: eventType, at: instant } as LedgerEvent);
  return { ok: true, event, canonical: canonicalContent(event) };
}

// --- the fast path -------------------------------------------------------------------------------
//
// Ingestion validates every event of every batch; the thorough path costs about 10 µs an event
// (the generic validator, then building, normalizing and key-sorting copies), this one about 2.
// Events as integrations send them are plain objects of exactly the expected shape, and for those
// the checks below (the same constraints as the schemas, never looser) build the normalized event
// and its canonical text directly, key order written out by hand. Anything they do not accept,
// whether invalid or only unusual (an inherited prototype, an `undefined` value, a long name
// counted in code points), goes to the thorough path, which decides and explains.
// test/ingest/fast-validation.test.ts checks that both paths give the same result.

const UUID = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;
const USER_KIND_SET: ReadonlySet<unknown> = new Set(USER_KINDS);
const MODE_SET: ReadonlySet<unknown> = new Set(AGENT_MODES);
const quote = JSON.stringify;

/** A JSON-like object (Object.prototype, as JSON.parse makes) whose own keys are all in `allowed`. */
function plainWithin(value: unknown, allowed: ReadonlySet<string>): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

// Lengths in UTF-16 units bound the schemas' code-point lengths from above: a string accepted here
// is accepted there; a longer one (in units) is left to the thorough path.
function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= max && PRINTABLE_TEXT.test(value);
}

function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

const KEYS = {
  'vb365.backup': new Set(['id', 'type', 'at', 'organizationId', 'user']),
  'vb365.dataRemoved': new Set(['id', 'type', 'at', 'organizationId', 'userId']),
  'vb365.licenseRevoked': new Set(['id', 'type', 'at', 'organizationId', 'userId']),
  'vspc.agentActivated': new Set(['id', 'type', 'at', 'companyUid', 'agent']),
  'vspc.agentModeChanged': new Set(['id', 'type', 'at', 'agentUid', 'mode']),
  'vspc.agentDeactivated': new Set(['id', 'type', 'at', 'agentUid']),
} satisfies Record<EventType, ReadonlySet<string>>;
const USER_KEYS: ReadonlySet<string> = new Set(['id', 'name', 'kind', 'm365Licensed']);
const AGENT_KEYS: ReadonlySet<string> = new Set(['uid', 'name', 'mode']);

const DIGIT = (text: string, i: number) => text.charCodeAt(i) - 48;
const number = (text: string, from: number, to: number) => {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = DIGIT(text, i);
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
};

/**
 * The instant of a date-time already in the canonical form (`2026-11-01T08:00:00.000Z`, what
 * `toISOString` writes and most clients send), so that its text can be kept as it is; null for
 * any other form (the thorough parser then reads it). Years before 1000 and leap seconds are left
 * to it: their canonical text differs from what was sent.
 */
function canonicalInstant(text: string): number | null {
  if (text.length !== 24 || text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':' || text[19] !== '.' || text[23] !== 'Z') {
    return null;
  }
  const year = number(text, 0, 4), month = number(text, 5, 7), day = number(text, 8, 10);
  const hour = number(text, 11, 13), minute = number(text, 14, 16), second = number(text, 17, 19), ms = number(text, 20, 23);
  // NaN fails every comparison below.
  if (!(year >= 1000 && month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59 && ms >= 0)) return null;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days ? Date.UTC(year, month - 1, day, hour, minute, second, ms) : null;
}

/** The valid event normalized with its canonical content, or null to let the thorough path decide. */
function acceptValid(raw: unknown): { ok: true; event: LedgerEvent; canonical: string } | null {
  const r = raw as Record<string, unknown>;
  const { id, type } = r ?? {};
  if (typeof type !== 'string' || !Object.hasOwn(KEYS, type) || !plainWithin(raw, KEYS[type as EventType])) return null;
  if (!isText(id, 200) || typeof r.at !== 'string') return null;
  // Canonical content: keys sorted, `at` in UTC with milliseconds, uuids lower-cased, defaults filled.
  let at = canonicalInstant(r.at);
  let atText = r.at;
  if (at === null) {
    at = parseRfc3339(r.at);
    if (at === null) return null;
    atText = formatInstant(at);
  }
  // `head` is "at" and "id", adjacent in every type but agentActivated ("companyUid" sorts between).
  const head = `"at":${quote(atText)},"id":${quote(id)}`;
  switch (type as EventType) {
    case 'vb365.backup': {
      const { organizationId, user } = r;
      if (!isUuid(organizationId) || !plainWithin(user, USER_KEYS)) return null;
      const { id: userId, name, kind = 'user', m365Licensed = false } = user;
      if (!isText(userId, 200) || !isText(name, 400) || !USER_KIND_SET.has(kind) || typeof m365Licensed !== 'boolean') return null;
      const org = organizationId.toLowerCase();
      const event: LedgerEvent = { id, type: 'vb365.backup', at, organizationId: org, user: { id: userId, name, kind: kind as UserKind, m365Licensed } };
      const canonical = `{${head},"organizationId":${quote(org)},"type":"vb365.backup","user":{"id":${quote(userId)},"kind":${quote(kind)},"m365Licensed":${m365Licensed},"name":${quote(name)}}}`;
      return { ok: true, event, canonical };
    }
    case 'vb365.dataRemoved':
    case 'vb365.licenseRevoked': {
      const { organizationId, userId } = r;
      if (!isUuid(organizationId) || !isText(userId, 200)) return null;
      const org = organizationId.toLowerCase();
      const event = { id, type, at, organizationId: org, userId } as LedgerEvent;
      return { ok: true, event, canonical: `{${head},"organizationId":${quote(org)},"type":${quote(type)},"userId":${quote(userId)}}` };
    }
    case 'vspc.agentActivated': {
      const { companyUid, agent } = r;
      if (!isUuid(companyUid) || !plainWithin(agent, AGENT_KEYS)) return null;
      const { uid, name, mode } = agent;
      if (!isUuid(uid) || !isText(name, 400) || !MODE_SET.has(mode)) return null;
      const company = companyUid.toLowerCase();
      const agentUid = uid.toLowerCase();
      const event: LedgerEvent = { id, type: 'vspc.agentActivated', at, companyUid: company, agent: { uid: agentUid, name, mode: mode as AgentMode } };
      const canonical = `{"agent":{"mode":${quote(mode)},"name":${quote(name)},"uid":${quote(agentUid)}},"at":${quote(atText)},"companyUid":${quote(company)},"id":${quote(id)},"type":"vspc.agentActivated"}`;
      return { ok: true, event, canonical };
    }
    case 'vspc.agentModeChanged': {
      const { agentUid, mode } = r;
      if (!isUuid(agentUid) || !MODE_SET.has(mode)) return null;
      const uid = agentUid.toLowerCase();
      const event: LedgerEvent = { id, type: 'vspc.agentModeChanged', at, agentUid: uid, mode: mode as AgentMode };
      return { ok: true, event, canonical: `{"agentUid":${quote(uid)},${head},"mode":${quote(mode)},"type":"vspc.agentModeChanged"}` };
    }
    case 'vspc.agentDeactivated': {
      const { agentUid } = r;
      if (!isUuid(agentUid)) return null;
      const uid = agentUid.toLowerCase();
      const event: LedgerEvent = { id, type: 'vspc.agentDeactivated', at, agentUid: uid };
      return { ok: true, event, canonical: `{"agentUid":${quote(uid)},${head},"type":"vspc.agentDeactivated"}` };
    }
  }
}

/** Fills defaults and lower-cases uuids, so equal facts have equal canonical content. */
function applyDefaults(event: LedgerEvent): LedgerEvent {
  switch (event.type) {
    case 'vb365.backup': {
      const kind: UserKind = event.user.kind ?? 'user';
      return {
        ...event,
        organizationId: event.organizationId.toLowerCase(),
        user: { ...event.user, kind, m365Licensed: event.user.m365Licensed ?? false },
      };
    }
    case 'vb365.dataRemoved':
    case 'vb365.licenseRevoked':
      return { ...event, organizationId: event.organizationId.toLowerCase() };
    case 'vspc.agentActivated':
      return { ...event, companyUid: event.companyUid.toLowerCase(), agent: { ...event.agent, uid: event.agent.uid.toLowerCase() } };
    case 'vspc.agentModeChanged':
    case 'vspc.agentDeactivated':
      return { ...event, agentUid: event.agentUid.toLowerCase() };
  }
}

/** JSON with sorted keys and the instant in UTC: equal content gives equal text. */
export function canonicalContent(event: LedgerEvent): string {
  return stableStringify({ ...event, at: formatInstant(event.at) });
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Rebuilds the event from its stored canonical content. */
export function parseCanonical(content: string): LedgerEvent {
  const raw = JSON.parse(content) as Record<string, unknown> & { at: string };
  return { ...raw, at: Date.parse(raw.at) } as LedgerEvent;
}

export const AGENT_EVENT_TYPES: EventType[] = ['vspc.agentActivated', 'vspc.agentModeChanged', 'vspc.agentDeactivated'];

/** The engine's view of a VSPC agent event, with the agent it concerns; null for other events. */
export function agentEventOf(event: LedgerEvent): { agentUid: string; event: AgentEvent } | null {
  switch (event.type) {
    case 'vspc.agentActivated':
      return {
        agentUid: event.agent.uid,
        event: { id: event.id, at: event.at, type: 'activated', companyUid: event.companyUid, mode: event.agent.mode, name: event.agent.name },
      };
    case 'vspc.agentModeChanged':
      return { agentUid: event.agentUid, event: { id: event.id, at: event.at, type: 'modeChanged', mode: event.mode } };
    case 'vspc.agentDeactivated':
      return { agentUid: event.agentUid, event: { id: event.id, at: event.at, type: 'deactivated' } };
    default:
      return null;
  }
}

/** Whether a backup event consumes a VB365 license unit (rules 1–2). */
export function isCountingBackup(event: LedgerEvent): event is Vb365BackupEvent {
  return event.type === 'vb365.backup' && backupConsumesLicense(event.user.kind ?? 'user', event.user.m365Licensed ?? false);
}
