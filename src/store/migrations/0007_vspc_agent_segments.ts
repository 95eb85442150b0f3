/**
 * Read model for the month-end report: every stretch of time during which a VSPC agent was
 * managed by one company in one mode (`agentSegments` of the engine), kept by ingestion. The
 * report then reads the stretches that overlap a month instead of replaying every agent.
 * Existing ledgers are backfilled by replaying each agent's events once.
 */
import type { Kysely, Migration } from 'kysely';
import type { Database } from '../schema.js';
import { agentUidsIn, writeAgentSegments } from '../agentSegments.js';

export const vspcAgentSegmentsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('vspc_agent_segments')
      .addColumn('agent_uid', 'varchar(36)', (c) => c.notNull())
      .addColumn('from_at', 'bigint', (c) => c.notNull())
      // Exclusive end; null while the stretch lasts.
      .addColumn('to_at', 'bigint')
      .addColumn('company_uid', 'varchar(36)', (c) => c.notNull())
      .addColumn('mode', 'varchar(16)', (c) => c.notNull())
      .addColumn('activated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('vspc_agent_segments_pk', ['agent_uid', 'from_at'])
      .execute();
    // The report asks for stretches that begin before a month ends and end after it begins, and
    // groups them by company and mode: covering, so that it reads the index alone.
    await db.schema
      .createIndex('vspc_agent_segments_from')
      .on('vspc_agent_segments')
      .columns(['from_at', 'to_at', 'activated_at', 'company_uid', 'mode', 'agent_uid'])
      .execute();
    const typed = db as unknown as Kysely<Database>;
    for await (const uids of agentUidsIn(typed)) await writeAgentSegments(typed, uids);
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('vspc_agent_segments').execute();
  },
};
