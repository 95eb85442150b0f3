/** Operator accounts and bearer tokens. Tokens are stored only as SHA-256 hashes. */
import type { Kysely } from 'kysely';
import type { AccountRow, Database, TokenRow } from './schema.js';

export interface Account {
  username: string;
  passwordHash: string;
  roles: string[];
  scopeUid: string | null;
  disabled: boolean;
}

function toAccount(row: AccountRow): Account {
  return {
    username: row.username,
    passwordHash: row.password_hash,
    roles: JSON.parse(row.roles) as string[],
    scopeUid: row.scope_uid,
    disabled: Number(row.disabled) !== 0,
  };
}

export async function getAccount(db: Kysely<Database>, username: string): Promise<Account | undefined> {
  const row = await db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
  return row && toAccount(row);
}

export async function listAccounts(db: Kysely<Database>): Promise<Account[]> {
  return (await db.selectFrom('accounts').selectAll().orderBy('username').execute()).map(toAccount);
}

export async function upsertAccount(db: Kysely<Database>, account: Account, now: number): Promise<void> {
  const row = {
    username: account.username,
    password_hash: account.passwordHash,
    roles: JSON.stringify(account.roles),
    scope_uid: account.scopeUid,
    disabled: account.disabled ? 1 : 0,
    created_at: now,
  };
  await db
    .insertInto('accounts')
    .values(row)
    .onConflict((oc) =>
      oc.column('username').doUpdateSet({
        password_hash: row.password_hash,
        roles: row.roles,
        scope_uid: row.scope_uid,
        disabled: row.disabled,
      }),
    )
    .execute();
}

export async function insertToken(db: Kysely<Database>, token: TokenRow): Promise<void> {
  await db.insertInto('tokens').values(token).execute();
}

/** An access or refresh token with its account, in one round trip (the check on every request). */
export async function findTokenWithAccount(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<{ token: TokenRow; account: Account | undefined } | undefined> {
  const row = await db
    .selectFrom('tokens as t')
    .leftJoin('accounts as a', 'a.username', 't.username')
    .select([
      't.token_hash', 't.kind', 't.username', 't.issued_at', 't.expires_at',
      'a.password_hash', 'a.roles', 'a.scope_uid', 'a.disabled', 'a.created_at',
    ])
    .where('t.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row) return undefined;
  const token: TokenRow = { token_hash: row.token_hash, kind: row.kind, username: row.username, issued_at: row.issued_at, expires_at: row.expires_at };
  const account =
    row.roles === null || row.password_hash === null
      ? undefined
      : toAccount({ username: row.username, password_hash: row.password_hash, roles: row.roles, scope_uid: row.scope_uid, disabled: row.disabled ?? 0, created_at: row.created_at ?? 0 });
  return { token, account };
}

export async function findToken(db: Kysely<Database>, tokenHash: string): Promise<TokenRow | undefined> {
  return db.selectFrom('tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Removes a token; true when it existed (a refresh token is spent exactly once). */
export async function deleteToken(db: Kysely<Database>, tokenHash: string): Promise<boolean> {
  const result = await db.deleteFrom('tokens').where('token_hash', '=', tokenHash).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function deleteExpiredTokens(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('tokens').where('expires_at', '<=', now).execute();
}

/** Removes an account and its sessions; true when it existed. */
export async function deleteAccount(db: Kysely<Database>, username: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('tokens').where('username', '=', username).execute();
    const result = await trx.deleteFrom('accounts').where('username', '=', username).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

/** Ends every session of an account (its password changed, or it was disabled). */
export async function deleteTokensOf(db: Kysely<Database>, username: string): Promise<void> {
  await db.deleteFrom('tokens').where('username', '=', username).execute();
}
