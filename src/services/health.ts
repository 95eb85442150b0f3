/**
 * What `GET /ready` and `GET /metrics` read from the store: whether the database answers and has
 * every migration of this build, and the ledger's size. An operation of its own so that the
 * faces never touch the store (docs/architecture.md, layers).
 */
import { sql } from 'kysely';
import { pendingMigrations, type Store } from '../store/database.js';

export type Readiness = { ready: true } | { ready: false; reason: string };

/** Answers within `timeoutMs`, or not ready: a hung database must not hang the probe. */
export async function readiness(store: Store, timeoutMs = 2000): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Readiness>((resolve) => {
    timer = setTimeout(() => resolve({ ready: false, reason: `the database did not answer within ${timeoutMs} ms` }), timeoutMs);
  });
  const check = (async (): Promise<Readiness> => {
    try {
      const pending = await pendingMigrations(store.db, store.dialect);
      if (pending.length > 0) return { ready: false, reason: `migrations not applied: ${pending.join(', ')}` };
      return { ready: true };
    } catch (error) {
      return { ready: false, reason: `the database is not reachable: ${(error as Error).message}` };
    }
  })();
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Events in the ledger: its highest sequence number (the ledger only grows; no count(*) scan). */
export async function ledgerSize(store: Store): Promise<number> {
  const result = await sql<{ seq: number | string | null }>`select max(seq) as seq from events`.execute(store.db);
  return Number(result.rows[0]?.seq ?? 0);
}

/** The database's connections: PostgreSQL's pool, or SQLite's one connection. */
export function poolState(store: Store): { total: number; idle: number; waiting: number } {
  return store.poolState?.() ?? { total: 1, idle: 1, waiting: 0 };
}
