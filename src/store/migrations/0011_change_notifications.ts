/**
 * PostgreSQL: every raise of a change counter (migration 0009's triggers, the ledger's raise in
 * each batch's transaction, an operator's SQL) notifies the nodes listening on `tally_changes`,
 * with the schema's name as payload (several Tally schemas may share one database). PostgreSQL
 * delivers a notification only when its transaction commits, and never one of a transaction
 * rolled back, so a node that hears it reads the counters again and finds the change
 * (store/generation.ts). Nothing on SQLite: a single machine's processes are checked every 250 ms.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

export const CHANGES_CHANNEL = 'tally_changes';

export function changeNotificationsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect !== 'postgres') return;
      await sql`create function tally_notify_generation() returns trigger language plpgsql as $$
        begin
          perform pg_notify(${sql.lit(CHANGES_CHANNEL)}, TG_TABLE_SCHEMA);
          return null;
        end $$`.execute(db);
      // One notification per transaction: PostgreSQL folds identical ones of a transaction.
      await sql`create trigger generations_notify after update on generations
        for each row execute function tally_notify_generation()`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      if (dialect !== 'postgres') return;
      await sql`drop trigger if exists generations_notify on generations`.execute(db);
      await sql`drop function if exists tally_notify_generation()`.execute(db);
    },
  };
}
