/**
 * Queries that feed the engine. Each reads an indexed read model and only falls back to the
 * ledger for the workloads it names (never the whole ledger).
 */
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { activityAt, RETENTION_WINDOW_MS, type UserActivity } from '../domain/vb365.js';
import { DAY_MS } from '../time.js';
import type { AgentEvent } from '../domain/vspc.js';
import type { Dialect } from './dialect.js';
import { AGENT_EVENT_TYPES, agentEventOf, isCountingBackup, parseCanonical } from '../ingest/events.js';
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
    .select(['organization_id', 'user_id', 'first_backup_at', 'last_backup_at', 'revoked_at'])
    .where('last_backup_at', '>', now - RETENTION_WINDOW_MS)
    .execute();
  const activities: UserActivity[] = [];
  const refine: { organizationId: string; userId: string }[] = [];
  for (const row of rows) {
    const first = Number(row.first_backup_at);
    const last = Number(row.last_backup_at);
    const revoked = row.revoked_at === null ? null : Number(row.revoked_at);
    if (last <= now && (revoked === null || revoked <= now)) {
      const activity: UserActivity = { organizationId: row.organization_id, userId: row.user_id, firstBackupAt: first, lastBackupAt: last };
      activities.push(revoked === null ? activity : { ...activity, revokedAt: revoked });
    } else if (first <= now) {
      refine.push({ organizationId: row.organization_id, userId: row.user_id });
    }
  }
  activities.push(...(await activitiesFromLedger(db, refine, now)));
  return activities;
}

/** Recomputes users' activity at `now` from their own backup and revocation events (a few queries for many users). */
async function activitiesFromLedger(
  db: Kysely<Database>,
  users: readonly { organizationId: string; userId: string }[],
  now: number,
  since = -Infinity,
): Promise<UserActivity[]> {
  const wanted = new Set(users.map((u) => JSON.stringify([u.organizationId, u.userId])));
  const backups = new Map<string, number[]>();
  const revocations = new Map<string, number[]>();
  const add = (map: Map<string, number[]>, key: string, at: number) => map.set(key, [...(map.get(key) ?? []), at]);
  const userIds = [...new Set(users.map((u) => u.userId))];
  for (let i = 0; i < userIds.length; i += 500) {
    const rows = await db
      .selectFrom('events')
      .select(['content'])
      .where('subject_id', 'in', userIds.slice(i, i + 500))
      .where('type', 'in', ['vb365.backup', 'vb365.licenseRevoked'])
      .where('at', '<=', now)
      .$if(since !== -Infinity, (q) => q.where('at', '>', since))
      .execute();
    for (const row of rows) {
      const event = parseCanonical(row.content);
      if (isCountingBackup(event)) {
        const key = JSON.stringify([event.organizationId, event.user.id]);
        if (wanted.has(key)) add(backups, key, event.at);
      } else if (event.type === 'vb365.licenseRevoked') {
        const key = JSON.stringify([event.organizationId, event.userId]);
        if (wanted.has(key)) add(revocations, key, event.at);
      }
    }
  }
  const activities: UserActivity[] = [];
  for (const [key, instants] of backups) {
    const [organizationId, userId] = JSON.parse(key) as [string, string];
    const activity = activityAt(organizationId, userId, instants, now, revocations.get(key));
    if (activity) activities.push(activity);
  }
  return activities;
}

/**
 * Users first backed up more than this long before `now` may have begun their hold early enough
 * for the rental exceed allowance (2 months, never shorter than 59 days) to have run out.
 */
const SHORTEST_EXCEED_MS = 59 * DAY_MS;
/** Backups older than this cannot matter: a hold that reaches back to `now − 93 days` has lasted 2 months whatever the calendar. */
const HOLD_LOOKBACK_MS = 93 * DAY_MS + RETENTION_WINDOW_MS;

/**
 * Fills `holdSince` (rental exceed timing) for the users that could have held a unit for 2 months:
 * their start is replayed from their backups and revocations of the last 124 days. A start found
 * at the edge of that range stands for any earlier one (the hold has lasted long enough either
 * way); users first backed up within 59 days keep their first backup, which is all that matters.
 */
export async function withHoldStarts(db: Kysely<Database>, activities: UserActivity[], now: number): Promise<UserActivity[]> {
  const candidates = activities.filter((a) => a.holdSince === undefined && a.firstBackupAt <= now - SHORTEST_EXCEED_MS);
  if (candidates.length === 0) return activities;
  const since = now - HOLD_LOOKBACK_MS;
  const replayed = new Map<string, UserActivity>();
  for (const activity of await activitiesFromLedger(db, candidates, now, since)) {
    replayed.set(JSON.stringify([activity.organizationId, activity.userId]), activity);
  }
  return activities.map((activity) => {
    if (activity.holdSince !== undefined || activity.firstBackupAt > now - SHORTEST_EXCEED_MS) return activity;
    const recent = replayed.get(JSON.stringify([activity.organizationId, activity.userId]));
    return { ...activity, holdSince: recent?.holdSince ?? activity.lastBackupAt };
  });
}

/**
 * The consuming users (not New) first backed up more than 59 days before `now`, with their hold
 * starts: what the rental exceed allowance needs to know whether it has run out.
 */
export async function longHolders(db: Kysely<Database>, window: ConsumptionWindow, now: number): Promise<UserActivity[]> {
  const rows = await db
    .selectFrom('vb365_users')
    .select(['organization_id', 'user_id', 'first_backup_at', 'last_backup_at'])
    .where(consuming(window))
    .where('first_backup_at', '<=', now - SHORTEST_EXCEED_MS)
    .execute();
  const activities = rows.map((row) => ({
    organizationId: row.organization_id,
    userId: row.user_id,
    firstBackupAt: Number(row.first_backup_at),
    lastBackupAt: Number(row.last_backup_at),
  }));
  return withHoldStarts(db, activities, now);
}

/** Every event of the given agents, grouped by agent. */
export async function agentEvents(db: Kysely<Database>, agentUids: readonly string[]): Promise<Map<string, AgentEvent[]>> {
  const byAgent = new Map<string, AgentEvent[]>();
  for (let i = 0; i < agentUids.length; i += 500) {
    const rows = await db
      .selectFrom('events')
      .select(['content'])
      .where('subject_id', 'in', agentUids.slice(i, i + 500))
      .where('type', 'in', AGENT_EVENT_TYPES)
      .execute();
    for (const row of rows) {
      const mapped = agentEventOf(parseCanonical(row.content));
      if (!mapped) continue;
      const list = byAgent.get(mapped.agentUid) ?? [];
      list.push(mapped.event);
      byAgent.set(mapped.agentUid, list);
    }
  }
  return byAgent;
}

/**
 * Whether any VB365 user has a counting backup or a revocation dated after `now`: then the read
 * model's summaries do not describe `now` and answers take the exact path.
 */
export async function hasBackupsAfter(db: Kysely<Database>, now: number): Promise<boolean> {
  for (const column of ['last_backup_at', 'revoked_at'] as const) {
    const row = await db.selectFrom('vb365_users').select('user_id').where(column, '>', now).limit(1).executeTakeFirst();
    if (row) return true;
  }
  return false;
}

/** The next instant after `now` at which a unit held at `now` is released by the 31-day rule; null if none is held. */
export async function nextVb365Release(db: Kysely<Database>, now: number): Promise<number | null> {
  const row = await db
    .selectFrom('vb365_users')
    .select((eb) => eb.fn.min<number>('last_backup_at').as('oldest'))
    .where('last_backup_at', '>', now - RETENTION_WINDOW_MS)
    .executeTakeFirst();
  return row?.oldest == null ? null : Number(row.oldest) + RETENTION_WINDOW_MS;
}

/** Which users consume or are new at `now`, as SQL conditions on `vb365_users` (rules 3 and 5). */
export interface ConsumptionWindow {
  /** A unit is held by users whose last backup is after this instant (now − 31 days). */
  windowStart: number;
  /** Rental: users first backed up at or after this instant are New; null when nothing is new. */
  newSince: number | null;
}

/** Holds a unit (rules 3–4): a backup in the window and no revocation since the last backup. */
function holding(window: ConsumptionWindow) {
  return (eb: ExpressionBuilder<Database, 'vb365_users'>) =>
    eb.and([
      eb('last_backup_at', '>', window.windowStart),
      eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '<', eb.ref('last_backup_at'))]),
    ]);
}

/** Holds a unit and is not New (rule 5): consumes one. */
function consuming(window: ConsumptionWindow) {
  return (eb: ExpressionBuilder<Database, 'vb365_users'>) =>
    window.newSince === null ? holding(window)(eb) : eb.and([holding(window)(eb), eb('first_backup_at', '<', window.newSince)]);
}

/** Users holding a unit in the whole installation: consuming ones and (Rental) New ones. */
export async function vb365InstallationCounts(db: Kysely<Database>, window: ConsumptionWindow) {
  const row = await db
    .selectFrom('vb365_users')
    .select((eb) => [
      eb.fn.countAll<number>().as('holding'),
      (window.newSince === null ? sql<number>`0` : sql<number>`sum(case when first_backup_at >= ${window.newSince} then 1 else 0 end)`).as('fresh'),
    ])
    .where(holding(window))
    .executeTakeFirst();
  const held = Number(row?.holding ?? 0);
  const fresh = Number(row?.fresh ?? 0);
  return { consuming: held - fresh, newUsers: fresh };
}

/** Counts for LicensingInformation: consuming users installation-wide and in one organization, and its New users. */
export async function vb365Counts(db: Kysely<Database>, window: ConsumptionWindow, organizationId: string) {
  const installation = await db
    .selectFrom('vb365_users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(consuming(window))
    .executeTakeFirst();
  const inOrganization = await db
    .selectFrom('vb365_users')
    .select((eb) => [
      eb.fn.countAll<number>().as('holding'),
      (window.newSince === null ? sql<number>`0` : sql<number>`sum(case when first_backup_at >= ${window.newSince} then 1 else 0 end)`).as('fresh'),
    ])
    .where('organization_id', '=', organizationId)
    .where(holding(window))
    .executeTakeFirst();
  const held = Number(inOrganization?.holding ?? 0);
  const newUsers = Number(inOrganization?.fresh ?? 0);
  return { consumingInstallation: Number(installation?.n ?? 0), consumingInOrganization: held - newUsers, newUsers };
}

export interface RankKey {
  firstBackupAt: number;
  userId: string;
  organizationId: string;
}

/**
 * The consuming user at position `rank` (0-based) of the installation-wide FIFO order: first
 * backup, then user id, then organization id, compared byte-wise like the engine.
 */
export async function consumingUserAtRank(db: Kysely<Database>, dialect: Dialect, window: ConsumptionWindow, rank: number): Promise<RankKey | undefined> {
  const row = await db
    .selectFrom('vb365_users')
    .select(['first_backup_at', 'user_id', 'organization_id'])
    .where(consuming(window))
    .orderBy('first_backup_at')
    .orderBy(bytewise(dialect, 'user_id'))
    .orderBy(bytewise(dialect, 'organization_id'))
    .limit(1)
    .offset(rank)
    .executeTakeFirst();
  return row && { firstBackupAt: Number(row.first_backup_at), userId: row.user_id, organizationId: row.organization_id };
}

/** Consuming users of one organization that rank at or before `key`. */
export async function consumingInOrganizationUpTo(
  db: Kysely<Database>,
  dialect: Dialect,
  window: ConsumptionWindow,
  organizationId: string,
  key: RankKey,
): Promise<number> {
  const user = bytewise(dialect, 'user_id');
  const org = bytewise(dialect, 'organization_id');
  const row = await db
    .selectFrom('vb365_users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization_id', '=', organizationId)
    .where(consuming(window))
    .where(sql<boolean>`(first_backup_at < ${key.firstBackupAt}
      or (first_backup_at = ${key.firstBackupAt} and (${user} < ${key.userId}
      or (${user} = ${key.userId} and ${org} <= ${key.organizationId}))))`)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** A text column compared byte-wise (the engine's order); PostgreSQL's default collation is not. */
function bytewise(dialect: Dialect, column: 'user_id' | 'organization_id') {
  return dialect === 'postgres' ? sql`${sql.ref(column)} collate "C"` : sql`${sql.ref(column)}`;
}

/** When the repository last reported that it no longer holds this user's data, up to `now`. */
export async function lastDataRemoval(db: Kysely<Database>, organizationId: string, userId: string, now: number): Promise<number | null> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.max<number>('at').as('at'))
    .where('scope_id', '=', organizationId)
    .where('type', '=', 'vb365.dataRemoved')
    .where('subject_id', '=', userId)
    .where('at', '<=', now)
    .executeTakeFirst();
  return row?.at == null ? null : Number(row.at);
}
