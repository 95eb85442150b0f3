/**
 * Which store the suite runs against. `scripts/run-tests.mjs` runs every store-dependent test file
 * twice: with TALLY_TEST_STORE=sqlite and with TALLY_TEST_STORE=postgres. On PostgreSQL each test
 * database is a fresh schema, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type TestStoreKind = 'sqlite' | 'postgres';

export const TEST_STORE: TestStoreKind = process.env.TALLY_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
export const POSTGRES_URL = process.env.TALLY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  /** The `--database` value: a PostgreSQL URL confined to its own schema, or undefined for SQLite in the data dir. */
  url: string | undefined;
  drop(): Promise<void>;
}

/** A PostgreSQL URL whose connections use `schema` as their search path. */
export function urlWithSchema(base: string, schema: string): string {
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(kind: TestStoreKind = TEST_STORE): Promise<TestDatabase> {
  if (kind === 'sqlite') return { url: undefined, drop: async () => {} };
  const schema = `tally_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  return {
    url: urlWithSchema(POSTGRES_URL, schema),
    drop: () => adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`),
  };
}

export function tempDir(prefix = 'tally-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
