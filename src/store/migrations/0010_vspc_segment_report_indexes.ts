/**
 * Two partial indexes on `vspc_agent_segments` that make the month-end report proportional to the
 * agents managed today plus the changes since the month began, without sorting the whole table:
 *
 * - `vspc_agent_segments_open`: the stretches that still last (one per managed agent), in
 *   (company, mode) order, so that the agents managed since before the month are counted per
 *   company by one walk of the index, with no temporary B-tree for the GROUP BY.
 * - `vspc_agent_segments_closed`: the stretches that ended, by their end, so that those that end
 *   inside or after the month are found by a range instead of a scan of every stretch.
 *
 * Creating an index fills it from the existing rows: existing databases need no other backfill.
 */
import type { Kysely, Migration } from 'kysely';
import { sql } from 'kysely';

export const vspcSegmentReportIndexesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    // `to_at` is in the open index although it is always null there: SQLite reads a partial
    // index alone only when it holds every column the query names, its WHERE included.
    await db.schema
      .createIndex('vspc_agent_segments_open')
      .on('vspc_agent_segments')
      .columns(['company_uid', 'mode', 'from_at', 'to_at'])
      .where(sql.ref('to_at'), 'is', null)
      .execute();
    await db.schema
      .createIndex('vspc_agent_segments_closed')
      .on('vspc_agent_segments')
      .columns(['to_at', 'from_at', 'activated_at', 'company_uid', 'mode', 'agent_uid'])
      .where(sql.ref('to_at'), 'is not', null)
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('vspc_agent_segments_closed').execute();
    await db.schema.dropIndex('vspc_agent_segments_open').execute();
  },
};
