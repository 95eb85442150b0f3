/**
 * Appends on the embedded SQLite database: prepared statements run directly on the connection,
 * and batches that arrive while one is being written are committed together.
 *
 * - Prepared statements, one row at a time, run synchronously: what SQLite must do and little
 *   more. Through Kysely each 500-row statement was built, compiled and awaited, and every agent
 *   was written twice (a placeholder that locks it on PostgreSQL, then its state); the one
 *   connection is the bottleneck of ingestion, so all of that came straight off the rate.
 * - Group commit: a batch waits for the one being written, then every waiting batch goes into one
 *   transaction. Each batch's outcome is its own (a conflict fails that batch alone) and none is
 *   answered before the common commit, fsynced (synchronous=FULL). Writing four batches in one
 *   transaction writes each touched index page once instead of four times: with random uuids
 *   nearly every batch touches every page of every index.
 * - Agents are replayed from their whole history as before, but a new agent's history is the
 *   batch's events: only agents already in `vspc_agents` are read back from the ledger.
 * - The stretches read model is written the same way, by the same rule as `replaceAgentSegments`
 *   (agentSegments.ts, which PostgreSQL runs): through Kysely each chunk of 500 agents was a query
 *   built and compiled with 3,000 parameters (about 4 % of the ingestion rate).
 *
 * Statements run only while Kysely's connection is held (`db.connection()`), so no Kysely query
 * interleaves.
 */
import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { AgentEvent } from '../domain/vspc.js';
import { agentEventOf, AGENT_EVENT_TYPES, parseCanonical } from '../ingest/events.js';
import { agentSegments } from '../domain/monthlyReport.js';
import { agentRow, EventConflictError, familiesOf, ingestAuditRow, readModelRows, scopeAndSubject, type AppendResult, type DistinctBatch, type IngestAudit, type LedgerChange, type PreparedEvent } from './ledgerRows.js';
import { noteLocalChange, RAISE_LEDGER_GENERATION } from './generation.js';
import type { Database } from './schema.js';

/** At most this many events in one transaction: bounds its memory and the wait of the batches in it. */
const GROUP_EVENTS = 40_000;
/** A group waits for batches at most this long, and at most this share of the last group's duration. */
const MAX_WAIT_MS = 500;
const WAIT_SHARE = 0.5;

interface Statements {
  insertEvent: SQLite.Statement;
  eventContent: SQLite.Statement<[string], { content: string }>;
  deleteEvent: SQLite.Statement;
  upsertUser: SQLite.Statement;
  upsertRevocation: SQLite.Statement;
  insertAgentCompany: SQLite.Statement;
  agentKnown: SQLite.Statement<[string], { known: number }>;
  agentHistory: SQLite.Statement<[string], { content: string }>;
  upsertAgent: SQLite.Statement;
  deleteSegments: SQLite.Statement;
  insertSegment: SQLite.Statement;
  insertAudit: SQLite.Statement;
}

/**
 * A backup's upsert into `vb365_users`: the earliest first backup, the latest last backup and the
 * name of the latest backup (the larger name on a tie, so order never matters). Shared with the
 * raw-insert reference of the bench, which must write the same rows the same way.
 */
export const UPSERT_VB365_USER = `INSERT INTO vb365_users (organization_id, user_id, name, first_backup_at, last_backup_at, revoked_at)
      VALUES (?, ?, ?, ?, ?, NULL)
      ON CONFLICT (organization_id, user_id) DO UPDATE SET
        first_backup_at = CASE WHEN vb365_users.first_backup_at IS NULL OR excluded.first_backup_at < vb365_users.first_backup_at
          THEN excluded.first_backup_at ELSE vb365_users.first_backup_at END,
        name = CASE WHEN vb365_users.last_backup_at IS NULL OR excluded.last_backup_at > vb365_users.last_backup_at
            OR (excluded.last_backup_at = vb365_users.last_backup_at AND excluded.name > vb365_users.name)
          THEN excluded.name ELSE vb365_users.name END,
        last_backup_at = CASE WHEN vb365_users.last_backup_at IS NULL OR excluded.last_backup_at > vb365_users.last_backup_at
          THEN excluded.last_backup_at ELSE vb365_users.last_backup_at END`;

// The same SQL as the Kysely path in ledger.ts (which PostgreSQL runs), one row at a time.
function prepareStatements(sqlite: SQLite.Database): Statements {
  const agentTypes = AGENT_EVENT_TYPES.map((type) => `'${type}'`).join(', ');
  return {
    // ON CONFLICT DO NOTHING: an id already recorded is then compared by content.
    insertEvent: sqlite.prepare(
      'INSERT INTO events (id, type, at, scope_id, subject_id, content, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    ),
    eventContent: sqlite.prepare('SELECT content FROM events WHERE id = ?'),
    deleteEvent: sqlite.prepare('DELETE FROM events WHERE id = ?'),
    upsertUser: sqlite.prepare(UPSERT_VB365_USER),
    upsertRevocation: sqlite.prepare(`INSERT INTO vb365_users (organization_id, user_id, name, first_backup_at, last_backup_at, revoked_at)
      VALUES (?, ?, '', NULL, NULL, ?)
      ON CONFLICT (organization_id, user_id) DO UPDATE SET
        revoked_at = CASE WHEN vb365_users.revoked_at IS NULL OR excluded.revoked_at > vb365_users.revoked_at
          THEN excluded.revoked_at ELSE vb365_users.revoked_at END`),
    insertAgentCompany: sqlite.prepare('INSERT INTO vspc_agent_companies (agent_uid, company_uid) VALUES (?, ?) ON CONFLICT (company_uid, agent_uid) DO NOTHING'),
    agentKnown: sqlite.prepare('SELECT 1 AS known FROM vspc_agents WHERE agent_uid = ?'),
    agentHistory: sqlite.prepare(`SELECT content FROM events WHERE subject_id = ? AND type IN (${agentTypes})`),
    upsertAgent: sqlite.prepare(`INSERT INTO vspc_agents (agent_uid, company_uid, mode, activated_at, active, last_event_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (agent_uid) DO UPDATE SET company_uid = excluded.company_uid, mode = excluded.mode,
        activated_at = excluded.activated_at, active = excluded.active, last_event_at = excluded.last_event_at`),
    deleteSegments: sqlite.prepare('DELETE FROM vspc_agent_segments WHERE agent_uid = ?'),
    insertSegment: sqlite.prepare('INSERT INTO vspc_agent_segments (agent_uid, from_at, to_at, company_uid, mode, activated_at) VALUES (?, ?, ?, ?, ?, ?)'),
    insertAudit: sqlite.prepare('INSERT INTO audit_log (at, actor, actor_uid, client_address, action, target, details) VALUES (?, ?, ?, ?, ?, ?, ?)'),
  };
}

interface Pending {
  batch: DistinctBatch;
  ingestedAt: number;
  audit: IngestAudit | undefined;
  committed: ((change: LedgerChange) => void) | undefined;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** One writer per database: the queue of batches waiting for the connection. */
class GroupWriter {
  private readonly queue: Pending[] = [];
  private draining = false;
  private statements: Statements | undefined;
  /** The last group's size and duration: how many batches to expect, and how long to wait for them. */
  private lastGroup = { batches: 1, ms: 0 };
  private wake: (() => void) | undefined;
  /** How many batches are on their way (requests received, not yet appended), when the caller knows. */
  private incoming: () => number = () => 0;

  constructor(private readonly db: Kysely<Database>, private readonly sqlite: SQLite.Database) {}

  append(
    batch: DistinctBatch,
    ingestedAt: number,
    incoming: (() => number) | undefined,
    audit: IngestAudit | undefined,
    committed: ((change: LedgerChange) => void) | undefined,
  ): Promise<AppendResult> {
    if (incoming) this.incoming = incoming;
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, ingestedAt, audit, committed, resolve, reject });
      this.wake?.();
      if (!this.draining) {
        this.draining = true;
        // After the I/O already received: batches whose bodies have arrived join the first group.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        await this.gather();
        const started = performance.now();
        const batches = await this.commitGroup();
        this.lastGroup = { batches, ms: performance.now() - started };
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Waits for the batches on their way and for as many as the last group held, for a fraction of
   * its duration at most. Concurrent clients' next batches arrive one after the other (each
   * request reads the connection, then is parsed and validated on this same thread), so without
   * waiting the groups would alternate between one batch and the rest. A single client's batch
   * (the last group held one, nothing else on its way) never waits.
   */
  private async gather(): Promise<void> {
    const deadline = performance.now() + Math.min(MAX_WAIT_MS, this.lastGroup.ms * WAIT_SHARE);
    for (;;) {
      const queued = this.queue.reduce((sum, item) => sum + item.batch.ordered.length, 0);
      const left = deadline - performance.now();
      const complete = this.queue.length >= this.lastGroup.batches && this.incoming() === 0;
      if (complete || queued >= GROUP_EVENTS || left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /**
   * One transaction for the batches queued (up to GROUP_EVENTS events), written one after the
   * other without yielding to the event loop, then committed; every batch in it is answered after
   * the commit.
   */
  private async commitGroup(): Promise<number> {
    const group: Pending[] = [];
    const outcomes: (AppendResult | EventConflictError)[] = [];
    let change: LedgerChange | undefined;
    try {
      await this.db.connection().execute(async () => {
        this.statements ??= prepareStatements(this.sqlite);
        // IMMEDIATE: the write lock from the start (another process, `tally import`, may write too).
        this.sqlite.exec('BEGIN IMMEDIATE');
        try {
          let events = 0;
          for (let next = this.queue[0]; next && (events === 0 || events + next.batch.ordered.length <= GROUP_EVENTS); next = this.queue[0]) {
            group.push(this.queue.shift()!);
            events += next.batch.ordered.length;
            outcomes.push(this.writeBatch(next));
          }
          // On SQLite the ledger's counter is raised in the same commit (one writer at a time: no
          // queue on its row), so it cannot be lost between the commit and a later statement.
          if (outcomes.some((o) => !(o instanceof EventConflictError) && o.accepted > 0)) {
            this.sqlite.prepare(RAISE_LEDGER_GENERATION).run();
            const after = Number((this.sqlite.prepare("select value from generations where name = 'ledger'").get() as { value: number }).value);
            // One raise for the whole group: every batch of it reports what the group changed.
            change = { before: after - 1, after, vb365: false, vspc: false };
            group.forEach((item, i) => {
              const outcome = outcomes[i]!;
              if (outcome instanceof EventConflictError || outcome.accepted === 0) return;
              const families = familiesOf(item.batch.ordered.map((p) => p.event));
              change!.vb365 ||= families.vb365;
              change!.vspc ||= families.vspc;
            });
          }
          this.sqlite.exec('COMMIT');
          // The reader of this process looks at the counters again before its next answer.
          noteLocalChange(this.db);
        } catch (error) {
          if (this.sqlite.inTransaction) this.sqlite.exec('ROLLBACK');
          throw error;
        }
      });
    } catch (error) {
      for (const item of group) item.reject(error);
      return group.length;
    }
    group.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (change) item.committed?.(change);
      if (outcome instanceof EventConflictError) item.reject(outcome);
      else item.resolve(outcome);
    });
    return group.length;
  }

  /**
   * Writes one batch inside the group's transaction. A conflict undoes the batch's own event rows
   * (nothing else is written before the check) and is returned: the other batches go on.
   */
  private writeBatch({ batch, ingestedAt, audit }: Pending): AppendResult | EventConflictError {
    const s = this.statements!;
    const inserted: PreparedEvent[] = [];
    const recorded: PreparedEvent[] = [];
    for (const item of batch.ordered) {
      const { event, canonical } = item;
      const { scope_id, subject_id } = scopeAndSubject(event);
      if (s.insertEvent.run(event.id, event.type, event.at, scope_id, subject_id, canonical, ingestedAt).changes > 0) inserted.push(item);
      else recorded.push(item);
    }
    for (const { event, canonical } of recorded) {
      if (s.eventContent.get(event.id)!.content !== canonical) {
        for (const { event: undo } of inserted) s.deleteEvent.run(undo.id);
        return new EventConflictError(event.id, batch.indexOf(event.id));
      }
    }
    const rows = readModelRows(inserted.map((p) => p.event));
    for (const u of rows.users) s.upsertUser.run(u.organization_id, u.user_id, u.name, u.first, u.last);
    for (const r of rows.revocations) s.upsertRevocation.run(r.organization_id, r.user_id, r.revoked_at);
    for (const a of rows.agentCompanies) s.insertAgentCompany.run(a.agent_uid, a.company_uid);
    for (const [uid, fresh] of rows.agents) {
      // An agent without a row has no earlier event: the read model is written with every one.
      const history = s.agentKnown.get(uid) ? this.historyOf(uid) : fresh;
      const row = agentRow(uid, history);
      s.upsertAgent.run(row.agent_uid, row.company_uid, row.mode, row.activated_at, row.active, row.last_event_at);
      // The agent's stretches, as replaceAgentSegments (agentSegments.ts) writes them on PostgreSQL.
      s.deleteSegments.run(uid);
      for (const { from, to, state } of agentSegments(uid, history)) {
        s.insertSegment.run(uid, from, to === Infinity ? null : to, state.companyUid, state.mode, state.activatedAt);
      }
    }
    const result = { accepted: inserted.length, duplicates: batch.duplicates + recorded.length };
    if (audit) {
      const row = ingestAuditRow(audit, result);
      s.insertAudit.run(row.at, row.actor, row.actor_uid, row.client_address, row.action, row.target, row.details);
    }
    return result;
  }

  /** Every recorded event of an agent, the batch's included (already inserted). */
  private historyOf(agentUid: string): AgentEvent[] {
    const history: AgentEvent[] = [];
    for (const { content } of this.statements!.agentHistory.all(agentUid)) {
      const mapped = agentEventOf(parseCanonical(content));
      if (mapped) history.push(mapped.event);
    }
    return history;
  }
}

const writers = new WeakMap<SQLite.Database, GroupWriter>();

/**
 * Appends a batch (inner duplicates already removed) on SQLite; resolves after its group commits.
 * `incoming` tells how many more batches are on their way, for the group to wait for them.
 */
export function appendOnSqlite(
  db: Kysely<Database>,
  sqlite: SQLite.Database,
  batch: DistinctBatch,
  ingestedAt: number,
  incoming?: () => number,
  audit?: IngestAudit,
  committed?: (change: LedgerChange) => void,
): Promise<AppendResult> {
  let writer = writers.get(sqlite);
  if (!writer) writers.set(sqlite, (writer = new GroupWriter(db, sqlite)));
  return writer.append(batch, ingestedAt, incoming, audit, committed);
}
