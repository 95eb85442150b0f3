/**
 * The audit log: every change made through the admin API and the faces is recorded with who
 * (the account, or `system`), when, from where (the client address) and what (an action, its
 * target and details). Details never hold secrets: values under secret-looking keys are replaced
 * before they are written, whatever the caller passed.
 *
 * `at` is the server's wall clock (Date.now), never the time-travel clock: the log says when a
 * change really happened; the instant the licensing answers were computed at is a detail of
 * `clock.set` entries.
 *
 * Usage from a route (the request carries the principal the guard found and the client address):
 *
 *     import * as audit from '../../services/audit.js';
 *     await audit.record(ctx.store.db, request, { action: 'report.approve', target: `vb365-report/${id}`, details: { month } });
 *
 * Inside a transaction pass the transaction instead of `ctx.store.db`, so the entry commits with
 * the change or not at all. For a change that commits on its own (a service with its own
 * transaction) call `audit.recordCommitted` after it: a failure to record is logged with the whole
 * entry and rethrown, never lost silently.
 */
import type { Kysely } from 'kysely';
import { insertAuditEntry, type NewAuditRow } from '../store/audit.js';
import type { Database } from '../store/schema.js';
import type { Principal } from './auth.js';

/** Who made a change: a request (its principal and address) or an explicit actor. */
export type Who =
  | { principal?: Principal | undefined; ip?: string | undefined; log?: { error(details: object, message: string): void } }
  | Actor;

export interface Actor {
  actor: string;
  actorUid: string | null;
  clientAddress: string | null;
}

/** Changes made by Tally itself or by a command on the server's machine. */
export const SYSTEM: Actor = { actor: 'system', actorUid: null, clientAddress: null };

export interface Change {
  /** `<subject>.<verb>`, lower case: `account.create`, `token.revoke`, `license.put`, … */
  action: string;
  /** What was changed: `account/alice`, `company/<uid>`, `license/vb365`, … */
  target: string;
  details?: Record<string, unknown>;
}

function actorOf(who: Who): Actor {
  if ('actor' in who) return who;
  return {
    actor: who.principal?.username ?? 'anonymous',
    actorUid: who.principal?.uid ?? null,
    clientAddress: who.ip ?? null,
  };
}

// A key that names a credential: its string value is never written.
const SECRET_KEY = /pass(word|phrase)?|secret|token|authorization|credential|cookie|^key$|apikey|hash|private/i;
export const REDACTED = '[redacted]';

/** A copy of `value` with every string under a secret-looking key replaced (booleans such as `passwordChanged` stay). */
export function redactSecrets(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, k)]));
  }
  if (typeof value === 'string' && SECRET_KEY.test(key)) return REDACTED;
  return value;
}

export function entryFor(who: Who, change: Change, at: number = Date.now()): NewAuditRow {
  const actor = actorOf(who);
  return {
    at,
    actor: actor.actor,
    actor_uid: actor.actorUid,
    client_address: actor.clientAddress,
    action: change.action,
    target: change.target,
    details: JSON.stringify(redactSecrets(change.details ?? {})),
  };
}

/** Records a change; pass the change's transaction as `db` where there is one. */
export async function record(db: Kysely<Database>, who: Who, change: Change): Promise<void> {
  await insertAuditEntry(db, entryFor(who, change));
}

/**
 * Records a change that has already committed. If the entry cannot be written, it is logged in
 * full (so it is in the server's log at least) and the error is rethrown: the client gets an
 * error answer and may repeat its (idempotent) request, which records it again.
 */
export async function recordCommitted(db: Kysely<Database>, who: Who, change: Change): Promise<void> {
  const entry = entryFor(who, change);
  try {
    await insertAuditEntry(db, entry);
  } catch (error) {
    const log = 'log' in who ? who.log : undefined;
    if (log) log.error({ err: error, audit: entry }, 'audit entry not recorded');
    else process.emitWarning(`audit entry not recorded: ${JSON.stringify(entry)}: ${(error as Error).message}`, 'TallyAuditWarning');
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Refusals

/**
 * Refusals are audited too (docs/security.md, "Refusals leave a trace"): failed logins
 * (`login.failed`, with the user name as given and the reason), throttled logins
 * (`login.throttled`), 401 and 403 on protected routes (`auth.unauthenticated`,
 * `auth.forbidden`), API-key use (`apikey.use`) and scope refusals (`scope.refused`). Each
 * written entry is also one structured log line (`log.warn({ audit }, action)`, through the
 * request's pino logger).
 *
 * Anyone can cause a refusal, so they are **rate-limited per process**: at most
 * `REFUSALS_PER_MINUTE` entries (and log lines) per action and client address (per action and
 * key for `apikey.use`) in a minute; the ones past that are counted and the next entry written
 * for that action and address says how many were left out (`details.suppressed`). A refusal's
 * entry is never worth failing the request for: a write that fails is logged and the answer
 * goes out as it would have.
 */
export const REFUSALS_PER_MINUTE = 10;
const REFUSAL_WINDOW_MS = 60_000;
const MAX_LIMITER_KEYS = 10_000;

export interface RefusalWho {
  principal?: Principal | undefined;
  ip?: string | undefined;
  log?: { warn(details: object, message: string): void; error(details: object, message: string): void } | undefined;
}

export class RefusalLimiter {
  private readonly windows = new Map<string, { start: number; written: number; suppressed: number; carried: number }>();

  constructor(
    private readonly perWindow = REFUSALS_PER_MINUTE,
    private readonly windowMs = REFUSAL_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether to write this one, and how many of its kind were left out since the last written one. */
  admit(key: string): { write: boolean; suppressed: number } {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      const carried = window ? window.suppressed + window.carried : 0;
      if (!window && this.windows.size >= MAX_LIMITER_KEYS) this.prune(now);
      window = { start: now, written: 0, suppressed: 0, carried };
      this.windows.set(key, window);
    }
    if (window.written >= this.perWindow) {
      window.suppressed++;
      return { write: false, suppressed: 0 };
    }
    window.written++;
    const suppressed = window.carried;
    window.carried = 0;
    return { write: true, suppressed };
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
    // Still full (a flood from many addresses): forget the oldest half; their counts are lost, not their entries.
    if (this.windows.size >= MAX_LIMITER_KEYS) {
      let drop = this.windows.size / 2;
      for (const key of this.windows.keys()) {
        if (drop-- <= 0) break;
        this.windows.delete(key);
      }
    }
  }
}

/** The limiter shared by every listener of the process. */
export const refusalLimiter = new RefusalLimiter();

/**
 * Text a client chose (a user name as given, a path) made safe to store and log: control
 * characters escaped (PostgreSQL refuses NUL in text), at most `max` characters.
 */
export function clientText(value: string, max = 200): string {
  const escaped = value.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

/** Records a refusal (rate-limited, never throws). `limitKey` replaces the client address in the limiter's key. */
export async function recordRefusal(
  db: Kysely<Database>,
  who: RefusalWho,
  change: Change,
  options: { limitKey?: string; limiter?: RefusalLimiter } = {},
): Promise<void> {
  const limiter = options.limiter ?? refusalLimiter;
  const admitted = limiter.admit(`${change.action}|${options.limitKey ?? who.ip ?? ''}`);
  if (!admitted.write) return;
  const details = admitted.suppressed > 0 ? { ...(change.details ?? {}), suppressed: admitted.suppressed } : change.details;
  const entry = entryFor(who, { ...change, details });
  who.log?.warn({ audit: { ...entry, details: JSON.parse(entry.details) as unknown } }, change.action);
  try {
    await insertAuditEntry(db, entry);
  } catch (error) {
    if (who.log) who.log.error({ err: error, audit: entry }, 'audit entry of a refusal not recorded');
    else process.emitWarning(`audit entry not recorded: ${JSON.stringify(entry)}: ${(error as Error).message}`, 'TallyAuditWarning');
  }
}

/** A refusal recorder bound to one request (for code that must not know the database). */
export type RefusalSink = (change: Change, options?: { limitKey?: string }) => Promise<void>;

export function refusalSink(db: Kysely<Database>, who: RefusalWho): RefusalSink {
  return (change, options) => recordRefusal(db, who, change, options);
}

/**
 * A confined account named an object that exists outside its scope. The answer is exactly the
 * missing object's (`missing`, returned for the caller to throw), so nothing about other tenants
 * leaks; the refusal is recorded (`scope.refused`, rate-limited like every refusal) so that probing
 * leaves a trace.
 */
export async function scopeRefusal(
  db: Kysely<Database>,
  who: { principal: Principal; ip?: string | undefined; log?: object | undefined },
  target: string,
  missing: Error,
): Promise<Error> {
  const log = who.log && 'warn' in who.log ? (who.log as RefusalWho['log']) : undefined;
  await recordRefusal(db, { principal: who.principal, ip: who.ip, log }, { action: 'scope.refused', target, details: { scopeUid: who.principal.scopeUid } });
  return missing;
}
