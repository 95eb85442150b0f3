/** Operator accounts and bearer tokens. Tokens are stored only as SHA-256 hashes. */
import type { Kysely } from 'kysely';
import type { Database, TokenRow } from './schema.js';

export interface Account {
  username: string;
  passwordHash: string;
  roles: string[];
  scopeUid: string | null;
  disabled: boolean;
}

export async function getAccount(db: Kysely<Database>, username: string): Promise<Account | undefined> {
  const row = await db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
  return row && {
    username: row.username,
    passwordHash: row.password_hash,
    roles: JSON.parse(row.roles) as string[],
    scopeUid: row.scope_uid,
    disabled: Number(row.disabled) !== 0,
  };
}

export async function listAccounts(db: Kysely<Database>): Promise<Account[]> {
  const rows = await db.selectFrom('accounts').selectAll().orderBy('username').execute();
  return rows.map((row) => ({
    username: row.username,
    passwordHash: row.password_hash,
    roles: JSON.parse(row.roles) as string[],
    scopeUid: row.scope_uid,
    disabled: Number(row.disabled) !== 0,
  }));
}

export async function countAccounts(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('accounts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
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
