/**
 * What an append writes, computed without I/O and shared by both write paths (SQLite's prepared
 * statements in sqliteLedger.ts, Kysely on PostgreSQL in ledger.ts): the batch without its inner
 * duplicates, the `events` rows, and the read-model rows pre-aggregated per key.
 */
import { agentStateAt, type AgentEvent } from '../domain/vspc.js';
import { agentEventOf, isCountingBackup, type LedgerEvent } from '../ingest/events.js';
import type { AuditRow, VspcAgentRow } from './schema.js';

export interface PreparedEvent {
  event: LedgerEvent;
  canonical: string;
}

/**
 * What a commit did to the ledger's counter and which families of answers its events can change:
 * VB365 answers read only VB365 events, the VSPC pool only VSPC events (separate read models).
 * `before` → `after` is the counter's move in that one commit (read inside its transaction).
 */
export interface LedgerChange {
  before: number;
  after: number;
  vb365: boolean;
  vspc: boolean;
}

export function familiesOf(events: readonly LedgerEvent[]): { vb365: boolean; vspc: boolean } {
  let vb365 = false;
  let vspc = false;
  for (const event of events) {
    if (event.type.startsWith('vb365.')) vb365 = true;
    else vspc = true;
  }
  return { vb365, vspc };
}

export interface AppendResult {
  accepted: number;
  duplicates: number;
}

/** An event id already in the ledger (or twice in one batch) with different content. */
/**
 * The audit entry of one batch (services/audit.ts builds it, secrets redacted), written in the
 * batch's own transaction with its size and outcome as details: plain data, so that it can be
 * handed to the ingestion worker.
 */
export interface IngestAudit extends Omit<AuditRow, 'id' | 'details'> {
  /** The number of events the batch held. */
  count: number;
}

export function ingestAuditRow(audit: IngestAudit, result: AppendResult): Omit<AuditRow, 'id'> {
  const { count, ...row } = audit;
  return { ...row, details: JSON.stringify({ count, accepted: result.accepted, duplicates: result.duplicates }) };
}

export class EventConflictError extends Error {
  constructor(readonly eventId: string, readonly index: number) {
    super(`event ${JSON.stringify(eventId)} was already recorded with different content`);
  }
}

export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A batch without the events it repeats, in id order. */
export interface DistinctBatch {
  /** Inserting in id order (and upserting read-model rows in key order) makes concurrent batches on PostgreSQL lock in the same order. */
  ordered: PreparedEvent[];
  /** Where an id first appears in the request, for error messages. */
  indexOf(id: string): number;
  /** Repeats of an event inside the batch itself. */
  duplicates: number;
}

/**
 * Drops the batch's inner duplicates; an id repeated with other content fails the whole batch.
 * By sorting (stable: repeats stay in request order) rather than with maps of every id, since the
 * batch may wait a while for its commit.
 */
export function distinctEvents(batch: readonly PreparedEvent[]): DistinctBatch {
  const sorted = [...batch].sort((a, b) => compareKeys(a.event.id, b.event.id));
  const ordered: PreparedEvent[] = [];
  let duplicates = 0;
  let conflicts: PreparedEvent[] | undefined;
  for (const item of sorted) {
    const previous = ordered[ordered.length - 1];
    if (previous === undefined || previous.event.id !== item.event.id) ordered.push(item);
    else if (previous.canonical === item.canonical) duplicates++;
    else (conflicts ??= []).push(item);
  }
  if (conflicts) {
    // The first conflicting repeat in request order is the one reported.
    const position = new Map(batch.map((item, index) => [item, index]));
    const first = conflicts.reduce((a, b) => (position.get(a)! <= position.get(b)! ? a : b));
    throw new EventConflictError(first.event.id, position.get(first)!);
  }
  return { ordered, indexOf: (id) => batch.findIndex((item) => item.event.id === id), duplicates };
}

export function scopeAndSubject(event: LedgerEvent): { scope_id: string | null; subject_id: string } {
  switch (event.type) {
    case 'vb365.backup':
      return { scope_id: event.organizationId, subject_id: event.user.id };
    case 'vb365.dataRemoved':
    case 'vb365.licenseRevoked':
      return { scope_id: event.organizationId, subject_id: event.userId };
    case 'vspc.agentActivated':
      return { scope_id: event.companyUid, subject_id: event.agent.uid };
    case 'vspc.agentModeChanged':
    case 'vspc.agentDeactivated':
      return { scope_id: null, subject_id: event.agentUid };
  }
}

export interface UserRow {
  organization_id: string;
  user_id: string;
  name: string;
  first: number;
  last: number;
}

export interface RevocationRow {
  organization_id: string;
  user_id: string;
  revoked_at: number;
}

export interface AgentCompanyRow {
  agent_uid: string;
  company_uid: string;
}

/** The read-model rows new events call for, one per key, in key order; and each touched agent's new events. */
export interface ReadModelRows {
  /** Counting backups per (organization, user): first and last instant, the latest name. */
  users: UserRow[];
  /** The latest revocation per (organization, user). */
  revocations: RevocationRow[];
  agentCompanies: AgentCompanyRow[];
  /** The new events of every agent they concern, by agent uid (uids in order). */
  agents: Map<string, AgentEvent[]>;
}

export function readModelRows(events: readonly LedgerEvent[]): ReadModelRows {
  const users = new Map<string, UserRow>();
  const revocations = new Map<string, RevocationRow>();
  const agentCompanies = new Map<string, AgentCompanyRow>();
  const agents = new Map<string, AgentEvent[]>();
  for (const event of events) {
    if (isCountingBackup(event)) {
      // A separator no uuid contains: the user id is free text, the organization id a uuid.
      const key = `${event.organizationId} ${event.user.id}`;
      const row = users.get(key);
      if (!row) {
        users.set(key, { organization_id: event.organizationId, user_id: event.user.id, name: event.user.name, first: event.at, last: event.at });
      } else {
        row.first = Math.min(row.first, event.at);
        if (event.at > row.last || (event.at === row.last && event.user.name > row.name)) row.name = event.user.name;
        row.last = Math.max(row.last, event.at);
      }
    } else if (event.type === 'vb365.licenseRevoked') {
      const key = `${event.organizationId} ${event.userId}`;
      const row = revocations.get(key);
      if (!row || event.at > row.revoked_at) revocations.set(key, { organization_id: event.organizationId, user_id: event.userId, revoked_at: event.at });
    } else if (event.type === 'vspc.agentActivated') {
      agentCompanies.set(`${event.companyUid} ${event.agent.uid}`, { agent_uid: event.agent.uid, company_uid: event.companyUid });
    }
    const mapped = agentEventOf(event);
    if (mapped) {
      const list = agents.get(mapped.agentUid);
      if (list) list.push(mapped.event);
      else agents.set(mapped.agentUid, [mapped.event]);
    }
  }
  const byUser = (a: { organization_id: string; user_id: string }, b: { organization_id: string; user_id: string }) =>
    compareKeys(a.organization_id, b.organization_id) || compareKeys(a.user_id, b.user_id);
  return {
    users: [...users.values()].sort(byUser),
    revocations: [...revocations.values()].sort(byUser),
    agentCompanies: [...agentCompanies.values()].sort((a, b) => compareKeys(a.company_uid, b.company_uid) || compareKeys(a.agent_uid, b.agent_uid)),
    agents: new Map([...agents].sort(([a], [b]) => compareKeys(a, b))),
  };
}

/** An agent's read-model row: its state after its whole history (the instant of its last event). */
export function agentRow(agentUid: string, history: readonly AgentEvent[]): VspcAgentRow {
  let lastEventAt = -Infinity;
  for (const event of history) if (event.at > lastEventAt) lastEventAt = event.at;
  const state = agentStateAt(agentUid, history, lastEventAt);
  return {
    agent_uid: agentUid,
    company_uid: state?.companyUid ?? null,
    mode: state?.mode ?? null,
    activated_at: state?.activatedAt ?? null,
    active: state ? 1 : 0,
    last_event_at: lastEventAt,
  };
}
