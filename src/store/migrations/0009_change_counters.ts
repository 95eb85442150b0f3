/**
 * Two more change counters beside `ledger`, raised by the database itself (triggers), so that no
 * code path, command or other node can change what a cache depends on without moving them:
 *
 * - `auth`: accounts (any change), tokens (a refresh token spent, any removal: revocation,
 *   logout, password change, expiry clean-up) and API keys (change or removal). A cached
 *   principal is reused only while it holds.
 *   Issuing a token or a key does not raise it: nothing caches the absence of a credential.
 * - `config`: settings (the time-travel clock), licenses, the entities (resellers, companies,
 *   organizations) and stored reports. Cached clock readings, license terms and entity lookups are
 *   reused only while it holds.
 *
 * Raised inside the writing transaction, so a reader that sees the new value also sees the change.
 * These tables change rarely (administration, logins), so the counter row's lock on PostgreSQL
 * costs nothing that matters; the ledger's counter is raised after commit instead (generation.ts).
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

/** Table → the operations that raise each counter. */
const RAISES: { table: string; counter: 'auth' | 'config'; operations: ('INSERT' | 'UPDATE' | 'DELETE')[] }[] = [
  { table: 'accounts', counter: 'auth', operations: ['INSERT', 'UPDATE', 'DELETE'] },
  { table: 'tokens', counter: 'auth', operations: ['UPDATE', 'DELETE'] },
  { table: 'api_keys', counter: 'auth', operations: ['UPDATE', 'DELETE'] },
  ...['settings', 'licenses', 'resellers', 'companies', 'organizations', 'reports'].map((table) => ({
    table,
    counter: 'config' as const,
    operations: ['INSERT', 'UPDATE', 'DELETE'] as ('INSERT' | 'UPDATE' | 'DELETE')[],
  })),
];

const triggerName = (table: string, operation: string) => `${table}_${operation.toLowerCase()}_raises_generation`;

export function changeCountersMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`insert into generations (name, value) values ('auth', 0), ('config', 0)`.execute(db);
      if (dialect === 'postgres') {
        // One function for every trigger; the counter's name is the trigger's argument. It finds
        // `generations` in the schema it was created in, whatever the writing session's
        // search_path (an operator's psql session, another Tally schema first on the path).
        // Statement triggers: a bulk removal (expired tokens) raises the counter once. TRUNCATE
        // fires no DELETE trigger, so it has its own.
        await sql`create function tally_raise_generation() returns trigger language plpgsql
          set search_path from current as $$
          begin
            update generations set value = value + 1 where name = TG_ARGV[0];
            return null;
          end $$`.execute(db);
        for (const { table, counter, operations } of RAISES) {
          for (const operation of [...operations, 'TRUNCATE']) {
            await sql`create trigger ${sql.raw(triggerName(table, operation))} after ${sql.raw(operation)} on ${sql.table(table)}
              for each statement execute function tally_raise_generation(${sql.lit(counter)})`.execute(db);
          }
        }
        return;
      }
      for (const { table, counter, operations } of RAISES) {
        for (const operation of operations) {
          await sql`create trigger ${sql.raw(triggerName(table, operation))} after ${sql.raw(operation)} on ${sql.table(table)}
            begin update generations set value = value + 1 where name = ${sql.lit(counter)}; end`.execute(db);
        }
      }
    },
    async down(db: Kysely<unknown>) {
      for (const { table, operations } of RAISES) {
        for (const operation of dialect === 'postgres' ? [...operations, 'TRUNCATE'] : operations) await sql`drop trigger if exists ${sql.raw(triggerName(table, operation))}${sql.raw(dialect === 'postgres' ? ` on ${table}` : '')}`.execute(db);
      }
      if (dialect === 'postgres') await sql`drop function if exists tally_raise_generation()`.execute(db);
      await sql`delete from generations where name in ('auth', 'config')`.execute(db);
    },
  };
}
