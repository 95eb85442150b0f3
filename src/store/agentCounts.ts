/**
 * Installation-wide agent counts for the VSPC console usage family: every company's managed
 * agents by mode and new/used, in one GROUP BY over the `vspc_agents` read model; and, when the
 * installation is over its license, the consuming agents in the pool's order (rule 17).
 */
import { sql, type Kysely } from 'kysely';
import type { AgentMode } from '../domain/licenses.js';
import { emptyBuckets, type AgentBuckets } from '../domain/vspc.js';
import type { Dialect } from './dialect.js';
import type { Database } from './schema.js';

/**
 * Buckets per company for agents whose history ends at or before `now`, and the agents whose
 * history reaches past `now` (to be replayed from their events).
 */
export async function agentBucketsByCompany(
  db: Kysely<Database>,
  now: number,
  newSince: number | null,
): Promise<{ byCompany: Map<string, AgentBuckets>; replay: string[] }> {
  const fresh = newSince === null ? sql<number>`0` : sql<number>`sum(case when activated_at >= ${newSince} then 1 else 0 end)`;
  const rows = await db
    .selectFrom('vspc_agents')
    .select((eb) => ['company_uid', 'mode', eb.fn.countAll<number>().as('total'), fresh.as('fresh')])
    .where('active', '=', 1)
    .where('last_event_at', '<=', now)
    .groupBy(['company_uid', 'mode'])
    .execute();
  const byCompany = new Map<string, AgentBuckets>();
  for (const row of rows) {
    if (row.company_uid === null) continue;
    const buckets = byCompany.get(row.company_uid) ?? emptyBuckets();
    const total = Number(row.total);
    const newCount = Number(row.fresh ?? 0);
    buckets[row.mode as AgentMode] = { used: total - newCount, new: newCount };
    byCompany.set(row.company_uid, buckets);
  }
  const pending = await db.selectFrom('vspc_agents').select('agent_uid').where('last_event_at', '>', now).execute();
  return { byCompany, replay: pending.map((p) => p.agent_uid) };
}

export interface PoolAgent {
  agentUid: string;
  companyUid: string;
  mode: AgentMode;
  activatedAt: number;
}

/**
 * The consuming agents whose read-model row is valid at `now` (no event after it), newest first in
 * the pool's FIFO order (activation time, then agent uid byte-wise), along the `vspc_agents_rank`
 * index, a page at a time: the caller stops reading at the license boundary. `consumingBefore`
 * (Rental: the month start) leaves out the new agents.
 */
export async function* consumingAgentPagesNewestFirst(
  db: Kysely<Database>,
  dialect: Dialect,
  now: number,
  consumingBefore: number | null,
  pageSize = 1000,
): AsyncGenerator<PoolAgent[]> {
  const uid = dialect === 'postgres' ? sql<string>`agent_uid collate "C"` : sql<string>`agent_uid`;
  let after: { activatedAt: number; agentUid: string } | null = null;
  for (;;) {
    let query = db
      .selectFrom('vspc_agents')
      .select(['agent_uid', 'company_uid', 'mode', 'activated_at'])
      .where('active', '=', 1)
      .where('last_event_at', '<=', now);
    // One upper bound on activated_at for the index range: the month start, then the page's last key.
    if (after) {
      const { activatedAt, agentUid } = after;
      query = query.where('activated_at', '<=', activatedAt).where(sql<boolean>`(activated_at < ${activatedAt} or ${uid} < ${agentUid})`);
    } else if (consumingBefore !== null) {
      query = query.where('activated_at', '<', consumingBefore);
    }
    const rows = await query.orderBy('activated_at', 'desc').orderBy(uid, 'desc').limit(pageSize).execute();
    yield rows.map((row) => ({ agentUid: row.agent_uid, companyUid: row.company_uid ?? '', mode: row.mode as AgentMode, activatedAt: Number(row.activated_at) }));
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    after = { activatedAt: Number(last.activated_at), agentUid: last.agent_uid };
  }
}

/**
 * Every agent managed at `now` with its mode, company and activation (no name: the read model
 * holds none), and the agents whose history reaches past `now`, to be replayed from their events.
 * Reads the whole read model: for listings of one company's workloads, whose statuses depend on
 * the installation-wide pool.
 */
export async function managedAgentRows(
  db: Kysely<Database>,
  now: number,
): Promise<{ agents: PoolAgent[]; replay: string[] }> {
  const rows = await db
    .selectFrom('vspc_agents')
    .select(['agent_uid', 'company_uid', 'mode', 'activated_at', 'active', 'last_event_at'])
    .execute();
  const agents: PoolAgent[] = [];
  const replay: string[] = [];
  for (const row of rows) {
    if (Number(row.last_event_at) > now) replay.push(row.agent_uid);
    else if (Number(row.active) === 1 && row.company_uid !== null && row.mode !== null && row.activated_at !== null) {
      agents.push({ agentUid: row.agent_uid, companyUid: row.company_uid, mode: row.mode as AgentMode, activatedAt: Number(row.activated_at) });
    }
  }
  return { agents, replay };
}
