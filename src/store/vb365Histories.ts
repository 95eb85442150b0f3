/**
 * The backup histories the interval reports need (monthly usage report, License Overview): every
 * user that may have held a unit during [from, to), with its counting backups and revocations
 * from the 31 days before `from` up to `to`. Candidates come from the `vb365_users` read model;
 * only their events in that window are read from the ledger.
 */
import type { Kysely } from 'kysely';
import { RETENTION_WINDOW_MS } from '../domain/vb365.js';
import type { UserHistory } from '../domain/vb365MonthlyReport.js';
import { isCountingBackup, parseCanonical } from '../ingest/events.js';
import type { Database } from './schema.js';

const CHUNK = 500;

export async function userHistoriesBetween(db: Kysely<Database>, from: number, to: number): Promise<UserHistory[]> {
  const windowStart = from - RETENTION_WINDOW_MS;
  // A unit held in [from, to) needs a counting backup in (from − 31 days, to): the user's first
  // backup is before `to` and its last one (of all time) after the window's start.
  const rows = await db
    .selectFrom('vb365_users')
    .select(['organization_id', 'user_id', 'first_backup_at'])
    .where('first_backup_at', '<', to)
    .where('last_backup_at', '>', windowStart)
    .execute();
  const histories = new Map<string, UserHistory & { backups: number[]; revocations: number[] }>();
  for (const row of rows) {
    histories.set(JSON.stringify([row.organization_id, row.user_id]), {
      organizationId: row.organization_id,
      userId: row.user_id,
      firstBackupAt: Number(row.first_backup_at),
      backups: [],
      revocations: [],
    });
  }
  const userIds = [...new Set(rows.map((row) => row.user_id))];
  for (let i = 0; i < userIds.length; i += CHUNK) {
    const events = await db
      .selectFrom('events')
      .select('content')
      .where('subject_id', 'in', userIds.slice(i, i + CHUNK))
      .where('type', 'in', ['vb365.backup', 'vb365.licenseRevoked'])
      .where('at', '>', windowStart)
      .where('at', '<', to)
      .execute();
    for (const { content } of events) {
      const event = parseCanonical(content);
      if (isCountingBackup(event)) histories.get(JSON.stringify([event.organizationId, event.user.id]))?.backups.push(event.at);
      else if (event.type === 'vb365.licenseRevoked') histories.get(JSON.stringify([event.organizationId, event.userId]))?.revocations.push(event.at);
    }
  }
  return [...histories.values()];
}
