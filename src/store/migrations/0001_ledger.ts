/**
 * The first schema: entities, licenses, the event ledger and its read models, accounts and tokens.
 * One source for both dialects; the only difference is how the ledger's sequence is generated.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

export function ledgerMigration(dialect: Dialect): Migration {
  return { up: (db) => up(db, dialect), down };
}

async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('resellers')
    .addColumn('uid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('companies')
    .addColumn('uid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('reseller_uid', 'varchar(36)')
    .addColumn('tenant_uid', 'varchar(36)', (c) => c.unique())
    .execute();

  await db.schema
    .createTable('organizations')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('office_name', 'text')
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('region', 'varchar(16)', (c) => c.notNull())
    .addColumn('company_uid', 'varchar(36)')
    .execute();

  await db.schema
    .createTable('licenses')
    .addColumn('product', 'varchar(16)', (c) => c.primaryKey())
    .addColumn('terms', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('id', 'varchar(200)', (c) => c.notNull().unique())
    .addColumn('type', 'varchar(40)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('scope_id', 'varchar(36)')
    .addColumn('subject_id', 'varchar(200)', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('ingested_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_subject_at').on('events').columns(['subject_id', 'at']).execute();
  // An organization's first and last backup at any instant: two index probes.
  await db.schema.createIndex('events_scope_type_at').on('events').columns(['scope_id', 'type', 'at']).execute();

  await db.schema
    .createTable('vb365_users')
    .addColumn('organization_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(200)', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // Null until the user's first counting backup is recorded (a revocation may arrive first).
    .addColumn('first_backup_at', 'bigint')
    .addColumn('last_backup_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addPrimaryKeyConstraint('vb365_users_pk', ['organization_id', 'user_id'])
    .execute();
  await db.schema.createIndex('vb365_users_revoked').on('vb365_users').column('revoked_at').execute();
  // Covering indexes: the counts behind LicensingInformation and License read no table rows.
  await db.schema
    .createIndex('vb365_users_last_backup')
    .on('vb365_users')
    .columns(['last_backup_at', 'revoked_at', 'first_backup_at'])
    .execute();
  await db.schema
    .createIndex('vb365_users_org_last_backup')
    .on('vb365_users')
    .columns(['organization_id', 'last_backup_at', 'revoked_at', 'first_backup_at'])
    .execute();
  // The installation-wide FIFO ranking: by first backup, then user id, then organization id,
  // compared byte-wise (PostgreSQL needs the C collation for that; SQLite compares bytes anyway).
  if (dialect === 'postgres') {
    await sql`create index vb365_users_rank on vb365_users (first_backup_at, user_id collate "C", organization_id collate "C")`.execute(db);
  } else {
    await db.schema.createIndex('vb365_users_rank').on('vb365_users').columns(['first_backup_at', 'user_id', 'organization_id']).execute();
  }

  await db.schema
    .createTable('vspc_agent_companies')
    .addColumn('agent_uid', 'varchar(36)', (c) => c.notNull())
    .addColumn('company_uid', 'varchar(36)', (c) => c.notNull())
    .addPrimaryKeyConstraint('vspc_agent_companies_pk', ['company_uid', 'agent_uid'])
    .execute();

  // Read model: each agent's state after all its events (valid for any `now` at or after
  // last_event_at; agents with later events are replayed from the ledger).
  await db.schema
    .createTable('vspc_agents')
    .addColumn('agent_uid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('company_uid', 'varchar(36)')
    .addColumn('mode', 'varchar(16)')
    .addColumn('activated_at', 'bigint')
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('last_event_at', 'bigint', (c) => c.notNull())
    .execute();
  // Covering: a company's counters are read from the index alone.
  await db.schema
    .createIndex('vspc_agents_company')
    .on('vspc_agents')
    .columns(['company_uid', 'active', 'mode', 'last_event_at', 'activated_at'])
    .execute();
  await db.schema.createIndex('vspc_agents_last_event').on('vspc_agents').column('last_event_at').execute();

  await db.schema
    .createTable('accounts')
    .addColumn('username', 'varchar(200)', (c) => c.primaryKey())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('scope_uid', 'varchar(36)')
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('username', 'varchar(200)', (c) => c.notNull())
    .addColumn('issued_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tokens_expires').on('tokens').column('expires_at').execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'settings', 'tokens', 'accounts', 'vspc_agents', 'vspc_agent_companies', 'vb365_users', 'events',
    'licenses', 'organizations', 'companies', 'resellers',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
