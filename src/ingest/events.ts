/**
 * The event vocabulary of contract §4: schemas, validation with precise per-field errors, and the
 * canonical form used for idempotency (same id + same canonical content = duplicate).
 */
import Type, { type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { AGENT_MODES } from '../domain/licenses.js';
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

const compiled = Object.fromEntries(
  Object.entries(payloadSchemas).map(([type, schema]) => [type, Compile(schema as TSchema)]),
) as unknown as Record<EventType, ReturnType<typeof Compile>>;

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
  for (const error of compiled[type].Errors(payload)) {
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
  if (typeof type !== 'string' || !(type in payloadSchemas)) {
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
