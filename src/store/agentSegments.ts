/**
 * The `vspc_agent_segments` read model: each agent's managed stretches (company, mode, activation
 * time), rewritten from the agent's whole history whenever an event of it arrives, so that late
 * and out-of-order events land where they belong.
 */
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { AgentMode } from '../domain/licenses.js';
import { agentSegments, type AgentSegment } from '../domain/monthlyReport.js';
import type { AgentEvent } from '../domain/vspc.js';
import type { Database } from './schema.js';

const CHUNK = 500;

/** Loads the agents' events and replaces their stretches. */
export async function writeAgentSegments(db: Kysely<Database>, agentUids: readonly string[]): Promise<void> {
  // Loaded here, not at the top: reading events parses them with the ingestion schemas (TypeBox,
  // compiled at load), which `tally report` and every other reader of this file do not need.
  const { agentEvents } = await import('./readModels.js');
  for (let i = 0; i < agentUids.length; i += CHUNK) {
    const part = agentUids.slice(i, i + CHUNK);
    await replaceAgentSegments(db, part, await agentEvents(db, part));
  }
}

/** Replaces the stretches of up to 500 agents whose whole histories are given. Run inside the ingesting transaction. */
export async function replaceAgentSegments(db: Kysely<Database>, part: readonly string[], byAgent: ReadonlyMap<string, AgentEvent[]>): Promise<void> {
  await db.deleteFrom('vspc_agent_segments').where('agent_uid', 'in', part).execute();
  const rows = part.flatMap((uid) =>
    agentSegments(uid, byAgent.get(uid) ?? []).map((segment) => ({
      agent_uid: uid,
      from_at: segment.from,
      to_at: segment.to === Infinity ? null : segment.to,
      company_uid: segment.state.companyUid,
      mode: segment.state.mode,
      activated_at: segment.state.activatedAt,
    })),
  );
  for (let j = 0; j < rows.length; j += CHUNK) await db.insertInto('vspc_agent_segments').values(rows.slice(j, j + CHUNK)).execute();
}

/** Per company and mode: agents counted once each. */
export type ModeCounts = Map<string, Record<AgentMode, number>>;

/** What the month-end report needs of [start, end): the bulk as counts, only the stretches that change within it as rows. */
export interface MonthStretches {
  /** Reported agents managed from before `start` until `end` or later: a constant floor under the month's maximum. */
  throughout: ModeCounts;
  /** Reported agents' other stretches that overlap [start, end): they begin or end inside it. */
  partial: AgentSegment[];
  /** Rental: distinct agents activated in the month and managed at some instant of it (rule 25). */
  fresh: ModeCounts;
}

/**
 * Reads [start, end) of the read model for the report. `newSince` is the month start under Rental
 * (agents activated from then on are new, not reported) and null otherwise.
 *
 * The cost follows the agents managed today (one walk of the open-stretch index, grouped in index
 * order) plus the stretches that begin or end from `start` on (ranges of the `from_at` and
 * closed-stretch indexes), never the whole history: a stretch that overlaps the month either
 * began before it (and lasts: counted in the open index; or ended: found by its end) or began in
 * it (found by its beginning). The queries of lasting and ended stretches say `to_at IS NULL` or
 * `IS NOT NULL` as their partial indexes do, so that SQLite and PostgreSQL both choose them.
 */
export async function monthStretches(db: Kysely<Database>, start: number, end: number, newSince: number | null): Promise<MonthStretches> {
  const segments = db.selectFrom('vspc_agent_segments');
  const count = (eb: ExpressionBuilder<Database, 'vspc_agent_segments'>) => ['company_uid', 'mode', eb.fn.countAll<number>().as('n')] as const;
  // A stretch that began before the month is an agent activated before it: reported under every license.
  const lasting = await segments.select(count).where('to_at', 'is', null).where('from_at', '<', start).groupBy(['company_uid', 'mode']).execute();
  const outlasting = await segments
    .select(count)
    .where('to_at', 'is not', null)
    .where('to_at', '>=', end)
    .where('from_at', '<', start)
    .groupBy(['company_uid', 'mode'])
    .execute();
  const columns = ['agent_uid', 'from_at', 'to_at', 'company_uid', 'mode', 'activated_at'] as const;
  const beganIn = segments.select(columns).where('from_at', '>=', start).where('from_at', '<', end);
  const beganInRows = await (newSince === null ? beganIn : beganIn.where('activated_at', '<', newSince)).execute();
  const endedInRows = await segments
    .select(columns)
    .where('to_at', 'is not', null)
    .where('to_at', '>', start)
    .where('to_at', '<', end)
    .where('from_at', '<', start)
    .execute();
  // An agent activated in the month has only stretches that begin in it.
  const freshRows =
    newSince === null
      ? []
      : await segments
          .select((eb) => ['company_uid', 'mode', eb.fn.count<number>('agent_uid').distinct().as('n')])
          .where('from_at', '>=', start)
          .where('from_at', '<', end)
          .where('activated_at', '>=', newSince)
          .groupBy(['company_uid', 'mode'])
          .execute();
  return {
    throughout: modeCounts([...lasting, ...outlasting]),
    partial: [...beganInRows, ...endedInRows].map(toSegment),
    fresh: modeCounts(freshRows),
  };
}

/**
 * Every stretch that begins before `end`, as rows: the whole history the Rental allowance's clock
 * (`overLimitPeriods`, one clock per license) is read from, since an over-limit period may have
 * begun months ago. Asked only when the pool is over its license.
 */
export async function segmentsBefore(db: Kysely<Database>, end: number): Promise<AgentSegment[]> {
  const columns = ['agent_uid', 'from_at', 'to_at', 'company_uid', 'mode', 'activated_at'] as const;
  const rows = await db.selectFrom('vspc_agent_segments').select(columns).where('from_at', '<', end).execute();
  return rows.map(toSegment);
}

function toSegment(row: { agent_uid: string; from_at: number | string; to_at: number | string | null; company_uid: string; mode: string; activated_at: number | string }): AgentSegment {
  return {
    from: Number(row.from_at),
    to: row.to_at === null ? Infinity : Number(row.to_at),
    state: { agentUid: row.agent_uid, name: '', companyUid: row.company_uid, mode: row.mode as AgentMode, activatedAt: Number(row.activated_at) },
  };
}

function modeCounts(rows: readonly { company_uid: string; mode: string; n: number | string | bigint }[]): ModeCounts {
  const counts: ModeCounts = new Map();
  for (const row of rows) {
    const entry = counts.get(row.company_uid) ?? { server: 0, workstation: 0 };
    entry[row.mode as AgentMode] += Number(row.n);
    counts.set(row.company_uid, entry);
  }
  return counts;
}

/** Every agent uid in the read model, a chunk at a time (for the backfill). */
export async function* agentUidsIn(db: Kysely<Database>): AsyncGenerator<string[]> {
  let after = '';
  for (;;) {
    const rows = await db.selectFrom('vspc_agents').select('agent_uid').where('agent_uid', '>', after).orderBy('agent_uid').limit(5000).execute();
    if (rows.length === 0) return;
    yield rows.map((r) => r.agent_uid);
    after = rows[rows.length - 1]!.agent_uid;
  }
}
