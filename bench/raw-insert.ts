/**
 * The store's limit: the rows Tally writes for a ledger, inserted with raw better-sqlite3 into a
 * database file created by Tally's migrations, in one process, with Tally's pragmas (WAL,
 * synchronous=FULL) and one transaction per batch. What is timed is only what the database must do
 * for each batch: the `events` rows (canonical content computed by Tally's own code beforehand) and
 * the read-model rows with the same upserts as src/store/sqliteLedger.ts (`vb365_users`,
 * `vspc_agent_companies`, `vspc_agents`) and the agents' stretches as src/store/agentSegments.ts
 * writes them (`vspc_agent_segments`: an agent's rows replaced when it was written before).
 * Validation, canonicalization, the agents' final states and stretches are computed before the
 * clock starts; what Tally does on top of that (HTTP, JSON, validation, finding out which agents
 * are new, their states and stretches) is the overhead the ratio shows.
 *
 * With `ledgerOnly`, only the `events` rows are inserted (with that table's own indexes), in the
 * same transactions: about the ceiling of a design that would acknowledge a batch once it is in
 * the ledger and bring the read models up to date later, with this layout.
 *
 *   node --import tsx bench/raw-insert.ts '{"db":"…/tally.db","kind":"reads","size":200000,"batch":10000}'
 */
import SQLite from 'better-sqlite3';
import { agentSegments } from '../src/domain/monthlyReport.js';
import { agentStateAt, type AgentEvent } from '../src/domain/vspc.js';
import { agentEventOf, isCountingBackup, validateEvent, type LedgerEvent } from '../src/ingest/events.js';
import { UPSERT_VB365_USER } from '../src/store/sqliteLedger.js';
import { eventLines, planLedger, type LedgerKind } from './ledger.js';

interface Options {
  db: string;
  kind: LedgerKind;
  size: number;
  batch: number;
  ledgerOnly?: boolean;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface BatchRows {
  events: unknown[][];
  users: unknown[][];
  agentCompanies: unknown[][];
  agents: unknown[][];
  /** Agents whose stretches an earlier batch wrote: removed before their new ones are inserted. */
  rewrittenAgents: string[];
  segments: unknown[][];
}

function scopeAndSubject(event: LedgerEvent): [string | null, string] {
  switch (event.type) {
    case 'vb365.backup':
      return [event.organizationId, event.user.id];
    case 'vb365.dataRemoved':
    case 'vb365.licenseRevoked':
      return [event.organizationId, event.userId];
    case 'vspc.agentActivated':
      return [event.companyUid, event.agent.uid];
    case 'vspc.agentModeChanged':
    case 'vspc.agentDeactivated':
      return [null, event.agentUid];
  }
}

/** Every batch's rows, prepared as Tally prepares them (sorted, pre-aggregated), before timing. */
function prepare(): { batches: BatchRows[]; events: number } {
  const plan = planLedger(options.kind, options.size);
  const history = new Map<string, AgentEvent[]>();
  const written = new Set<string>();
  const batches: BatchRows[] = [];
  let pending: { event: LedgerEvent; canonical: string }[] = [];
  let count = 0;
  const ingestedAt = Date.now();
  const flush = () => {
    pending.sort((a, b) => compareKeys(a.event.id, b.event.id));
    const users = new Map<string, { org: string; user: string; name: string; first: number; last: number }>();
    const agentCompanies = new Map<string, [string, string]>();
    const touched = new Set<string>();
    for (const { event } of pending) {
      if (isCountingBackup(event)) {
        const key = `${event.organizationId}/${event.user.id}`;
        const row = users.get(key);
        if (!row) users.set(key, { org: event.organizationId, user: event.user.id, name: event.user.name, first: event.at, last: event.at });
        else {
          row.first = Math.min(row.first, event.at);
          if (event.at > row.last || (event.at === row.last && event.user.name > row.name)) row.name = event.user.name;
          row.last = Math.max(row.last, event.at);
        }
      } else if (event.type === 'vb365.licenseRevoked' || event.type === 'vb365.dataRemoved') {
        throw new Error(`${event.type} is not part of the bench ledgers`);
      } else if (event.type === 'vspc.agentActivated') {
        agentCompanies.set(`${event.companyUid}/${event.agent.uid}`, [event.agent.uid, event.companyUid]);
      }
      const mapped = agentEventOf(event);
      if (mapped) {
        history.set(mapped.agentUid, [...(history.get(mapped.agentUid) ?? []), mapped.event]);
        touched.add(mapped.agentUid);
      }
    }
    const agents = [...touched].sort(compareKeys);
    batches.push({
      events: pending.map(({ event, canonical }) => [event.id, event.type, event.at, ...scopeAndSubject(event), canonical, ingestedAt]),
      users: [...users.values()]
        .sort((a, b) => compareKeys(a.org, b.org) || compareKeys(a.user, b.user))
        .map((u) => [u.org, u.user, u.name, u.first, u.last]),
      agentCompanies: [...agentCompanies.values()].sort((a, b) => compareKeys(a[1], b[1]) || compareKeys(a[0], b[0])),
      agents: agents.map((uid) => {
        const events = history.get(uid)!;
        const last = Math.max(...events.map((e) => e.at));
        const state = agentStateAt(uid, events, last);
        return [uid, state?.companyUid ?? null, state?.mode ?? null, state?.activatedAt ?? null, state ? 1 : 0, last];
      }),
      rewrittenAgents: agents.filter((uid) => written.has(uid)),
      segments: agents.flatMap((uid) =>
        agentSegments(uid, history.get(uid)!).map((segment) => [
          uid, segment.from, segment.to === Infinity ? null : segment.to, segment.state.companyUid, segment.state.mode, segment.state.activatedAt,
        ]),
      ),
    });
    for (const uid of agents) written.add(uid);
    pending = [];
  };
  for (const line of eventLines(plan)) {
    const result = validateEvent(JSON.parse(line), count);
    if (!result.ok) throw new Error(`invalid bench event: ${JSON.stringify(result.errors)}`);
    pending.push({ event: result.event, canonical: result.canonical });
    count++;
    if (pending.length === options.batch) flush();
  }
  if (pending.length > 0) flush();
  return { batches, events: count };
}

const { batches, events } = prepare();

const db = new SQLite(options.db);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = ON');

const insertEvent = db.prepare(
  'INSERT INTO events (id, type, at, scope_id, subject_id, content, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
);
const upsertUser = db.prepare(UPSERT_VB365_USER);
const insertAgentCompany = db.prepare('INSERT INTO vspc_agent_companies (agent_uid, company_uid) VALUES (?, ?) ON CONFLICT (company_uid, agent_uid) DO NOTHING');
const upsertAgent = db.prepare(`INSERT INTO vspc_agents (agent_uid, company_uid, mode, activated_at, active, last_event_at) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (agent_uid) DO UPDATE SET company_uid = excluded.company_uid, mode = excluded.mode,
    activated_at = excluded.activated_at, active = excluded.active, last_event_at = excluded.last_event_at`);

const deleteSegments = db.prepare('DELETE FROM vspc_agent_segments WHERE agent_uid = ?');
const insertSegment = db.prepare('INSERT INTO vspc_agent_segments (agent_uid, from_at, to_at, company_uid, mode, activated_at) VALUES (?, ?, ?, ?, ?, ?)');

const writeBatch = db.transaction((rows: BatchRows) => {
  for (const row of rows.events) insertEvent.run(...row);
  if (options.ledgerOnly) return;
  for (const row of rows.users) upsertUser.run(...row);
  for (const row of rows.agentCompanies) insertAgentCompany.run(...row);
  for (const row of rows.agents) upsertAgent.run(...row);
  for (const uid of rows.rewrittenAgents) deleteSegments.run(uid);
  for (const row of rows.segments) insertSegment.run(...row);
});

const started = performance.now();
for (const rows of batches) writeBatch(rows);
const seconds = (performance.now() - started) / 1000;
db.close();
process.stdout.write(`${JSON.stringify({ events, batches: batches.length, seconds, eventsPerSecond: events / seconds })}\n`);
