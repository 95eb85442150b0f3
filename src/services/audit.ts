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
