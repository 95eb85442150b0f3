/**
 * The ledger: idempotent, all-or-nothing appends of validated events, with the read models kept
 * in the same transaction so that answers never need to scan the ledger.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { isCountingBackup, type LedgerEvent } from '../ingest/events.js';
import type { Database, EventRow } from './schema.js';

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

function scopeAndSubject(event: LedgerEvent): { scope_id: string | null; subject_id: string } {
  switch (event.type) {
    case 'vb365.backup':
      return { scope_id: event.organizationId, subject_id: event.user.id };
    case 'vb365.dataRemoved':
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

  return db.transaction().execute(async (trx) => {
    for (const ids of chunks([...fresh.keys()], LOOKUP_CHUNK)) {
      const existing = await trx.selectFrom('events').select(['id', 'content']).where('id', 'in', ids).execute();
      for (const row of existing) {
        const incoming = fresh.get(row.id)!;
        if (incoming.canonical !== row.content) throw new EventConflictError(row.id, indexOf.get(row.id)!);
        fresh.delete(row.id);
        duplicates++;
      }
    }
    const toInsert = [...fresh.values()];
    for (const part of chunks(toInsert, INSERT_CHUNK)) {
      const rows: Omit<EventRow, 'seq'>[] = part.map(({ event, canonical }) => ({
        id: event.id,
        type: event.type,
        at: event.at,
        ...scopeAndSubject(event),
        content: canonical,
        ingested_at: ingestedAt,
      }));
      await trx.insertInto('events').values(rows).execute();
    }
    await updateReadModels(trx, toInsert.map((p) => p.event));
    return { accepted: toInsert.length, duplicates };
  });
}

async function updateReadModels(trx: Transaction<Database>, events: readonly LedgerEvent[]): Promise<void> {
  // Counting backups, pre-aggregated per (organization, user).
  const users = new Map<string, { organization_id: string; user_id: string; name: string; first: number; last: number }>();
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
    } else if (event.type === 'vspc.agentActivated') {
      const key = `${event.companyUid}/${event.agent.uid}`;
      agentCompanies.set(key, { agent_uid: event.agent.uid, company_uid: event.companyUid });
    }
  }

  for (const part of chunks([...users.values()], INSERT_CHUNK)) {
    await trx
      .insertInto('vb365_users')
      .values(part.map((u) => ({
        organization_id: u.organization_id,
        user_id: u.user_id,
        name: u.name,
        first_backup_at: u.first,
        last_backup_at: u.last,
      })))
      .onConflict((oc) =>
        oc.columns(['organization_id', 'user_id']).doUpdateSet({
          // CASE rather than MIN/MAX or LEAST/GREATEST: the same SQL on SQLite and PostgreSQL.
          first_backup_at: sql`CASE WHEN excluded.first_backup_at < vb365_users.first_backup_at
            THEN excluded.first_backup_at ELSE vb365_users.first_backup_at END`,
          name: sql`CASE WHEN excluded.last_backup_at > vb365_users.last_backup_at
              OR (excluded.last_backup_at = vb365_users.last_backup_at AND excluded.name > vb365_users.name)
            THEN excluded.name ELSE vb365_users.name END`,
          last_backup_at: sql`CASE WHEN excluded.last_backup_at > vb365_users.last_backup_at
            THEN excluded.last_backup_at ELSE vb365_users.last_backup_at END`,
        }),
      )
      .execute();
  }
  for (const part of chunks([...agentCompanies.values()], INSERT_CHUNK)) {
    await trx
      .insertInto('vspc_agent_companies')
      .values(part)
      .onConflict((oc) => oc.columns(['company_uid', 'agent_uid']).doNothing())
      .execute();
  }
}
