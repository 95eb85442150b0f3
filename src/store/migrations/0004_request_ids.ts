/**
 * `X-Request-id` idempotency of the VSPC face: the answer to each (account, request id) for five
 * minutes, shared by every node on the database (a retry may reach another node).
 */
import type { Kysely, Migration } from 'kysely';

export const requestIdsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('request_ids')
      .addColumn('account', 'varchar(200)', (c) => c.notNull())
      .addColumn('request_id', 'varchar(36)', (c) => c.notNull())
      // SHA-256 (hex) of method, URL and body: the same id for another request is a conflict.
      .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull())
      // 'pending' while the first request runs, 'done' once its answer is stored.
      .addColumn('state', 'varchar(10)', (c) => c.notNull())
      .addColumn('status', 'integer')
      .addColumn('headers', 'text')
      .addColumn('body', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('request_ids_pk', ['account', 'request_id'])
      .execute();
    await db.schema.createIndex('request_ids_expires_at').on('request_ids').column('expires_at').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('request_ids').execute();
  },
};
