/**
 * A batch's request body, from its bytes to validated events in canonical form: strict UTF-8,
 * then `{"events":[…]}` (application/json) or one event a line (NDJSON), then every event checked.
 * This is the CPU-heavy part of ingestion, run in the ingestion worker off the thread that answers
 * reads (services/ingestionWorker.ts), or in process by commands and tests; both give the same
 * answers, which are those Fastify's JSON parser and the route gave when they did this work.
 */
import { MAX_EVENTS_PER_BATCH, validateEvent, type FieldError } from '../ingest/events.js';
import type { PreparedEvent } from '../store/ledgerRows.js';

export type BodyFormat = 'json' | 'ndjson';

/** Why a body holds no batch; each has one answer (http/tally/events.ts). */
export type BodyProblem =
  /** Not UTF-8, not JSON, or prototype poisoning: answered like Fastify's JSON parser does. */
  | { kind: 'syntax'; message: string }
  | { kind: 'empty-json' }
  /** JSON, but not `{"events":[…]}` and nothing else. */
  | { kind: 'shape' }
  | { kind: 'too-large'; size: number }
  /** Lines that are not JSON, or events that are not valid: nothing is stored. */
  | { kind: 'invalid'; errors: FieldError[] }
  /** Events naming objects outside the account's scope (services/batchScope.ts): nothing is stored. */
  | { kind: 'out-of-scope'; errors: FieldError[] };

export type PreparedBody = { ok: true; events: PreparedEvent[]; count: number } | { ok: false; problem: BodyProblem };

// Enough to fix a batch; a batch of 10,000 broken events should not answer with a 10,000-item list.
const MAX_REPORTED_ERRORS = 100;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function prepareBody(body: Uint8Array, format: BodyFormat): PreparedBody {
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    return { ok: false, problem: { kind: 'syntax', message: 'the body is not valid UTF-8' } };
  }
  const raw = format === 'ndjson' ? ndjsonEvents(text) : jsonEvents(text);
  if (!Array.isArray(raw)) return { ok: false, problem: raw };
  return prepareEvents(raw);
}

/** Validates parsed events (all of them, then all or nothing). */
export function prepareEvents(raw: readonly unknown[]): PreparedBody {
  if (raw.length > MAX_EVENTS_PER_BATCH) return { ok: false, problem: { kind: 'too-large', size: raw.length } };
  const events: PreparedEvent[] = [];
  const errors: FieldError[] = [];
  for (let index = 0; index < raw.length; index++) {
    const result = validateEvent(raw[index], index);
    if (result.ok) events.push(result);
    else errors.push(...result.errors);
  }
  if (errors.length > 0) return { ok: false, problem: { kind: 'invalid', errors: errors.slice(0, MAX_REPORTED_ERRORS) } };
  return { ok: true, events, count: raw.length };
}

function ndjsonEvents(text: string): unknown[] | BodyProblem {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length > MAX_EVENTS_PER_BATCH) return { kind: 'too-large', size: lines.length };
  const errors: FieldError[] = [];
  const events = lines.map((line, index) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      errors.push({ index, field: '(event)', message: `line ${index + 1} is not valid JSON` });
      return null;
    }
  });
  return errors.length > 0 ? { kind: 'invalid', errors } : events;
}

function jsonEvents(text: string): unknown[] | BodyProblem {
  if (text.trim() === '') return { kind: 'empty-json' };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // Fastify's own wording, which every other admin route answers for the same mistake.
    return { kind: 'syntax', message: "Body is not valid JSON but content-type is set to 'application/json'" };
  }
  // As Fastify's parser (secure-json-parse, onProtoPoisoning 'error'): a body that could pollute
  // a prototype is refused, whatever it holds.
  if ((text.includes('__proto__') || text.includes('constructor')) && poisoned(body)) {
    return { kind: 'syntax', message: 'Object contains forbidden prototype property' };
  }
  if (
    typeof body !== 'object' || body === null || !Array.isArray((body as { events?: unknown }).events) ||
    !Object.keys(body).every((key) => key === 'events')
  ) {
    return { kind: 'shape' };
  }
  return (body as { events: unknown[] }).events;
}

function poisoned(value: unknown): boolean {
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (Object.prototype.hasOwnProperty.call(node, '__proto__')) return true;
    const ctor = (node as Record<string, unknown>).constructor;
    if (Object.prototype.hasOwnProperty.call(node, 'constructor') && typeof ctor === 'object' && ctor !== null && Object.prototype.hasOwnProperty.call(ctor, 'prototype')) return true;
    for (const child of Object.values(node)) stack.push(child);
  }
  return false;
}
