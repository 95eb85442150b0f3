/**
 * The VSPC month-end report through the admin API: frozen once final, corrections next month, CSV.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';
import { pdfText } from '../support/pdfText.js';

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
    companies: [{ companyUid: COMPANY, reported: counters([1, 11, 0, 0], [0, 0, 1, 4]), actual: counters([2, 22, 0, 0], [0, 0, 1, 4]), reasons: ['lateEvents'] }],
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

describe('only managed agents are reported (reference §2.3, §2.4, §2.9), and JSON, CSV and PDF agree', () => {
  const C = '0c000000-0000-4000-8000-0000000000a1';
  const T = '0d000000-0000-4000-8000-0000000000a1';
  const A = '0e000000-0000-4000-8000-0000000000a1';
  const B = '0e000000-0000-4000-8000-0000000000b2';
  const ws = (counts: [number, number, number, number]) => ({ type: 'VAC_Workstation_Agent', unitType: 'Instances', reportedCount: counts[0], reportedUnits: counts[1], newCount: counts[2], newUnits: counts[3] });
  const sv = (counts: [number, number, number, number]) => ({ type: 'VAC_Server_Agent', unitType: 'Instances', reportedCount: counts[0], reportedUnits: counts[1], newCount: counts[2], newUnits: counts[3] });

  async function scenario(license: Record<string, unknown>, events: Record<string, unknown>[], clock: string) {
    const app = await startTestApp({ clock });
    await adminPut(app, `/tally/v1/companies/${C}`, { name: 'Over, "Limit"', tenantUid: T });
    await adminPut(app, '/tally/v1/licenses/vspc', license);
    assert.equal((await app.ingest(events)).status, 200);
    return app;
  }
  const fetchAll = async (app: TestApp, month: string) => {
    const get = (query: string) => app.vspc.inject({ url: `/tally/v1/reports/vspc/${month}${query}`, headers: { authorization: `Bearer ${app.adminToken}` } });
    const json = await get('');
    assert.equal(json.statusCode, 200, json.body);
    return { json: json.json(), csv: (await get('?format=csv')).body, pdf: pdfText((await get('?format=pdf')).rawPayload) };
  };

  /** The CSV rows and the PDF table rows say what the JSON says, company by company and type by type. */
  function assertAgree({ json, csv, pdf }: Awaited<ReturnType<typeof fetchAll>>) {
    type Counter = { type: string; unitType: string; reportedCount: number; reportedUnits: number; newCount: number; newUnits: number };
    const companies: { companyUid: string; counters: Counter[] }[] = json.companies;
    // The columns after the company's name never hold a comma: find them from the end, by the
    // header's names. Correction rows (the previous month's) are compared elsewhere.
    const [head, ...lines] = csv.trimEnd().split('\r\n');
    const names = head!.split(',');
    const rows = lines.filter((row) => row.split(',')[1] !== 'Correction').map((row) => {
      const cells = row.split(',');
      const at = (name: string) => cells[cells.length - names.length + names.indexOf(name)];
      return [...cells.slice(0, 3), ...['type', 'unitType', 'reportedCount', 'reportedUnits', 'newCount', 'newUnits'].map(at)].join(',');
    });
    const expected = companies.flatMap((c) => c.counters.map((k) => [json.month, json.status, c.companyUid, k.type, k.unitType, k.reportedCount, k.reportedUnits, k.newCount, k.newUnits].join(',')));
    assert.deepEqual(rows, expected, 'CSV = JSON');
    const label: Record<string, string> = { VAC_Server_Agent: 'Server agents', VAC_Workstation_Agent: 'Workstation agents' };
    const table = companies.flatMap((c) => c.counters.map((k) => [label[k.type]!, ...[k.reportedCount, k.reportedUnits, k.newCount, k.newUnits].map(String)]));
    for (const cells of table) {
      const found = pdf.some((_, i) => cells.every((cell, j) => pdf[i + j] === cell));
      assert.ok(found, `PDF row ${cells.join(' | ')} in ${JSON.stringify(pdf)}`);
    }
    assert.ok(pdf.includes(`Generated: ${json.generatedAt}    License: ${json.licenseType}    Companies: ${json.companies.length}`));
    for (const change of json.corrections?.companies ?? []) {
      assert.ok(pdf.some((text) => text.includes(`(${change.companyUid}): `)), 'the PDF says why each company is corrected');
    }
  }

  test('over the limit: Evaluation for 1 instance, A and B activated on 5 and 6 January: February reports 1 at its first and last millisecond and when final', async () => {
    const app = await scenario(
      { type: 'Evaluation', units: 1, expirationDate: '2030-01-01T00:00:00Z' },
      [
        { id: 'A', type: 'vspc.agentActivated', at: '2027-01-05T00:00:00Z', companyUid: C, agent: { uid: A, name: 'A', mode: 'server' } },
        { id: 'B', type: 'vspc.agentActivated', at: '2027-01-06T00:00:00Z', companyUid: C, agent: { uid: B, name: 'B', mode: 'server' } },
      ],
      '2027-02-01T00:00:00.000Z',
    );
    try {
      const expected = [sv([1, 1, 0, 0]), ws([0, 0, 0, 0])];
      for (const [clock, status] of [['2027-02-01T00:00:00.000Z', 'Draft'], ['2027-02-28T23:59:59.999Z', 'Draft'], ['2027-03-01T00:00:00.000Z', 'Final']] as const) {
        await app.ctx.clock.set(Date.parse(clock));
        const all = await fetchAll(app, '2027-02');
        assert.equal(all.json.status, status);
        assert.deepEqual(all.json.companies.map((c: { counters: unknown }) => c.counters), [expected], clock);
        assert.equal(all.json.basis, 'managedAgents');
        assertAgree(all);
        // The live counters at that instant: the same single agent.
        const live = await app.vspc.inject({ url: `/api/v3/licensing/console/usage/companies/${C}`, headers: { authorization: `Bearer ${app.adminToken}` } });
        assert.equal(live.json().data.counters[0].usedCount, 1, clock);
      }
    } finally {
      await app.close();
    }
  });

  test('past the grace: Evaluation for 10 instances expiring 31 January, A activated on 5 January: January reports 1, February nothing', async () => {
    const app = await scenario(
      { type: 'Evaluation', units: 10, expirationDate: '2027-01-31T00:00:00Z' },
      [{ id: 'A', type: 'vspc.agentActivated', at: '2027-01-05T00:00:00Z', companyUid: C, agent: { uid: A, name: 'A', mode: 'workstation' } }],
      '2027-03-01T00:00:00Z',
    );
    try {
      const january = await fetchAll(app, '2027-01');
      assert.deepEqual(january.json.companies.map((c: { counters: unknown }) => c.counters), [[sv([0, 0, 0, 0]), ws([1, 1, 0, 0])]]);
      assertAgree(january);
      const february = await fetchAll(app, '2027-02');
      assert.equal(february.json.status, 'Final');
      assert.deepEqual(february.json.companies, []);
      assert.deepEqual(february.json.corrections, { month: '2027-01', companies: [] });
      assertAgree(february);
    } finally {
      await app.close();
    }
  });

  test('the instant the grace ends: an agent activated then is reported, one a millisecond later is not', async () => {
    // Subscription expiring 20 January: its 30-day grace ends on 19 February 00:00:00.000.
    const agentN = (i: number) => `0e000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`;
    const app = await scenario(
      { type: 'Subscription', units: 10, expirationDate: '2027-01-20T00:00:00Z' },
      [
        { id: 'A', type: 'vspc.agentActivated', at: '2027-01-05T00:00:00Z', companyUid: C, agent: { uid: agentN(1), name: 'A', mode: 'server' } },
        { id: 'W1', type: 'vspc.agentActivated', at: '2027-02-19T00:00:00.000Z', companyUid: C, agent: { uid: agentN(2), name: 'W1', mode: 'workstation' } },
        { id: 'W2', type: 'vspc.agentActivated', at: '2027-02-19T00:00:00.001Z', companyUid: C, agent: { uid: agentN(3), name: 'W2', mode: 'workstation' } },
        { id: 'S2', type: 'vspc.agentActivated', at: '2027-02-19T00:00:00.001Z', companyUid: C, agent: { uid: agentN(4), name: 'S2', mode: 'server' } },
      ],
      '2027-03-01T00:00:00Z',
    );
    try {
      const february = await fetchAll(app, '2027-02');
      assert.deepEqual(february.json.companies.map((c: { counters: unknown }) => c.counters), [[sv([1, 1, 0, 0]), ws([1, 1, 0, 0])]]);
      assertAgree(february);
      assert.deepEqual((await fetchAll(app, '2027-03')).json.companies, [], 'March: nothing is managed');
    } finally {
      await app.close();
    }
  });

  test('the instant an agent falls outside the allowance: the live count drops then, the month keeps its maximum, the next month starts without it', async () => {
    // 10 instances, allowance 1, doubled to 2 while the usage report of 20 January is recent (until 19 February 00:00).
    const agentN = (i: number) => `0e000000-0000-4000-8000-0000000002${String(i).padStart(2, '0')}`;
    const app = await scenario(
      { type: 'Subscription', units: 10, expirationDate: '2030-01-01T00:00:00Z', autoUpdate: true, lastReportSentAt: '2027-01-20T00:00:00Z' },
      Array.from({ length: 13 }, (_, i) => ({
        id: `x${i}`, type: 'vspc.agentActivated', at: new Date(Date.UTC(2027, 0, 2) + i * 60_000).toISOString(), companyUid: C, agent: { uid: agentN(i), name: `x${i}`, mode: 'server' },
      })),
      '2027-02-18T23:59:59.999Z',
    );
    try {
      const live = async () => (await app.vspc.inject({ url: `/api/v3/licensing/console/usage/companies/${C}`, headers: { authorization: `Bearer ${app.adminToken}` } })).json().data.counters[0].usedCount;
      assert.equal(await live(), 12, 'the last millisecond of the doubled allowance');
      assert.deepEqual((await fetchAll(app, '2027-02')).json.companies[0].counters, [sv([12, 12, 0, 0]), ws([0, 0, 0, 0])]);
      await app.ctx.clock.set(Date.parse('2027-02-19T00:00:00.000Z'));
      assert.equal(await live(), 11, 'from the instant the report is 30 days old');
      assert.deepEqual((await fetchAll(app, '2027-02')).json.companies[0].counters, [sv([12, 12, 0, 0]), ws([0, 0, 0, 0])], 'the month keeps its maximum');
      await app.ctx.clock.set(Date.parse('2027-03-01T00:00:00.000Z'));
      const march = await fetchAll(app, '2027-03');
      assert.deepEqual(march.json.companies[0].counters, [sv([11, 11, 0, 0]), ws([0, 0, 0, 0])], 'the first millisecond of March');
      assertAgree(march);
    } finally {
      await app.close();
    }
  });

  test('a month frozen with unmanaged agents in it stays as it is; the next month says it counted agents the console did not manage', async () => {
    const app = await scenario(
      { type: 'Evaluation', units: 1, expirationDate: '2030-01-01T00:00:00Z' },
      [
        { id: 'A', type: 'vspc.agentActivated', at: '2027-01-05T00:00:00Z', companyUid: C, agent: { uid: A, name: 'A', mode: 'server' } },
        { id: 'B', type: 'vspc.agentActivated', at: '2027-01-06T00:00:00Z', companyUid: C, agent: { uid: B, name: 'B', mode: 'server' } },
      ],
      '2027-03-01T00:00:00Z',
    );
    try {
      // January as the report froze it before it counted only managed agents: A and B, no basis.
      const frozen = {
        product: 'vspc', month: '2027-01', timeZone: 'UTC', status: 'Final', periodStart: '2027-01-01T00:00:00.000Z', periodEnd: '2027-02-01T00:00:00.000Z',
        generatedAt: '2027-02-01T00:00:00.000Z', licenseType: 'Evaluation', corrections: null,
        companies: [{ companyUid: C, companyName: 'Over, "Limit"', resellerUid: null, tenantUid: T, counters: [sv([2, 2, 0, 0]), ws([0, 0, 0, 0])] }],
      };
      await app.ctx.store.db.insertInto('reports').values({ product: 'vspc', month: '2027-01', generated_at: Date.parse('2027-02-01T00:00:00Z'), content: JSON.stringify(frozen) }).execute();
      assert.deepEqual((await fetchAll(app, '2027-01')).json, frozen, 'a frozen report never changes');
      const february = await fetchAll(app, '2027-02');
      assert.deepEqual(february.json.corrections, {
        month: '2027-01',
        companies: [{ companyUid: C, reported: [sv([2, 2, 0, 0]), ws([0, 0, 0, 0])], actual: [sv([1, 1, 0, 0]), ws([0, 0, 0, 0])], reasons: ['unmanagedAgents'] }],
      });
      assertAgree(february);
      // PDFKit wraps the line where it is too long.
      const why = `(${C}): the frozen report counted agents the console did not manage (Unlicensed or past the expiry grace)`;
      assert.ok(february.pdf.join(' ').replace(/\s+/g, ' ').includes(why), JSON.stringify(february.pdf));

      // A late event about January on top: both reasons.
      await app.ingest([
        { id: 'L', type: 'vspc.agentActivated', at: '2026-12-01T00:00:00Z', companyUid: C, agent: { uid: '0e000000-0000-4000-8000-0000000000c3', name: 'L', mode: 'workstation' } },
        { id: 'L-off', type: 'vspc.agentDeactivated', at: '2027-01-02T00:00:00Z', agentUid: '0e000000-0000-4000-8000-0000000000c3' },
      ]);
      await app.ctx.store.db.deleteFrom('reports').where('month', '=', '2027-02').execute();
      const again = await fetchAll(app, '2027-02');
      assert.deepEqual(again.json.corrections.companies[0].reasons, ['lateEvents', 'unmanagedAgents']);
      assert.deepEqual(again.json.corrections.companies[0].actual, [sv([1, 1, 0, 0]), ws([1, 1, 0, 0])]);
    } finally {
      await app.close();
    }
  });
});
