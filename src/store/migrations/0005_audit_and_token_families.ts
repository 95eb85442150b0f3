/**
 * Security: token families (a refresh token is marked spent instead of deleted, so that its reuse
 * is recognised and revokes the whole family), a stable uid per account (VSPC `userUid`), API keys
 * stored as hashes, and the audit log.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

export function auditAndTokenFamiliesMigration(dialect: Dialect): Migration {
  return { up: (db) => up(db, dialect), down };
}

async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('family_id', 'varchar(36)').execute();
  await db.schema.alterTable('tokens').addColumn('spent_at', 'bigint').execute();
  await db.schema.createIndex('tokens_family').on('tokens').column('family_id').execute();
  await db.schema.createIndex('tokens_username').on('tokens').column('username').execute();

  // SQLite cannot add a NOT NULL column without a default: the column is nullable, every existing
  // account gets a uid here, and the store gives every new account one.
  await db.schema.alterTable('accounts').addColumn('uid', 'varchar(36)').execute();
  const accounts = await db.selectFrom('accounts').select('username').execute();
  for (const { username } of accounts as { username: string }[]) {
    await db.updateTable('accounts').set({ uid: randomUUID() }).where('username', '=', username).execute();
  }
  await db.schema.createIndex('accounts_uid').on('accounts').column('uid').unique().execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('username', 'varchar(200)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('key_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('read_only', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('api_keys_username').on('api_keys').column('username').execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'varchar(200)', (c) => c.notNull())
    .addColumn('actor_uid', 'varchar(36)')
    .addColumn('client_address', 'varchar(100)')
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull().defaultTo(sql`'{}'`))
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
  await db.schema.createIndex('audit_log_action_at').on('audit_log').columns(['action', 'at']).execute();
  await db.schema.createIndex('audit_log_actor_at').on('audit_log').columns(['actor', 'at']).execute();
}

async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
  await db.schema.dropTable('api_keys').execute();
  await db.schema.dropIndex('accounts_uid').execute();
  await db.schema.alterTable('accounts').dropColumn('uid').execute();
  await db.schema.dropIndex('tokens_username').execute();
  await db.schema.dropIndex('tokens_family').execute();
  await db.schema.alterTable('tokens').dropColumn('spent_at').execute();
  await db.schema.alterTable('tokens').dropColumn('family_id').execute();
}
