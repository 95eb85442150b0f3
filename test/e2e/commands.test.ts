/**
 * `tally import`, `tally backup` and `tally restore`, run as a user runs them.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { PDFDocument } from 'pdf-lib';
import { createTestDatabase, tempDir, TEST_STORE } from '../support/stores.js';
import { builtCli, passwordToken, request, ROOT, spawnTally } from '../support/server.js';
import { openStoreAt } from '../../src/store/database.js';
import { upsertReseller } from '../../src/store/entities.js';

const CLI = builtCli();
const CLOCK = '2026-11-23T12:00:00Z';
const PASSWORD = 'commands-admin-password';
const COMPANY = 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e';

function pageSizeOf(file: string): number {
  const db = new SQLite(file, { readonly: true });
  try {
    return db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/** An installation's database, as `tally serve` makes it: the other commands refuse to create one. */
async function installDatabase(dir: string, url: string | undefined): Promise<void> {
  await (await openStoreAt(url, dir)).close();
}

function tally(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT });
}

function agentEvents(count: number, prefix: string) {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    type: 'vspc.agentActivated',
    at: '2026-11-02T08:00:00Z',
    companyUid: COMPANY,
    agent: { uid: `0e000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, name: `agent-${i}`, mode: i % 2 ? 'server' : 'workstation' },
  }));
}

test('import: NDJSON in batches, idempotent on a second run, JSON documents, clear errors', async () => {
  const { dir, remove } = tempDir();
  const database = await createTestDatabase();
  const where = ['--data', dir, ...(database.url ? ['--database', database.url] : [])];
  try {
    await installDatabase(dir, database.url);
    const ndjson = path.join(dir, 'events.ndjson');
    writeFileSync(ndjson, agentEvents(25_000, 'nd').map((e) => JSON.stringify(e)).join('\n') + '\n');
    const first = tally(['import', ndjson, ...where]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, 'tally: imported 25000 events (0 duplicates ignored)\n');
    const again = tally(['import', ndjson, ...where]);
    assert.equal(again.stdout, 'tally: imported 0 events (25000 duplicates ignored)\n');

    const json = path.join(dir, 'events.json');
    writeFileSync(json, JSON.stringify({ events: agentEvents(3, 'js') }));
    assert.equal(tally(['import', json, ...where]).stdout, 'tally: imported 3 events (0 duplicates ignored)\n');
    const array = path.join(dir, 'array.json');
    writeFileSync(array, JSON.stringify(agentEvents(2, 'ar')));
    assert.equal(tally(['import', array, ...where]).stdout, 'tally: imported 2 events (0 duplicates ignored)\n');

    const bad = path.join(dir, 'bad.ndjson');
    writeFileSync(bad, `${JSON.stringify(agentEvents(1, 'bad')[0])}\n{"id":"x","type":"vspc.agentDeactivated","at":"yesterday","agentUid":"${COMPANY}"}\n`);
    const refused = tally(['import', bad, ...where]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^tally: invalid events; this batch was not stored \(0 events from earlier batches were\):\n {2}.*bad\.ndjson:2: at must be an RFC 3339 date-time/);
    const conflicting = path.join(dir, 'conflict.ndjson');
    writeFileSync(conflicting, `\n${JSON.stringify({ ...agentEvents(1, 'nd')[0], at: '2026-11-03T08:00:00Z' })}\n`);
    assert.match(tally(['import', conflicting, ...where]).stderr, /conflict\.ndjson:2: event "nd-0" was already recorded with different content/);
    const broken = path.join(dir, 'broken.ndjson');
    writeFileSync(broken, '{"id":\n');
    assert.match(tally(['import', broken, ...where]).stderr, /broken\.ndjson:1: not valid JSON/);
    assert.match(tally(['import', path.join(dir, 'missing.ndjson'), ...where]).stderr, /cannot read .*missing\.ndjson: ENOENT/);
  } finally {
    await database.drop();
    remove();
  }
});

test('backup while serving, restore into a new data directory: identical answers', async () => {
  const server = await spawnTally({ keepData: true, args: ['--clock', CLOCK, '--admin-password', PASSWORD] });
  const { dir, remove } = tempDir();
  try {
    const backupFile = path.join(dir, 'copy.db');
    const backup = tally(['backup', backupFile, '--data', server.dataDir, ...(server.database.url ? ['--database', server.database.url] : [])]);
    if (TEST_STORE === 'postgres') {
      // The embedded database has a backup command; PostgreSQL has pg_dump.
      assert.equal(backup.status, 1);
      assert.match(backup.stderr, /for PostgreSQL use pg_dump/);
      return;
    }
    assert.equal(backup.status, 0, backup.stderr);
    assert.ok(existsSync(backupFile));
    assert.match(tally(['backup', backupFile, '--data', server.dataDir]).stderr, /already exists/);

    const token = await passwordToken(server.vspc, 'vspc', 'admin', PASSWORD);
    const url = '/api/v3/licensing/console/usage/companies/vcc/b4971992-84ac-4dee-b837-95c8db275f28';
    const before = await request('GET', `${server.vspc}${url}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(before.status, 200);
    assert.equal(await server.stop(), 0);

    const restoredDir = path.join(dir, 'restored');
    const restore = tally(['restore', backupFile, '--data', restoredDir]);
    assert.equal(restore.status, 0, restore.stderr);
    assert.match(restore.stdout, /^tally: restored .*copy\.db into .*restored\/tally\.db \(11\d{3} events\)\n$/);
    assert.match(tally(['restore', path.join(dir, 'nothing.db'), '--data', restoredDir]).stderr, /no backup at/);
    const notTally = path.join(dir, 'not-tally.db');
    writeFileSync(notTally, 'hello');
    assert.match(tally(['restore', notTally, '--data', restoredDir]).stderr, /is not a usable Tally backup/);

    // A backup made before 16 KiB pages became the default, restored over a database that has them
    // (SQLite cannot copy between page sizes into a file in WAL mode: the copy is renamed over it).
    const restoredFile = path.join(restoredDir, 'tally.db');
    assert.equal(pageSizeOf(restoredFile), 16_384);
    const oldBackup = path.join(dir, 'old-pages.db');
    copyFileSync(backupFile, oldBackup);
    const old = new SQLite(oldBackup);
    old.pragma('journal_mode = DELETE');
    old.pragma('page_size = 4096');
    old.exec('VACUUM');
    old.close();
    const over = tally(['restore', oldBackup, '--data', restoredDir]);
    assert.equal(over.status, 0, over.stderr);
    assert.match(over.stdout, /\(11\d{3} events\)\n$/);
    assert.equal(pageSizeOf(restoredFile), 4096);
    assert.deepEqual(readdirSync(restoredDir).filter((name) => name.includes('restoring')), []);

    const restored = await spawnTally({ dataDir: restoredDir, args: ['--clock', CLOCK] });
    try {
      const again = await passwordToken(restored.vspc, 'vspc', 'admin', PASSWORD);
      const after = await request('GET', `${restored.vspc}${url}`, { headers: { authorization: `Bearer ${again}` } });
      assert.equal(after.text, before.text);
    } finally {
      await restored.stop();
    }
  } finally {
    if (server.child.exitCode === null) await server.stop();
    await server.database.drop();
    rmSync(server.dataDir, { recursive: true, force: true });
    remove();
  }
});

test('user add: password from standard input, roles and scope; the account can log in', async () => {
  const { dir, remove } = tempDir();
  const database = await createTestDatabase();
  const where = ['--data', dir, ...(database.url ? ['--database', database.url] : [])];
  const add = (args: string[], input: string) => spawnSync(process.execPath, [CLI, 'user', 'add', ...args, ...where], { encoding: 'utf8', cwd: ROOT, input });
  try {
    await installDatabase(dir, database.url);
    const reseller = 'E0000000-0000-4000-8000-000000000001';
    // A scope must name a reseller or company that exists, as on the admin API.
    assert.match(add(['ops', '--role', 'ServiceProviderAdministrator', '--scope', reseller], 'ops-password-1\n').stderr, /^tally: --scope: .*e0000000-0000-4000-8000-000000000001/m);
    const store = await openStoreAt(database.url, dir);
    await upsertReseller(store.db, { uid: reseller.toLowerCase(), name: 'Northwind' });
    await store.close();
    const created = add(['ops', '--role', 'ServiceProviderAdministrator', '--role', 'Vb365Administrator', '--scope', reseller], 'ops-password-1\n');
    assert.equal(created.status, 0, created.stderr);
    assert.equal(created.stdout, 'tally: created the account ops (ServiceProviderAdministrator, Vb365Administrator)\n');
    // A reseller role without its scope is refused; with it, the account is updated.
    assert.match(add(['ops', '--role', 'ServiceProviderAdministrator'], 'ops-password-2\n').stderr, /^tally: --scope: /m);
    const updated = add(['ops', '--role', 'ServiceProviderAdministrator', '--scope', reseller], 'ops-password-2\n');
    assert.equal(updated.stdout, 'tally: updated the account ops (ServiceProviderAdministrator)\n');
    assert.match(add(['x', '--role', 'Emperor'], 'long-enough\n').stderr, /tally: unknown role "Emperor"; roles: PortalAdministrator/);
    assert.match(add(['x'], 'long-enough\n').stderr, /tally: give at least one --role/);
    assert.match(add(['x', '--role', 'ReadOnlyUser'], 'short\n').stderr, /at least 8 characters/);
    assert.match(add(['x', '--role', 'ReadOnlyUser', '--scope', 'nope'], 'long-enough\n').stderr, /--scope must be the uid/);

    const server = await spawnTally({ dataDir: dir, database, args: ['--no-demo'] });
    try {
      assert.doesNotMatch(server.stdout(), /created the account admin/, 'an existing account means no generated admin');
      const token = await passwordToken(server.vspc, 'vspc', 'ops', 'ops-password-2');
      const usage = await request('GET', `${server.vspc}/api/v3/licensing/console/usage/companies`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(usage.status, 200);
      const vb = await request('POST', `${server.vb365}/v6/token`, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&username=ops&password=ops-password-1' });
      assert.equal(vb.status, 400, 'the old password no longer works');
    } finally {
      await server.stop();
    }
  } finally {
    await database.drop();
    remove();
  }
});

test('report: the VSPC month-end report as JSON or CSV, frozen once the month is over', async () => {
  const server = await spawnTally({ keepData: true, args: ['--clock', '2026-11-23T12:00:00Z'] });
  await server.stop();
  const where = ['--data', server.dataDir, ...(server.database.url ? ['--database', server.database.url] : [])];
  try {
    const json = tally(['report', '--month', '2026-10', '--clock', '2026-11-23T12:00:00Z', ...where]);
    assert.equal(json.status, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.status, 'Final');
    assert.ok(report.companies.length > 20, 'the demo companies with agents');
    const csv = tally(['report', '--month', '2026-10', '--format', 'csv', ...where]);
    assert.equal(csv.status, 0, csv.stderr);
    const lines = csv.stdout.trimEnd().split('\r\n');
    assert.equal(lines[0], 'month,status,companyUid,companyName,tenantUid,type,unitType,reportedCount,reportedUnits,newCount,newUnits,wasReportedCount,wasReportedUnits,wasNewCount,wasNewUnits');
    assert.equal(lines.length, 1 + 2 * report.companies.length, 'two rows (agent types) per company, from the frozen report');
    const draft = JSON.parse(tally(['report', '--month', '2026-11', '--clock', '2026-11-23T12:00:00Z', ...where]).stdout);
    assert.equal(draft.status, 'Draft');
    assert.match(tally(['report', '--month', 'November', ...where]).stderr, /tally: the month must be YYYY-MM/);
    const pdf = spawnSync(process.execPath, [CLI, 'report', '--month', '2026-10', '--format', 'pdf', ...where], { cwd: ROOT });
    assert.equal(pdf.status, 0, String(pdf.stderr));
    const document = await PDFDocument.load(pdf.stdout);
    // Two rows (agent types) for each demo company, and the totals: more than one A4 page holds.
    assert.ok(document.getPageCount() >= 2, `pages: ${document.getPageCount()}`);
    assert.match(tally(['report', '--month', '2026-11', '--format', 'xml', ...where]).stderr, /Allowed choices are json, csv, pdf/);
  } finally {
    await server.database.drop();
    rmSync(server.dataDir, { recursive: true, force: true });
  }
});
