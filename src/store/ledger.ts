/**
 * The ledger: idempotent, all-or-nothing appends of validated events, with the read models kept
 * in the same transaction so that answers never need to scan the ledger.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { agentStateAt } from '../domain/vspc.js';
import { agentEventOf, isCountingBackup, type LedgerEvent } from '../ingest/events.js';
import { agentEvents } from './readModels.js';
import { replaceAgentSegments } from './agentSegments.js';
import { raiseLedgerGeneration } from './generation.js';
import { isRetryableTransactionError } from './errors.js';
import type { Database, EventRow, VspcAgentRow } from './schema.js';

export interface PreparedEvent {
  event: LedgerEvent;
  canonical: string;
}

export interface AppendResult {
  accepted: number;
  duplicates: number;
}

/** An event id already in the ledger (or twice in one batch) with different content. */
export class EventConflictError extends Error {
  constructor(readonly eventId: string, readonly index: number) {
    super(`event ${JSON.stringify(eventId)} was already recorded with different content`);
  }
}

// Stay well below SQLite's and PostgreSQL's bound-parameter limits.
const LOOKUP_CHUNK = 500;
const INSERT_CHUNK = 500;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function scopeAndSubject(event: LedgerEvent): { scope_id: string | null; subject_id: string } {
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

/**
 * Appends a batch atomically. Events whose id is already recorded with the same content are
 * counted as duplicates; the same id with other content aborts the whole batch.
 */
export async function appendEvents(
  db: Kysely<Database>,
  batch: readonly PreparedEvent[],
  ingestedAt: number,
): Promise<AppendResult> {
  // Duplicates inside the batch itself.
  const fresh = new Map<string, PreparedEvent>();
  const indexOf = new Map<string, number>();
  let duplicates = 0;
  batch.forEach((item, index) => {
    const previous = fresh.get(item.event.id);
    if (!previous) {
      fresh.set(item.event.id, item);
      indexOf.set(item.event.id, index);
    } else if (previous.canonical === item.canonical) {
      duplicates++;
    } else {
      throw new EventConflictError(item.event.id, index);
    }
  });

  // Inserting in id order (and upserting read-model rows in key order) makes concurrent batches
  // on PostgreSQL take their locks in the same order, which keeps deadlocks rare; a deadlock or
  // serialization failure is retried.
  const ordered = [...fresh.values()].sort((a, b) => compareKeys(a.event.id, b.event.id));
  const result = await withRetries(() =>
    db.transaction().execute(async (trx) => {
      const inserted = new Set<string>();
      for (const part of chunks(ordered, INSERT_CHUNK)) {
        const rows: Omit<EventRow, 'seq'>[] = part.map(({ event, canonical }) => ({
          id: event.id,
          type: event.type,
          at: event.at,
          ...scopeAndSubject(event),
          content: canonical,
          ingested_at: ingestedAt,
        }));
        // ON CONFLICT DO NOTHING rather than look-then-insert: when two nodes insert the same id at
        // once, the second waits for the first to commit and then sees the conflict here.
        const returned = await trx
          .insertInto('events')
          .values(rows)
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .execute();
        for (const row of returned) inserted.add(row.id);
      }
      let seen = 0;
      const recorded = ordered.filter((p) => !inserted.has(p.event.id)).map((p) => p.event.id);
      for (const ids of chunks(recorded, LOOKUP_CHUNK)) {
        const existing = await trx.selectFrom('events').select(['id', 'content']).where('id', 'in', ids).execute();
        for (const row of existing) {
          if (fresh.get(row.id)!.canonical !== row.content) throw new EventConflictError(row.id, indexOf.get(row.id)!);
          seen++;
        }
      }
      await updateReadModels(trx, ordered.filter((p) => inserted.has(p.event.id)).map((p) => p.event));
      return { accepted: inserted.size, duplicates: duplicates + seen };
    }),
  );
  if (result.accepted > 0) await raiseLedgerGeneration(db);
  return result;
}

const MAX_ATTEMPTS = 5;

async function withRetries<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, attempt * 10 * Math.random()));
    }
  }
}

async function updateReadModels(trx: Transaction<Database>, events: readonly LedgerEvent[]): Promise<void> {
  // Counting backups, pre-aggregated per (organization, user).
  const users = new Map<string, { organization_id: string; user_id: string; name: string; first: number; last: number }>();
  const revocations = new Map<string, { organization_id: string; user_id: string; revoked_at: number }>();
  const agentCompanies = new Map<string, { agent_uid: string; company_uid: string }>();
  for (const event of events) {
    if (isCountingBackup(event)) {
      const key = JSON.stringify([event.organizationId, event.user.id]);
      const row = users.get(key);
      if (!row) {
        users.set(key, {
          organization_id: event.organizationId,
          user_id: event.user.id,
          name: event.user.name,
          first: event.at,
          last: event.at,
        });
      } else {
        row.first = Math.min(row.first, event.at);
        if (event.at > row.last || (event.at === row.last && event.user.name > row.name)) row.name = event.user.name;
        row.last = Math.max(row.last, event.at);
      }
    } else if (event.type === 'vb365.licenseRevoked') {
      const key = JSON.stringify([event.organizationId, event.userId]);
      const row = revocations.get(key);
      if (!row || event.at > row.revoked_at) revocations.set(key, { organization_id: event.organizationId, user_id: event.userId, revoked_at: event.at });
    } else if (event.type === 'vspc.agentActivated') {
      const key = `${event.companyUid}/${event.agent.uid}`;
      agentCompanies.set(key, { agent_uid: event.agent.uid, company_uid: event.companyUid });
    }
  }

  const userRows = [...users.values()].sort((a, b) => compareKeys(a.organization_id, b.organization_id) || compareKeys(a.user_id, b.user_id));
  for (const part of chunks(userRows, INSERT_CHUNK)) {
    await trx
      .insertInto('vb365_users')
      .values(part.map((u) => ({
        organization_id: u.organization_id,
        user_id: u.user_id,
        name: u.name,
        first_backup_at: u.first,
        last_backup_at: u.last,
        revoked_at: null,
      })))
      .onConflict((oc) =>
        oc.columns(['organization_id', 'user_id']).doUpdateSet({
          // CASE rather than MIN/MAX or LEAST/GREATEST: the same SQL on SQLite and PostgreSQL.
          // A row made by a revocation has no backups yet (nulls).
          first_backup_at: sql`CASE WHEN vb365_users.first_backup_at IS NULL OR excluded.first_backup_at < vb365_users.first_backup_at
            THEN excluded.first_backup_at ELSE vb365_users.first_backup_at END`,
          name: sql`CASE WHEN vb365_users.last_backup_at IS NULL OR excluded.last_backup_at > vb365_users.last_backup_at
              OR (excluded.last_backup_at = vb365_users.last_backup_at AND excluded.name > vb365_users.name)
            THEN excluded.name ELSE vb365_users.name END`,
          last_backup_at: sql`CASE WHEN vb365_users.last_backup_at IS NULL OR excluded.last_backup_at > vb365_users.last_backup_at
            THEN excluded.last_backup_at ELSE vb365_users.last_backup_at END`,
        }),
      )
      .execute();
  }
  const revocationRows = [...revocations.values()].sort((a, b) => compareKeys(a.organization_id, b.organization_id) || compareKeys(a.user_id, b.user_id));
  for (const part of chunks(revocationRows, INSERT_CHUNK)) {
    await trx
      .insertInto('vb365_users')
      .values(part.map((r) => ({ ...r, name: '', first_backup_at: null, last_backup_at: null })))
      .onConflict((oc) =>
        oc.columns(['organization_id', 'user_id']).doUpdateSet({
          revoked_at: sql`CASE WHEN vb365_users.revoked_at IS NULL OR excluded.revoked_at > vb365_users.revoked_at
            THEN excluded.revoked_at ELSE vb365_users.revoked_at END`,
        }),
      )
      .execute();
  }
  const agentRows = [...agentCompanies.values()].sort((a, b) => compareKeys(a.company_uid, b.company_uid) || compareKeys(a.agent_uid, b.agent_uid));
  for (const part of chunks(agentRows, INSERT_CHUNK)) {
    await trx
      .insertInto('vspc_agent_companies')
      .values(part)
      .onConflict((oc) => oc.columns(['company_uid', 'agent_uid']).doNothing())
      .execute();
  }
  await refreshAgentStates(trx, events);
}

/**
 * Recomputes the final state of every agent the new events concern by replaying all its events
 * (a handful per agent), so that late and out-of-order events land exactly where they belong.
 */
async function refreshAgentStates(trx: Transaction<Database>, events: readonly LedgerEvent[]): Promise<void> {
  const touched = new Set<string>();
  for (const event of events) {
    const mapped = agentEventOf(event);
    if (mapped) touched.add(mapped.agentUid);
  }
  const uids = [...touched].sort(compareKeys);
  for (const part of chunks(uids, LOOKUP_CHUNK)) {
    // Lock the agents' rows (creating placeholders for new agents) before reading their events:
    // a concurrent transaction adding events for the same agent on another node then waits for
    // this one to commit and replays with its events included. Without the lock both would replay
    // without the other's uncommitted event and the later commit would win (READ COMMITTED).
    await trx
      .insertInto('vspc_agents')
      .values(part.map((uid) => ({ agent_uid: uid, company_uid: null, mode: null, activated_at: null, active: 0, last_event_at: 0 })))
      .onConflict((oc) => oc.column('agent_uid').doUpdateSet({ agent_uid: sql`excluded.agent_uid` }))
      .execute();
    const byAgent = await agentEvents(trx, part);
    const states: VspcAgentRow[] = part.map((uid) => {
      const history = byAgent.get(uid) ?? [];
      const lastEventAt = Math.max(...history.map((e) => e.at));
      const state = agentStateAt(uid, history, lastEventAt);
      return {
        agent_uid: uid,
        company_uid: state?.companyUid ?? null,
        mode: state?.mode ?? null,
        activated_at: state?.activatedAt ?? null,
        active: state ? 1 : 0,
        last_event_at: lastEventAt,
      };
    });
    await trx
      .insertInto('vspc_agents')
      .values(states)
      .onConflict((oc) =>
        oc.column('agent_uid').doUpdateSet({
          company_uid: sql`excluded.company_uid`,
          mode: sql`excluded.mode`,
          activated_at: sql`excluded.activated_at`,
          active: sql`excluded.active`,
          last_event_at: sql`excluded.last_event_at`,
        }),
      )
      .execute();
    await replaceAgentSegments(trx, part, byAgent);
  }
}
