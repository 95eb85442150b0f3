/**
 * The event vocabulary of contract §4, written once as TypeBox schemas: validation with precise
 * per-field errors (TypeBox), and, derived from the same schemas when this module loads
 * (ingest/eventCodec.ts), the fast check for events of the usual shape, the normalized event
 * (defaults, lower-cased UUIDs) and the canonical form used for idempotency (same id + same
 * canonical content = duplicate).
 */
import Type, { type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { AGENT_MODES, type AgentMode } from '../domain/licenses.js';
import { backupConsumesLicense, USER_KINDS, type UserKind } from '../domain/vb365.js';
import type { AgentEvent } from '../domain/vspc.js';
import { parseRfc3339, type Instant } from '../time.js';
import { codecOf, UNSURE, type Codec } from './eventCodec.js';

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
          kind: Type.Optional(Type.Enum([...USER_KINDS], { default: 'user' })),
          m365Licensed: Type.Optional(Type.Boolean({ default: false })),
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

/**
 * Whole events: the envelope (`id`, `type`, `at`) and the payload. The envelope's errors are
 * explained by `validateThoroughly` itself; these schemas give the fast check and the canonical
 * form their keys.
 */
const DateTime = Type.String({ format: 'date-time' });
const eventSchemas = Object.fromEntries(
  Object.entries(payloadSchemas).map(([type, payload]) => [
    type,
    Type.Object({ id: Id, type: Type.Literal(type), at: DateTime, ...payload.properties }, { additionalProperties: false }),
  ]),
) as unknown as Record<EventType, TSchema>;

const codecs = Object.fromEntries(Object.entries(eventSchemas).map(([type, schema]) => [type, codecOf(schema)])) as Record<EventType, Codec>;

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

  const codec = codecs[eventType];
  const event = codec.normalize({ ...payload, id, type: eventType, at }) as LedgerEvent;
  return { ok: true, event, canonical: codec.write(event) };
}

// --- the fast path -------------------------------------------------------------------------------
//
// Ingestion validates every event of every batch; the thorough path costs several times more than
// this one (the generic validator, then building and normalizing copies). Events as integrations
// send them are plain objects of exactly the expected shape, and for those the codec derived from
// the schemas (ingest/eventCodec.ts) checks, normalizes and writes the canonical text in one
// pass. Anything it does not accept, whether invalid or only unusual (an inherited prototype, an
// `undefined` value, a long name counted in code points), goes to the thorough path, which
// decides and explains. test/ingest/fast-validation.test.ts checks that both paths give the same
// result.

/** The valid event normalized with its canonical content, or null to let the thorough path decide. */
function acceptValid(raw: unknown): { ok: true; event: LedgerEvent; canonical: string } | null {
  const type = (raw as { type?: unknown } | null | undefined)?.type;
  if (typeof type !== 'string' || !Object.hasOwn(codecs, type)) return null;
  const codec = codecs[type as EventType];
  const event = codec.accept(raw);
  if (event === UNSURE) return null;
  return { ok: true, event: event as LedgerEvent, canonical: codec.write(event) };
}

/** JSON with sorted keys and the instant in UTC: equal content gives equal text. */
export function canonicalContent(event: LedgerEvent): string {
  return codecs[event.type].write(event);
}

/** Rebuilds the event from its stored canonical content. */
export function parseCanonical(content: string): LedgerEvent {
  const raw = JSON.parse(content) as Record<string, unknown> & { at: string };
  return { ...raw, at: parseRfc3339(raw.at)! } as LedgerEvent;
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
