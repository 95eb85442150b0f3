/** The VSPC month-end report through the admin API: frozen once final, corrections next month, CSV. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';

const COMPANY = '0c000000-0000-4000-8000-000000000001';
const TENANT = '0d000000-0000-4000-8000-000000000001';
const agent = (i: number) => `0e000000-0000-4000-8000-00000000000${i}`;
let app: TestApp;
const get = (url: string) => app.vspc.inject({ url: `/tally/v1/reports/vspc/${url}`, headers: { authorization: `Bearer ${app.adminToken}` } });

before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z' });
  await adminPut(app, `/tally/v1/companies/${COMPANY}`, { name: 'Alpine, "Dental"', tenantUid: TENANT });
  await adminPut(app, '/tally/v1/licenses/vspc', { type: 'Rental', units: 1000, expirationDate: '2027-01-01T00:00:00Z', weights: { server: 11, workstation: 4 } });
  const res = await app.ingest([
    { id: 'o1', type: 'vspc.agentActivated', at: '2026-09-10T00:00:00Z', companyUid: COMPANY, agent: { uid: agent(1), name: 'srv1', mode: 'server' } },
    { id: 'o2', type: 'vspc.agentActivated', at: '2026-10-05T00:00:00Z', companyUid: COMPANY, agent: { uid: agent(2), name: 'ws1', mode: 'workstation' } },
    { id: 'o2-off', type: 'vspc.agentDeactivated', at: '2026-10-20T00:00:00Z', agentUid: agent(2) },
    { id: 'n1', type: 'vspc.agentActivated', at: '2026-11-02T00:00:00Z', companyUid: COMPANY, agent: { uid: agent(3), name: 'srv2', mode: 'server' } },
    // After the clock: not part of November yet.
    { id: 'f1', type: 'vspc.agentActivated', at: '2026-11-25T00:00:00Z', companyUid: COMPANY, agent: { uid: agent(4), name: 'srv3', mode: 'server' } },
  ]);
  assert.equal(res.status, 200);
});
after(() => app.close());

const counters = (server: [number, number, number, number], workstation: [number, number, number, number]) => [
  { type: 'VAC_Server_Agent', unitType: 'Points', reportedCount: server[0], reportedUnits: server[1], newCount: server[2], newUnits: server[3] },
  { type: 'VAC_Workstation_Agent', unitType: 'Points', reportedCount: workstation[0], reportedUnits: workstation[1], newCount: workstation[2], newUnits: workstation[3] },
];

test('a finished month is Final and frozen: late events never change it, they show as corrections next month', async () => {
  const october = await get('2026-10');
  assert.equal(october.statusCode, 200);
  const body = october.json();
  assert.equal(body.status, 'Final');
  assert.equal(body.periodStart, '2026-10-01T00:00:00.000Z');
  assert.equal(body.periodEnd, '2026-11-01T00:00:00.000Z');
  // o1 managed all October; o2 activated in October (new, not reported).
  assert.deepEqual(body.companies, [{ companyUid: COMPANY, companyName: 'Alpine, "Dental"', resellerUid: null, tenantUid: TENANT, counters: counters([1, 11, 0, 0], [0, 0, 1, 4]) }]);
  assert.equal(body.corrections, null);

  const november = (await get('2026-11')).json();
  assert.equal(november.status, 'Draft');
  // o1 reported; n1 new; f1 is dated after the clock.
  assert.deepEqual(november.companies[0].counters, counters([1, 11, 1, 11], [0, 0, 0, 0]));
  assert.deepEqual(november.corrections, { month: '2026-10', companies: [] });

  // A late event about October: another server agent managed from September to Oct 25.
  await app.ingest([
    { id: 'late', type: 'vspc.agentActivated', at: '2026-09-01T00:00:00Z', companyUid: COMPANY, agent: { uid: agent(5), name: 'late', mode: 'server' } },
    { id: 'late-off', type: 'vspc.agentDeactivated', at: '2026-10-25T00:00:00Z', agentUid: agent(5) },
  ]);
  assert.equal((await get('2026-10')).body, october.body, 'the frozen report is unchanged');
  const corrected = (await get('2026-11')).json();
  assert.deepEqual(corrected.corrections, {
    month: '2026-10',
    companies: [{ companyUid: COMPANY, reported: counters([1, 11, 0, 0], [0, 0, 1, 4]), actual: counters([2, 22, 0, 0], [0, 0, 1, 4]) }],
  });
});

test('CSV: one row per company and agent type, quoted where needed', async () => {
  const csv = await get('2026-10?format=csv');
  assert.equal(csv.statusCode, 200);
  assert.match(csv.headers['content-type'] as string, /^text\/csv/);
  assert.equal(
    csv.body,
    'month,status,companyUid,companyName,tenantUid,type,unitType,reportedCount,reportedUnits,newCount,newUnits,wasReportedCount,wasReportedUnits,wasNewCount,wasNewUnits\r\n' +
      `2026-10,Final,${COMPANY},"Alpine, ""Dental""",${TENANT},VAC_Server_Agent,Points,1,11,0,0,,,,\r\n` +
      `2026-10,Final,${COMPANY},"Alpine, ""Dental""",${TENANT},VAC_Workstation_Agent,Points,0,0,1,4,,,,\r\n`,
  );
});

test('PDF: a real PDF document that a parser opens, one page per screenful of rows', async () => {
  const pdf = await app.vspc.inject({ url: '/tally/v1/reports/vspc/2026-10?format=pdf', headers: { authorization: `Bearer ${app.adminToken}` } });
  assert.equal(pdf.statusCode, 200);
  assert.equal(pdf.headers['content-type'], 'application/pdf');
  assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
  const document = await PDFDocument.load(pdf.rawPayload);
  assert.equal(document.getPageCount(), 1);
  assert.equal(document.getTitle(), 'Tally VSPC report 2026-10');
  const [width, height] = [document.getPage(0).getWidth(), document.getPage(0).getHeight()];
  assert.deepEqual([Math.round(width), Math.round(height)], [595, 842], 'A4');
});

test('a month that has not begun is a conflict; a malformed month is a bad request', async () => {
  const future = await get('2026-12');
  assert.equal(future.statusCode, 409);
  assert.equal(future.json().error.message, '2026-12 has not begun yet');
  assert.equal((await get('2026-13')).statusCode, 400);
});
