/**
 * Operator accounts, bearer tokens and API keys. Tokens and keys are stored only as SHA-256 hashes,
 * so a copy of the database yields no usable credential, and every node on one database sees them.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { AccountRow, ApiKeyRow, Database, TokenRow } from './schema.js';

export interface Account {
  /** Stable UUID (the VSPC `userUid`); the user name may be the one people know, this never changes. */
  uid: string;
  username: string;
  passwordHash: string;
  roles: string[];
  scopeUid: string | null;
  disabled: boolean;
}

/** An account to write: a new account gets a fresh uid, an existing one keeps its own. */
export type AccountInput = Omit<Account, 'uid'> & { uid?: string };

function toAccount(row: AccountRow): Account {
  return {
    // A uid is given to every account by migration 0005 and on insert; the username is the fallback
    // only for a row written by an older node in the middle of an upgrade.
    uid: row.uid ?? row.username,
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

export async function getAccountByUid(db: Kysely<Database>, uid: string): Promise<Account | undefined> {
  const row = await db.selectFrom('accounts').selectAll().where('uid', '=', uid).executeTakeFirst();
  return row && toAccount(row);
}

export async function listAccounts(db: Kysely<Database>): Promise<Account[]> {
  return (await db.selectFrom('accounts').selectAll().orderBy('username').execute()).map(toAccount);
}

/** Creates or replaces an account; answers it as stored (with its uid). */
export async function upsertAccount(db: Kysely<Database>, account: AccountInput, now: number): Promise<Account> {
  const row = {
    uid: account.uid ?? randomUUID(),
    username: account.username,
    password_hash: account.passwordHash,
    roles: JSON.stringify(account.roles),
    scope_uid: account.scopeUid,
    disabled: account.disabled ? 1 : 0,
    created_at: now,
  };
  const stored = await db
    .insertInto('accounts')
    .values(row)
    .onConflict((oc) =>
      oc.column('username').doUpdateSet({
        uid: sql<string>`coalesce(accounts.uid, excluded.uid)`,
        password_hash: row.password_hash,
        roles: row.roles,
        scope_uid: row.scope_uid,
        disabled: row.disabled,
      }),
    )
    .returning('uid')
    .executeTakeFirstOrThrow();
  return { ...account, uid: stored.uid ?? row.uid };
}

/**
 * Serialises changes to the set of accounts: the first statement of the transaction writes one
 * lock row, which PostgreSQL holds locked until commit (a concurrent transaction on any node waits
 * for it) and which makes a SQLite transaction the single writer at once. Checks made after it
 * (e.g. "is this the last administrator?") therefore see every earlier change and no later one.
 */
export async function lockAccounts(trx: Kysely<Database>): Promise<void> {
  await trx
    .insertInto('settings')
    .values({ key: 'lock.accounts', value: '1' })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: sql<string>`settings.value` }))
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Tokens

export async function insertToken(db: Kysely<Database>, token: TokenRow): Promise<void> {
  await db.insertInto('tokens').values(token).execute();
}

const ACCOUNT_COLUMNS = ['a.uid', 'a.password_hash', 'a.roles', 'a.scope_uid', 'a.disabled'] as const;

function joinedAccount(username: string, row: {
  uid: string | null; password_hash: string | null; roles: string | null; scope_uid: string | null; disabled: number | null;
}): Account | undefined {
  if (row.roles === null || row.password_hash === null) return undefined;
  return toAccount({
    uid: row.uid, username, password_hash: row.password_hash, roles: row.roles, scope_uid: row.scope_uid,
    disabled: row.disabled ?? 0, created_at: 0,
  });
}

/** An access or refresh token with its account, in one round trip (the check on every request). */
export async function findTokenWithAccount(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<{ token: TokenRow; account: Account | undefined } | undefined> {
  const row = await db
    .selectFrom('tokens as t')
    .leftJoin('accounts as a', 'a.username', 't.username')
    .select(['t.token_hash', 't.kind', 't.username', 't.issued_at', 't.expires_at', 't.family_id', 't.spent_at', ...ACCOUNT_COLUMNS])
    .where('t.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row) return undefined;
  const token: TokenRow = {
    token_hash: row.token_hash, kind: row.kind, username: row.username, issued_at: row.issued_at,
    expires_at: row.expires_at, family_id: row.family_id, spent_at: row.spent_at,
  };
  return { token, account: joinedAccount(row.username, row) };
}

export async function findToken(db: Kysely<Database>, tokenHash: string): Promise<TokenRow | undefined> {
  return db.selectFrom('tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/**
 * Marks a refresh token spent; true for the one caller (of any node) that spent it. Holds the
 * row locked on PostgreSQL until the caller's transaction ends, so a concurrent reuse sees it spent
 * only together with the tokens that replaced it.
 */
export async function spendRefreshToken(db: Kysely<Database>, tokenHash: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('tokens')
    .set({ spent_at: now })
    .where('token_hash', '=', tokenHash)
    .where('kind', '=', 'refresh')
    .where('spent_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Revokes every token (access and refresh, spent or not) of one login's family; the number removed. */
export async function deleteTokenFamily(db: Kysely<Database>, familyId: string): Promise<number> {
  const result = await db.deleteFrom('tokens').where('family_id', '=', familyId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Removes one token; true when it existed. */
export async function deleteToken(db: Kysely<Database>, tokenHash: string): Promise<boolean> {
  const result = await db.deleteFrom('tokens').where('token_hash', '=', tokenHash).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function deleteExpiredTokens(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('tokens').where('expires_at', '<=', now).execute();
}

/** Ends every session of an account (its password changed, it was disabled, or it logged out); the number of tokens removed. */
export async function deleteTokensOf(db: Kysely<Database>, username: string): Promise<number> {
  const result = await db.deleteFrom('tokens').where('username', '=', username).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Removes an account with its sessions and API keys; true when it existed. Run it in a transaction. */
export async function deleteAccount(db: Kysely<Database>, username: string): Promise<boolean> {
  await db.deleteFrom('tokens').where('username', '=', username).execute();
  await db.deleteFrom('api_keys').where('username', '=', username).execute();
  const result = await db.deleteFrom('accounts').where('username', '=', username).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

// ---------------------------------------------------------------------------------------------
// API keys

export interface ApiKey {
  id: string;
  username: string;
  name: string;
  readOnly: boolean;
  createdAt: number;
}

function toApiKey(row: Omit<ApiKeyRow, 'key_hash'>): ApiKey {
  return { id: row.id, username: row.username, name: row.name, readOnly: Number(row.read_only) !== 0, createdAt: Number(row.created_at) };
}

export async function insertApiKey(db: Kysely<Database>, row: ApiKeyRow): Promise<ApiKey> {
  await db.insertInto('api_keys').values(row).execute();
  return toApiKey(row);
}

/** The keys of an account, oldest first; never their hashes. */
export async function listApiKeys(db: Kysely<Database>, username: string): Promise<ApiKey[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select(['id', 'username', 'name', 'read_only', 'created_at'])
    .where('username', '=', username)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toApiKey);
}

export async function deleteApiKey(db: Kysely<Database>, username: string, id: string): Promise<ApiKey | undefined> {
  const found = await db
    .selectFrom('api_keys')
    .select(['id', 'username', 'name', 'read_only', 'created_at'])
    .where('username', '=', username)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!found) return undefined;
  await db.deleteFrom('api_keys').where('id', '=', id).execute();
  return toApiKey(found);
}

/** An API key with its account, in one round trip. */
export async function findApiKeyWithAccount(
  db: Kysely<Database>,
  keyHash: string,
): Promise<{ key: ApiKey; account: Account | undefined } | undefined> {
  const row = await db
    .selectFrom('api_keys as k')
    .leftJoin('accounts as a', 'a.username', 'k.username')
    .select(['k.id', 'k.username', 'k.name', 'k.read_only', 'k.created_at', ...ACCOUNT_COLUMNS])
    .where('k.key_hash', '=', keyHash)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    key: toApiKey({ id: row.id, username: row.username, name: row.name, read_only: row.read_only, created_at: row.created_at }),
    account: joinedAccount(row.username, row),
  };
}

/** The user names of the accounts confined to a scope (a reseller or a company uid). */
export async function accountsScopedTo(db: Kysely<Database>, scopeUid: string): Promise<string[]> {
  const rows = await db.selectFrom('accounts').select('username').where('scope_uid', '=', scopeUid).orderBy('username').execute();
  return rows.map((r) => r.username);
}
