/**
 * Installation-wide agent counts for the VSPC console usage family: every company's managed
 * agents by mode and new/used, in one GROUP BY over the `vspc_agents` read model.
 */
import { sql, type Kysely } from 'kysely';
import type { AgentMode } from '../domain/licenses.js';
import { emptyBuckets, type AgentBuckets } from '../domain/vspc.js';
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
