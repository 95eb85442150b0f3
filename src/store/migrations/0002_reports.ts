/** Frozen monthly reports: once generated after the month ends, a report never changes. */
import type { Kysely, Migration } from 'kysely';

export const reportsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('reports')
      .addColumn('product', 'varchar(16)', (c) => c.notNull())
      .addColumn('month', 'varchar(7)', (c) => c.notNull())
      .addColumn('generated_at', 'bigint', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('reports_pk', ['product', 'month'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('reports').execute();
  },
};
