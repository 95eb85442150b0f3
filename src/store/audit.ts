/** The audit log: one row per recorded change, newest last; read newest first. */
import { sql, type Kysely } from 'kysely';
import type { AuditRow, Database } from './schema.js';

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  actorUid: string | null;
  clientAddress: string | null;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

export type NewAuditRow = Omit<AuditRow, 'id'>;

export async function insertAuditEntry(db: Kysely<Database>, row: NewAuditRow): Promise<void> {
  await db.insertInto('audit_log').values(row).execute();
}

export interface AuditFilter {
  limit: number;
  offset: number;
  /** An exact action, or a prefix ending in `*` (`account.*`). */
  action?: string | undefined;
  actor?: string | undefined;
  /** Entries at or after this instant (epoch ms). */
  since?: number | undefined;
}

export async function queryAudit(db: Kysely<Database>, filter: AuditFilter): Promise<{ total: number; entries: AuditEntry[] }> {
  let query = db.selectFrom('audit_log');
  if (filter.action !== undefined) {
    if (filter.action.endsWith('*')) {
      const prefix = filter.action.slice(0, -1);
      // substr rather than LIKE: action names contain `_`, which LIKE would read as a wildcard.
      query = query.where(sql<boolean>`substr(action, 1, ${prefix.length}) = ${prefix}`);
    } else {
      query = query.where('action', '=', filter.action);
    }
  }
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  const [count, rows] = await Promise.all([
    query.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst(),
    query.selectAll().orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute(),
  ]);
  return {
    total: Number(count?.n ?? 0),
    entries: rows.map((row) => ({
      id: Number(row.id),
      at: Number(row.at),
      actor: row.actor,
      actorUid: row.actor_uid,
      clientAddress: row.client_address,
      action: row.action,
      target: row.target,
      details: JSON.parse(row.details) as Record<string, unknown>,
    })),
  };
}
