/** Failed logins per account and per client address, shared by every node (login throttling). */
import type { Kysely, Migration } from 'kysely';

export const loginAttemptsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('login_attempts')
      .addColumn('key', 'varchar(300)', (c) => c.primaryKey())
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('login_attempts').execute();
  },
};
