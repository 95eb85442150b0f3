#!/usr/bin/env node
// Runs the test suite with Node's test runner and tsx (Node 20 has no --test globs).
//
// Which files run where is declared by each file, never guessed from what it imports:
// - every `*.test.ts` runs against SQLite, except `*.pg.test.ts` (what only PostgreSQL has:
//   several nodes, migration, outages), which runs against PostgreSQL only;
// - a file whose leading comment says `@stores sqlite postgres` runs again against PostgreSQL;
// - files under test/e2e/, and files whose leading comment says `@e2e`, start the built server
//   (dist/cli.js): `npm test` builds first, and the helpers refuse a dist/ older than src/.
//
//   node scripts/run-tests.mjs [word…]   only files whose path contains one of the words
//   node scripts/run-tests.mjs --fast    the inner loop (`npm run test:fast`): SQLite only, no e2e,
//                                        no PostgreSQL pass, no build needed
//   node scripts/run-tests.mjs --list    prints where each file runs, runs nothing
//   TALLY_REQUIRE_POSTGRES=1             fail instead of skipping when PostgreSQL is unreachable (CI)
//   TALLY_REQUIRE_BROWSER=1              fail instead of skipping when Chromium is missing (CI)
//   TALLY_TEST_POSTGRES_URL=postgres://… the server to test against (default postgres://postgres@127.0.0.1:5432/test)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const fast = args.includes('--fast');
const listOnly = args.includes('--list');
const filter = args.filter((a) => !a.startsWith('--'));
const postgresUrl = process.env.TALLY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const requirePostgres = ['1', 'true', 'yes'].includes(String(process.env.TALLY_REQUIRE_POSTGRES ?? '').toLowerCase());

/** The file's leading comment: a block comment, or the `//` lines before the first statement. */
function leadingComment(text) {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('/*')) return trimmed.slice(0, trimmed.indexOf('*/') + 2);
  const lines = [];
  for (const line of trimmed.split('\n')) {
    if (!line.trimStart().startsWith('//')) break;
    lines.push(line);
  }
  return lines.join('\n');
}

/** What a test file declares about itself. */
function declared(file) {
  const comment = leadingComment(readFileSync(path.join(root, file), 'utf8'));
  const stores = /@stores\s+([a-z ,]+)/.exec(comment)?.[1].split(/[ ,]+/).filter(Boolean) ?? ['sqlite'];
  const postgresOnly = file.endsWith('.pg.test.ts');
  for (const store of stores) if (store !== 'sqlite' && store !== 'postgres') throw new Error(`run-tests: ${file} declares an unknown store ${store}`);
  return {
    file,
    sqlite: !postgresOnly && stores.includes('sqlite'),
    postgres: postgresOnly || stores.includes('postgres'),
    e2e: file.startsWith(path.join('test', 'e2e') + path.sep) || /(^|\s|\*)@e2e\b/.test(comment),
  };
}

const files = readdirSync(path.join(root, 'test'), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => filter.length === 0 || filter.some((word) => f.includes(word)))
  .sort()
  .map((f) => declared(path.join('test', f)))
  .filter((d) => !fast || !d.e2e);
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const sqliteFiles = files.filter((d) => d.sqlite).map((d) => d.file);
const storeFiles = fast ? [] : files.filter((d) => d.postgres).map((d) => d.file);

if (listOnly) {
  for (const d of files) {
    const where = [d.sqlite && 'sqlite', d.postgres && !fast && 'postgres'].filter(Boolean).join('+');
    console.log(`${where.padEnd(16)}${d.e2e ? 'e2e ' : '    '}${d.file}`);
  }
  process.exit(0);
}

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

let status = sqliteFiles.length > 0 ? run(fast ? 'fast suite (no e2e, no PostgreSQL)' : 'SQLite suite', 'sqlite', sqliteFiles) : 0;
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
