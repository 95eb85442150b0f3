/**
 * The VSPC pool's FIFO order (rule 17): managed agents by activation time, then agent uid compared
 * byte-wise (PostgreSQL needs the C collation for that; SQLite compares bytes anyway). When the
 * installation is over its license, the console counters read agents newest first along this
 * index, only as far as the license boundary; it covers the columns they read.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

export function vspcAgentRankMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === 'postgres') {
        await sql`create index vspc_agents_rank on vspc_agents (active, activated_at, agent_uid collate "C") include (last_event_at, company_uid, mode)`.execute(db);
      } else {
        await db.schema
          .createIndex('vspc_agents_rank')
          .on('vspc_agents')
          .columns(['active', 'activated_at', 'agent_uid', 'last_event_at', 'company_uid', 'mode'])
          .execute();
      }
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('vspc_agents_rank').execute();
    },
  };
}
