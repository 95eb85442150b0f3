/**
 * Queries that feed the engine. Each reads an indexed read model and only falls back to the
 * ledger for the workloads it names (never the whole ledger).
 */
import type { Kysely } from 'kysely';
import { activityAt, RETENTION_WINDOW_MS, type UserActivity } from '../domain/vb365.js';
import type { AgentEvent } from '../domain/vspc.js';
import { agentEventOf, isCountingBackup, parseCanonical } from '../ingest/events.js';
import type { Database } from './schema.js';

/**
 * The activity at `now` of every VB365 user that may hold a unit: those with a counting backup in
 * (now − 31 days, now]. The read model keeps each user's first and last counting backup; a user
 * whose recorded backups reach past `now` (events dated in the future, or a clock moved back) is
 * recomputed from its own events.
 */
export async function vb365ActivitiesInWindow(db: Kysely<Database>, now: number): Promise<UserActivity[]> {
  const rows = await db
    .selectFrom('vb365_users')
    .select(['organization_id', 'user_id', 'first_backup_at', 'last_backup_at'])
    .where('last_backup_at', '>', now - RETENTION_WINDOW_MS)
    .execute();
  const activities: UserActivity[] = [];
  for (const row of rows) {
    const first = Number(row.first_backup_at);
    const last = Number(row.last_backup_at);
    if (last <= now) {
      activities.push({ organizationId: row.organization_id, userId: row.user_id, firstBackupAt: first, lastBackupAt: last });
    } else if (first <= now) {
      const exact = await userActivityFromLedger(db, row.organization_id, row.user_id, now);
      if (exact) activities.push(exact);
    }
  }
  return activities;
}

async function userActivityFromLedger(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  now: number,
): Promise<UserActivity | null> {
  const rows = await db
    .selectFrom('events')
    .select(['content'])
    .where('subject_id', '=', userId)
    .where('scope_id', '=', organizationId)
    .where('type', '=', 'vb365.backup')
    .where('at', '<=', now)
    .execute();
  const instants: number[] = [];
  for (const row of rows) {
    const event = parseCanonical(row.content);
    if (isCountingBackup(event)) instants.push(event.at);
  }
  return activityAt(organizationId, userId, instants, now);
}

/** Every event of every agent that was ever activated in `companyUid`, grouped by agent. */
export async function agentEventsOfCompany(
  db: Kysely<Database>,
  companyUid: string,
): Promise<Map<string, AgentEvent[]>> {
  const agents = await db
    .selectFrom('vspc_agent_companies')
    .select('agent_uid')
    .where('company_uid', '=', companyUid)
    .execute();
  const byAgent = new Map<string, AgentEvent[]>();
  const uids = agents.map((a) => a.agent_uid);
  for (let i = 0; i < uids.length; i += 500) {
    const rows = await db
      .selectFrom('events')
      .select(['content'])
      .where('subject_id', 'in', uids.slice(i, i + 500))
      .where('type', 'in', ['vspc.agentActivated', 'vspc.agentModeChanged', 'vspc.agentDeactivated'])
      .execute();
    for (const row of rows) {
      const mapped = agentEventOf(parseCanonical(row.content));
      if (!mapped) continue;
      const { agentUid, event: agentEvent } = mapped;
      const list = byAgent.get(agentUid) ?? [];
      list.push(agentEvent);
      byAgent.set(agentUid, list);
    }
  }
  return byAgent;
}
