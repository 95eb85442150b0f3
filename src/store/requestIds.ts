/**
 * The `request_ids` table: for each (account, X-Request-id) the fingerprint of the first request
 * and, once it has been answered, its answer. A row is claimed atomically (primary key), so that
 * of two nodes receiving the same id at once exactly one executes the request.
 */
import type { Kysely } from 'kysely';
import type { Database, RequestIdRow } from './schema.js';

export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type RequestIdRecord =
  | { state: 'pending'; fingerprint: string; expiresAt: number }
  | { state: 'done'; fingerprint: string; expiresAt: number; answer: StoredAnswer };

function toRecord(row: RequestIdRow): RequestIdRecord {
  const expiresAt = Number(row.expires_at);
  if (row.state === 'done') {
    return {
      state: 'done',
      fingerprint: row.fingerprint,
      expiresAt,
      answer: { status: Number(row.status), headers: JSON.parse(row.headers ?? '{}') as Record<string, string>, body: row.body ?? '' },
    };
  }
  return { state: 'pending', fingerprint: row.fingerprint, expiresAt };
}

/** The unexpired record of this id, if any. */
export async function findRequestId(db: Kysely<Database>, account: string, requestId: string, now: number): Promise<RequestIdRecord | undefined> {
  const row = await db
    .selectFrom('request_ids')
    .selectAll()
    .where('account', '=', account)
    .where('request_id', '=', requestId)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row && toRecord(row);
}

/**
 * Claims the id for a request about to run: true for the one caller (of any node) that may
 * execute it. An expired record of the same id is replaced: after the window the id is new again.
 */
export async function claimRequestId(
  db: Kysely<Database>,
  claim: { account: string; requestId: string; fingerprint: string; now: number; expiresAt: number },
): Promise<boolean> {
  await db
    .deleteFrom('request_ids')
    .where('account', '=', claim.account)
    .where('request_id', '=', claim.requestId)
    .where('expires_at', '<=', claim.now)
    .execute();
  const inserted = await db
    .insertInto('request_ids')
    .values({
      account: claim.account,
      request_id: claim.requestId,
      fingerprint: claim.fingerprint,
      state: 'pending',
      status: null,
      headers: null,
      body: null,
      created_at: claim.now,
      expires_at: claim.expiresAt,
    })
    .onConflict((oc) => oc.columns(['account', 'request_id']).doNothing())
    .returning('request_id')
    .execute();
  return inserted.length === 1;
}

/** Stores the answer of a claimed id; later requests with the id replay it. */
export async function completeRequestId(db: Kysely<Database>, account: string, requestId: string, answer: StoredAnswer): Promise<void> {
  await db
    .updateTable('request_ids')
    .set({ state: 'done', status: answer.status, headers: JSON.stringify(answer.headers), body: answer.body })
    .where('account', '=', account)
    .where('request_id', '=', requestId)
    .where('state', '=', 'pending')
    .execute();
}

/** Gives a claimed id back (the request failed on the server's side): a retry executes again. */
export async function releaseRequestId(db: Kysely<Database>, account: string, requestId: string): Promise<void> {
  await db
    .deleteFrom('request_ids')
    .where('account', '=', account)
    .where('request_id', '=', requestId)
    .where('state', '=', 'pending')
    .execute();
}

/** Deletes every expired record; answers how many. */
export async function deleteExpiredRequestIds(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db.deleteFrom('request_ids').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows ?? 0);
}
