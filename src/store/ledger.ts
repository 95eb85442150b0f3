/**
 * The ledger: idempotent, all-or-nothing appends of validated events, with the read models kept
 * in the same transaction so that answers never need to scan the ledger. On SQLite the appends go
 * through sqliteLedger.ts (prepared statements, concurrent batches committed together); on
 * PostgreSQL through Kysely, below.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { LedgerEvent } from '../ingest/events.js';
import { agentEvents } from './readModels.js';
import { replaceAgentSegments } from './agentSegments.js';
import { isRetryableTransactionError } from './errors.js';
import { agentRow, distinctEvents, EventConflictError, familiesOf, ingestAuditRow, readModelRows, scopeAndSubject, type AppendResult, type DistinctBatch, type IngestAudit, type LedgerChange, type PreparedEvent } from './ledgerRows.js';
import { sqliteHandleOf } from './sqliteHandle.js';
import { appendOnSqlite } from './sqliteLedger.js';
import type { Database, EventRow } from './schema.js';

export { EventConflictError, type AppendResult, type IngestAudit, type LedgerChange, type PreparedEvent };

// Stay well below SQLite's and PostgreSQL's bound-parameter limits.
const LOOKUP_CHUNK = 500;
const INSERT_CHUNK = 500;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface AppendOptions {
  /** How many more batches are on their way to this store (received, not yet appended): SQLite commits them together. */
  incoming?: () => number;
  /** The batch's audit entry, written in its transaction with the outcome (`count`, `accepted`, `duplicates`) as details. */
  audit?: IngestAudit;
  /** Called after the commit when it raised the ledger counter (what moved, and which answers it can change). */
  committed?: (change: LedgerChange) => void;
}

/**
 * Appends a batch atomically. Events whose id is already recorded with the same content are
 * counted as duplicates; the same id with other content aborts the whole batch. Resolves once the
 * batch is committed (and durable); the ledger generation is raised in the same transaction.
 */
export async function appendEvents(
  db: Kysely<Database>,
  batch: readonly PreparedEvent[],
  ingestedAt: number,
  options: AppendOptions = {},
): Promise<AppendResult> {
  const distinct = distinctEvents(batch);
  const sqlite = sqliteHandleOf(db);
  if (sqlite) return appendOnSqlite(db, sqlite, distinct, ingestedAt, options.incoming, options.audit, options.committed);
  return appendWithKysely(db, distinct, ingestedAt, options.audit, options.committed);
}

/**
 * PostgreSQL (several nodes may write at once): multi-row statements, one transaction a batch,
 * retried on deadlocks and serialization failures.
 */
async function appendWithKysely(
  db: Kysely<Database>,
  { ordered, indexOf, duplicates }: DistinctBatch,
  ingestedAt: number,
  audit: IngestAudit | undefined,
  committed: ((change: LedgerChange) => void) | undefined,
): Promise<AppendResult> {
  const fresh = new Map(ordered.map((p) => [p.event.id, p]));
  let change: LedgerChange | undefined;
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
          if (fresh.get(row.id)!.canonical !== row.content) throw new EventConflictError(row.id, indexOf(row.id));
          seen++;
        }
      }
      await updateReadModels(trx, ordered.filter((p) => inserted.has(p.event.id)).map((p) => p.event));
      // The counter is raised in the batch's own transaction, last: a commit without its raise
      // cannot happen (a node dying after the commit, a retry finding only duplicates), and the
      // row's lock is held only from here to the commit, so concurrent batches do their work side
      // by side and queue only for their commits. Migration 0011's trigger notifies every node.
      change = undefined;
      if (inserted.size > 0) {
        const after = Number((await sql<{ value: number | string }>`update generations set value = value + 1 where name = 'ledger' returning value`.execute(trx)).rows[0]!.value);
        change = { before: after - 1, after, ...familiesOf(ordered.filter((p) => inserted.has(p.event.id)).map((p) => p.event)) };
      }
      const result = { accepted: inserted.size, duplicates: duplicates + seen };
      if (audit) await trx.insertInto('audit_log').values(ingestAuditRow(audit, result)).execute();
      return result;
    }),
  );
  if (change) committed?.(change);
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
  const { users: userRows, revocations: revocationRows, agentCompanies: agentRows, agents } = readModelRows(events);
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
  for (const part of chunks(agentRows, INSERT_CHUNK)) {
    await trx
      .insertInto('vspc_agent_companies')
      .values(part)
      .onConflict((oc) => oc.columns(['company_uid', 'agent_uid']).doNothing())
      .execute();
  }
  await refreshAgentStates(trx, [...agents.keys()]);
}

/**
 * Recomputes the final state of every agent the new events concern (uids in order) by replaying
 * all its events (a handful per agent), so that late and out-of-order events land exactly where
 * they belong.
 */
async function refreshAgentStates(trx: Transaction<Database>, uids: readonly string[]): Promise<void> {
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
    await trx
      .insertInto('vspc_agents')
      .values(part.map((uid) => agentRow(uid, byAgent.get(uid) ?? [])))
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
