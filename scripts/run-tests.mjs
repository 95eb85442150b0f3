#!/usr/bin/env node
// Runs the test suite with Node's test runner and tsx (Node 20 has no --test globs): every test
// file once against SQLite, then every file that touches the store again against PostgreSQL.
//
//   node scripts/run-tests.mjs [word…]   only files whose path contains one of the words
//   TALLY_REQUIRE_POSTGRES=1             fail instead of skipping when PostgreSQL is unreachable (CI)
//   TALLY_TEST_POSTGRES_URL=postgres://… the server to test against (default postgres://postgres@127.0.0.1:5432/test)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';

const root = path.resolve(import.meta.dirname, '..');
const filter = process.argv.slice(2);
const postgresUrl = process.env.TALLY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const requirePostgres = ['1', 'true', 'yes'].includes(String(process.env.TALLY_REQUIRE_POSTGRES ?? '').toLowerCase());

const files = readdirSync(path.join(root, 'test'), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => filter.length === 0 || filter.some((word) => f.includes(word)))
  .sort()
  .map((f) => path.join('test', f));
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
// A file depends on the store when it starts Tally (in process or as a server) or opens a test database; *.pg.test.ts files
// test what only PostgreSQL has (several nodes, migration, outages) and run in the PostgreSQL pass only.
const postgresOnly = files.filter((f) => f.endsWith('.pg.test.ts'));
const sqliteFiles = files.filter((f) => !f.endsWith('.pg.test.ts'));
const storeFiles = files.filter((f) => postgresOnly.includes(f) || /support\/(harness|server|stores)\.js/.test(readFileSync(path.join(root, f), 'utf8')));

function run(label, store, list) {
  console.log(`\n=== ${label}: ${list.length} test files against ${store} ===\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...list], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TALLY_TEST_STORE: store, TALLY_TEST_POSTGRES_URL: postgresUrl },
  });
  return result.status ?? 1;
}

async function postgresReachable() {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    console.error(`run-tests: PostgreSQL at ${postgresUrl} is unreachable: ${error.message}`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

let status = sqliteFiles.length > 0 ? run('SQLite suite', 'sqlite', sqliteFiles) : 0;
if (storeFiles.length > 0) {
  if (await postgresReachable()) {
    status = run('PostgreSQL suite', 'postgres', storeFiles) || status;
  } else if (requirePostgres) {
    console.error('\n!!! PostgreSQL suite FAILED: PostgreSQL is required (TALLY_REQUIRE_POSTGRES=1) but unreachable !!!\n');
    status = 1;
  } else {
    console.error(
      '\n' + '!'.repeat(78) +
      `\n!!! PostgreSQL suite SKIPPED: no PostgreSQL at ${postgresUrl}.` +
      '\n!!! Only the SQLite store was tested. Start PostgreSQL or set TALLY_TEST_POSTGRES_URL.\n' +
      '!'.repeat(78) + '\n',
    );
  }
}
process.exit(status);
