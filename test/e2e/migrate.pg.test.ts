/** `tally migrate`: an embedded database moved to PostgreSQL answers exactly as before. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createTestDatabase } from '../support/stores.js';
import { builtCli, passwordToken, request, ROOT, spawnTally, type ServerProcess } from '../support/server.js';

const CLOCK = '2026-11-23T12:00:00Z';
const PASSWORD = 'migrate-admin-password';

async function allAnswers(node: ServerProcess): Promise<string[]> {
  const vb = await passwordToken(node.vb365, 'vb365', 'admin', PASSWORD);
  const vs = await passwordToken(node.vspc, 'vspc', 'admin', PASSWORD);
  const out: string[] = [];
  const orgs = (await request('GET', `${node.vb365}/v6/Organizations`, { headers: { authorization: `Bearer ${vb}` } })).json() as { id: string }[];
  for (const org of orgs) {
    out.push((await request('GET', `${node.vb365}/v6/Organizations/${org.id}/LicensingInformation`, { headers: { authorization: `Bearer ${vb}` } })).text);
  }
  const companies = (await request('GET', `${node.vspc}/tally/v1/companies`, { headers: { authorization: `Bearer ${vs}` } })).json() as { tenantUid: string | null }[];
  for (const company of companies.filter((c) => c.tenantUid)) {
    out.push((await request('GET', `${node.vspc}/api/v3/licensing/console/usage/companies/vcc/${company.tenantUid}`, { headers: { authorization: `Bearer ${vs}` } })).text);
  }
  return out;
}

test('migrate copies the demo to PostgreSQL and every answer stays identical', async () => {
  const sqlite = { url: undefined, drop: async () => {} };
  const source = await spawnTally({ database: sqlite, keepData: true, args: ['--clock', CLOCK, '--admin-password', PASSWORD] });
  const before = await allAnswers(source);
  assert.ok(before.length > 30);
  assert.equal(await source.stop(), 0);

  const target = await createTestDatabase('postgres');
  try {
    const cli = builtCli();
    const run = spawnSync(process.execPath, [cli, 'migrate', '--from', path.join(source.dataDir, 'tally.db'), '--to', target.url!], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /migrated 11\d{3} events; verified 6 organizations and \d+ tenants: identical answers/);

    // A second run refuses to copy into a database that is no longer empty.
    const again = spawnSync(process.execPath, [cli, 'migrate', '--from', path.join(source.dataDir, 'tally.db'), '--to', target.url!], { encoding: 'utf8' });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /not empty/);

    const moved = await spawnTally({ database: target, args: ['--clock', CLOCK] });
    try {
      assert.deepEqual(await allAnswers(moved), before);
      // New events continue the ledger's sequence.
      const token = await passwordToken(moved.vspc, 'vspc', 'admin', PASSWORD);
      const res = await request('POST', `${moved.vspc}/tally/v1/events`, {
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: [{ id: 'after-migration', type: 'vspc.agentDeactivated', at: CLOCK, agentUid: '0e000000-0000-4000-8000-000000000001' }] }),
      });
      assert.deepEqual(res.json(), { accepted: 1, duplicates: 0 });
    } finally {
      await moved.stop();
    }
  } finally {
    await target.drop();
    rmSync(source.dataDir, { recursive: true, force: true });
  }
});

test('migrate explains what is wrong with its arguments', () => {
  const cli = builtCli();
  const missing = spawnSync(process.execPath, [cli, 'migrate', '--from', '/nonexistent/tally.db', '--to', 'postgres://postgres@127.0.0.1:5432/test'], { encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no SQLite database at \/nonexistent\/tally.db/);
  const notPg = spawnSync(process.execPath, [cli, 'migrate', '--from', import.meta.filename, '--to', 'mysql://x'], { encoding: 'utf8' });
  assert.equal(notPg.status, 1);
  assert.match(notPg.stderr, /--to must be a postgres:\/\/ URL/);
});
