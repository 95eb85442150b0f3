/**
 * Kysely is given an object of Tally's own over the SQLite connection (store/database.ts,
 * statementCache) that keeps prepared statements: the connection itself stays better-sqlite3 as
 * documented, and queries answer the same whether their statement is new or kept.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { statementCache } from '../../src/store/database.js';

test('the SQLite connection keeps its own prepare: nothing of better-sqlite3 is patched', () => {
  const sqlite = new SQLite(':memory:');
  statementCache(sqlite);
  assert.equal(Object.hasOwn(sqlite, 'prepare'), false);
  assert.equal(sqlite.prepare, SQLite.prototype.prepare);
  sqlite.close();
});

test('a query run again reuses its prepared statement and answers with the current rows', async () => {
  const sqlite = new SQLite(':memory:');
  const cache = statementCache(sqlite, 2);
  const prepared: string[] = [];
  const counting = { prepare: (source: string) => (prepared.push(source), cache.prepare(source)), close: () => cache.close() };
  const db = new Kysely<{ t: { id: number; name: string } }>({ dialect: new SqliteDialect({ database: counting }) });
  await db.schema.createTable('t').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute();
  await db.insertInto('t').values({ id: 1, name: 'a' }).execute();
  const read = () => db.selectFrom('t').select('name').where('id', '=', 1).executeTakeFirst();
  assert.deepEqual(await read(), { name: 'a' });
  const statement = cache.prepare(prepared.at(-1)!);
  await db.updateTable('t').set({ name: 'b' }).where('id', '=', 1).execute();
  assert.deepEqual(await read(), { name: 'b' });
  assert.equal(cache.prepare(prepared.at(-1)!), statement, 'the kept statement is handed out again');
  // Past its size the least recently used statement is dropped and prepared anew when needed.
  await db.selectFrom('t').select('id').execute();
  await db.selectFrom('t').select(['id', 'name']).execute();
  assert.notEqual(cache.prepare(prepared.at(-3)!), statement);
  await db.destroy();
  assert.equal(sqlite.open, false, 'closing Kysely closes the connection');
});
