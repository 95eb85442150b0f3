/**
 * The ledger's generation: a counter raised after every committed batch of new events, by
 * whichever node or command wrote it. Cached answers remember the generation they were computed
 * at and are recomputed when it moves.
 *
 * It is raised after the commit, never inside the transaction: inside, concurrent batches on
 * PostgreSQL would queue on the counter's row lock. After the commit, a reader that sees the old
 * value may cache an answer computed with or without the batch, and the raise that follows makes
 * every node drop it; a reader that sees the new value also sees the batch.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export async function ledgerGeneration(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('generations').select('value').where('name', '=', 'ledger').executeTakeFirst();
  return Number(row?.value ?? 0);
}

export async function raiseLedgerGeneration(db: Kysely<Database>): Promise<void> {
  await db.updateTable('generations').set({ value: sql`value + 1` }).where('name', '=', 'ledger').execute();
}
