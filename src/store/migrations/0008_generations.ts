/**
 * Change counters that every node reads to know whether its cached answers still describe the
 * database: `ledger` grows after each committed batch of new events.
 */
import type { Kysely, Migration } from 'kysely';

export const generationsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('generations')
      .addColumn('name', 'varchar(32)', (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .execute();
    await (db as Kysely<{ generations: { name: string; value: number } }>).insertInto('generations').values({ name: 'ledger', value: 0 }).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('generations').execute();
  },
};
