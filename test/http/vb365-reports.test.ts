/**
 * VB365 license reports: the rental monthly usage report (`GET /v6/licensing/reports/latest`),
 * its approval, and the License Overview file (`POST /v6/Reports/GenerateLicenseOverview`).
 * Whole bodies over a small ledger at a fixed clock.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodePDFRawStream, PDFArray, PDFDocument, type PDFRawStream } from 'pdf-lib';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';

const NOW = '2026-11-02T12:00:00Z';
const ORG_A = '11111111-2222-4333-8444-555555555555';
const ORG_B = '22222222-3333-4444-8555-666666666666';
const ORG_IDLE = '33333333-4444-4555-8666-777777777777';
const ORG_UNREGISTERED = '44444444-5555-4666-8777-888888888888';
const LICENSE = { type: 'Rental', totalNumber: 100, expirationDate: '2026-11-30T00:00:00Z', licensedTo: 'Northwind Cloud Services', supportId: '01234567' };

const backup = (id: string, at: string, organizationId: string, userId: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'vb365.backup',
  at,
  organizationId,
  user: { id: userId, name: `${userId}@example.com`, ...extra },
});

/** October: ORG_A u1 and u2 consume, u3 is new; ORG_B v1 consumes; the rest do not count. */
const LEDGER = [
  backup('a1', '2026-08-01T02:00:00Z', ORG_A, 'u1'),
  backup('a2', '2026-10-15T02:00:00Z', ORG_A, 'u1'),
  // Held a unit until October 21 without being backed up in October.
  backup('a3', '2026-09-20T02:00:00Z', ORG_A, 'u2'),
  backup('a4', '2026-10-05T02:00:00Z', ORG_A, 'u3'),
  // Released on September 15.
  backup('a5', '2026-08-15T02:00:00Z', ORG_A, 'u4'),
  backup('a6', '2026-10-20T02:00:00Z', ORG_A, 't1', { kind: 'teams' }),
  backup('b1', '2026-07-01T02:00:00Z', ORG_B, 'v1'),
  backup('b2', '2026-10-30T02:00:00Z', ORG_B, 'v1'),
  // First backed up in November: not part of October.
  backup('b3', '2026-11-01T01:00:00Z', ORG_B, 'v3'),
  backup('c1', '2026-10-10T02:00:00Z', ORG_UNREGISTERED, 'w1'),
];

const OCTOBER_DRAFT = {
  reportParameters: {
    reportID: 202610,
    reportStatus: 'Draft',
    companyName: 'Northwind Cloud Services',
    licenseExpirationDate: '2026-11-30T00:00:00.000Z',
    supportID: '01234567',
    reportGenerationDate: '2026-11-02T12:00:00.000Z',
    reportingInterval: { startOfInterval: '2026-10-01T00:00:00.000Z', endOfInterval: '2026-10-31T23:59:59.999Z' },
  },
  reportSummary: { initialUsersCount: 3, reportedUsersCount: 3, newUsersCount: 1 },
  organizations: [
    { organizationId: ORG_B, organizationName: 'Fabrikam, "East"', removedUsersCount: 0, removalReason: '', reportedUsersCount: 1, newUsersCount: 0, initialUsersCount: 1 },
    { organizationId: ORG_A, organizationName: 'contoso.onmicrosoft.com', removedUsersCount: 0, removalReason: '', reportedUsersCount: 2, newUsersCount: 1, initialUsersCount: 2 },
  ],
};

/** October approved with one user of ORG_A removed. */
const OCTOBER_APPROVED = {
  ...OCTOBER_DRAFT,
  reportParameters: { ...OCTOBER_DRAFT.reportParameters, reportStatus: 'Approved' },
  reportSummary: { initialUsersCount: 3, reportedUsersCount: 2, newUsersCount: 1 },
  organizations: [
    OCTOBER_DRAFT.organizations[0],
    { ...OCTOBER_DRAFT.organizations[1]!, removedUsersCount: 1, removalReason: 'Test account', reportedUsersCount: 1 },
  ],
};

async function setUp(clock: string, license: Record<string, unknown> | null = LICENSE): Promise<TestApp> {
  const app = await startTestApp({ clock });
  await adminPut(app, `/tally/v1/organizations/${ORG_A}`, { name: 'contoso.onmicrosoft.com' });
  await adminPut(app, `/tally/v1/organizations/${ORG_B}`, { name: 'Fabrikam, "East"' });
  await adminPut(app, `/tally/v1/organizations/${ORG_IDLE}`, { name: 'idle.onmicrosoft.com' });
  if (license) await adminPut(app, '/tally/v1/licenses/vb365', license);
  const res = await app.ingest(LEDGER);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return app;
}

const auth = (app: TestApp) => ({ authorization: `Bearer ${app.adminToken}` });
const latest = (app: TestApp, url = '/v6/licensing/reports/latest') => app.vb365.inject({ url, headers: auth(app) });
const approve = (app: TestApp, id: number | string, payload: unknown) =>
  app.vb365.inject({ method: 'POST', url: `/v6/licensing/reports/${id}/approve`, headers: { ...auth(app), 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
const overview = (app: TestApp, payload: unknown) =>
  app.vb365.inject({ method: 'POST', url: '/v6/Reports/GenerateLicenseOverview', headers: { ...auth(app), 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
const moveClock = async (app: TestApp, now: string) => {
  const res = await app.vspc.inject({ method: 'PUT', url: '/tally/v1/clock', headers: auth(app), payload: { now } });
  assert.equal(res.statusCode, 200, res.body);
};

/** RFC 4180 rows (quoted cells with doubled quotes, CRLF line ends). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  assert.equal(cell + row.join(''), '', 'the file ends with CRLF');
  return rows;
}

/** The text lines PDFKit drew (each `[<hex> kern <hex>] TJ` is one line), page by page. */
async function pdfText(bytes: Uint8Array): Promise<string[][]> {
  const doc = await PDFDocument.load(bytes);
  return doc.getPages().map((page) => {
    const contents = page.node.Contents()!;
    const streams = contents instanceof PDFArray ? contents.asArray().map((ref) => doc.context.lookup(ref)) : [contents];
    const source = streams.map((s) => Buffer.from(decodePDFRawStream(s as PDFRawStream).decode()).toString('latin1')).join('\n');
    return [...source.matchAll(/\[(.*?)\]\s*TJ/g)].map((m) => [...m[1]!.matchAll(/<([0-9a-f]*)>/gi)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join(''));
  });
}

describe('monthly usage report and approval', () => {
  let app: TestApp;
  before(async () => {
    app = await setUp(NOW);
  });
  after(() => app.close());

  test('GET /v6/licensing/reports/latest: October, per registered organization, a Draft during the review days', async () => {
    const res = await latest(app);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.body, JSON.stringify(OCTOBER_DRAFT));
    // Paths are case-insensitive, as for the rest of the face.
    assert.equal((await latest(app, '/v6/Licensing/Reports/Latest')).body, res.body);
  });

  test('the report is frozen: a late event dated in October does not change it', async () => {
    const res = await app.ingest([backup('late1', '2026-10-20T02:00:00Z', ORG_A, 'u9')]);
    assert.deepEqual(res, { status: 200, body: { accepted: 1, duplicates: 0 } });
    await moveClock(app, '2026-11-02T15:00:00Z');
    assert.equal((await latest(app)).body, JSON.stringify(OCTOBER_DRAFT));
  });

  test('approval refused without storing anything: bad ids, bodies and removals', async () => {
    const cases: { id: number | string; body: unknown; status: number; message: RegExp }[] = [
      { id: 202609, body: {}, status: 404, message: /^There is no license usage report with ID 202609\.$/ },
      { id: 'latest', body: {}, status: 400, message: /reportId/ },
      { id: 99999999999, body: {}, status: 400, message: /reportId/ },
      { id: 202610, body: { removedUsers: [{ organizationId: ORG_A, removedUsersCount: -1 }] }, status: 400, message: /removedUsersCount must be >= 0/ },
      { id: 202610, body: { removedUsers: [{ organizationId: ORG_A, removedUsersCount: '1' }] }, status: 400, message: /removedUsersCount must be integer/ },
      { id: 202610, body: { removedUsers: [{ organizationId: ORG_A }] }, status: 400, message: /removedUsersCount is required/ },
      { id: 202610, body: { removedUser: [] }, status: 400, message: /removedUser is not a known field/ },
      { id: 202610, body: { removedUsers: {} }, status: 400, message: /removedUsers must be array/ },
      { id: 202610, body: { removedUsers: [{ organizationId: ORG_A, removedUsersCount: 3 }] }, status: 400, message: /is 3, more than the 2 users it reports/ },
      { id: 202610, body: { removedUsers: [{ organizationId: ORG_IDLE, removedUsersCount: 0 }] }, status: 400, message: /is not in the report/ },
      { id: 202610, body: { removedUsers: [{ organizationId: 'nobody', removedUsersCount: 0 }] }, status: 400, message: /Organization nobody is not in the report/ },
      { id: 202610, body: { removedUsers: [{ organizationId: ORG_B, removedUsersCount: 1 }, { organizationId: ORG_B, removedUsersCount: 0 }] }, status: 400, message: /more than once/ },
    ];
    for (const c of cases) {
      const res = await approve(app, c.id, c.body);
      assert.equal(res.statusCode, c.status, `${c.id} ${JSON.stringify(c.body)}: ${res.body}`);
      assert.match(res.json().message, c.message);
    }
    const empty = await app.vb365.inject({ method: 'POST', url: '/v6/licensing/reports/202610/approve', headers: { ...auth(app), 'content-type': 'application/json' } });
    assert.equal(empty.statusCode, 400);
    assert.equal((await latest(app)).body, JSON.stringify(OCTOBER_DRAFT), 'still a Draft, unchanged');
  });

  test('approval stores the removals: reported = initial − removed; Approved from then on', async () => {
    const res = await approve(app, 202610, {
      removedUsers: [{ organizationId: ORG_A.toUpperCase(), removedUsersCount: 1, removalReason: 'Test account' }],
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.body, '');
    assert.equal((await latest(app)).body, JSON.stringify(OCTOBER_APPROVED));
    // After the review days too.
    await moveClock(app, '2026-11-20T00:00:00Z');
    assert.equal((await latest(app)).body, JSON.stringify(OCTOBER_APPROVED));
  });

  test('approving twice is a conflict and changes nothing', async () => {
    const before = (await latest(app)).body;
    const res = await approve(app, 202610, { removedUsers: [] });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().message, 'The license usage report 202610 was already approved (2026-11-02T15:00:00.000Z); it cannot be approved again.');
    assert.equal((await latest(app)).body, before);
  });

  test('the approval is durable: a server started again on the same database answers the same', async () => {
    const again = await startTestApp({ clock: '2026-11-20T00:00:00Z', database: app.database, dir: app.dir });
    try {
      const res = await again.vb365.inject({ url: '/v6/licensing/reports/latest', headers: { authorization: `Bearer ${again.adminToken}` } });
      assert.equal(res.body, JSON.stringify(OCTOBER_APPROVED));
    } finally {
      await again.close();
    }
  });

  test('only a Vb365Administrator sees and approves reports', async () => {
    const token = await app.tokenFor('portal-only', ['PortalAdministrator']);
    for (const [method, url] of [['GET', '/v6/licensing/reports/latest'], ['POST', '/v6/licensing/reports/202610/approve'], ['POST', '/v6/Reports/GenerateLicenseOverview']] as const) {
      // Valid bodies: Fastify validates a body before the guard runs.
      const payload = method === 'GET' ? undefined : url.includes('Overview') ? { startTime: '2026-10-01T00:00:00Z', endTime: '2026-11-01T00:00:00Z', format: 'CSV' } : {};
      const anonymous = await app.vb365.inject({ method, url, payload });
      assert.equal(anonymous.statusCode, 401, url);
      const forbidden = await app.vb365.inject({ method, url, headers: { authorization: `Bearer ${token}` }, payload });
      assert.equal(forbidden.statusCode, 403, url);
    }
  });
});

describe('automatic approval and the report of each month', () => {
  let app: TestApp;
  before(async () => {
    app = await setUp('2026-11-01T00:00:00Z', { ...LICENSE, type: 'Subscription' });
  });
  after(() => app.close());

  test('without a Rental license there is no report (404), and nothing to approve', async () => {
    const res = await latest(app);
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { message: 'No license usage report is available: monthly usage reports exist for Rental licenses only, and the installed license is Subscription.' });
    assert.equal((await approve(app, 202610, {})).statusCode, 404);
  });

  test('a Draft until day 3 of the month ends, then Approved by itself; it can no longer be approved', async () => {
    await adminPut(app, '/tally/v1/licenses/vb365', LICENSE);
    const draft = { ...OCTOBER_DRAFT, reportParameters: { ...OCTOBER_DRAFT.reportParameters, reportGenerationDate: '2026-11-01T00:00:00.000Z' } };
    assert.equal((await latest(app)).body, JSON.stringify(draft));
    await moveClock(app, '2026-11-03T23:59:59.999Z');
    assert.equal((await latest(app)).json().reportParameters.reportStatus, 'Draft');
    await moveClock(app, '2026-11-04T00:00:00Z');
    const sent = { ...draft, reportParameters: { ...draft.reportParameters, reportStatus: 'Approved' } };
    assert.equal((await latest(app)).body, JSON.stringify(sent));
    const res = await approve(app, 202610, { removedUsers: [{ organizationId: ORG_A, removedUsersCount: 1 }] });
    assert.equal(res.statusCode, 409);
    assert.match(res.json().message, /already sent automatically after the review period \(2026-11-04T00:00:00\.000Z\)/);
    assert.equal((await latest(app)).body, JSON.stringify(sent));
  });

  test('in December the latest report is November’s, with its own id', async () => {
    await moveClock(app, '2026-12-02T00:00:00Z');
    const res = await latest(app);
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(body.reportParameters, {
      ...OCTOBER_DRAFT.reportParameters,
      reportID: 202611,
      reportGenerationDate: '2026-12-02T00:00:00.000Z',
      reportingInterval: { startOfInterval: '2026-11-01T00:00:00.000Z', endOfInterval: '2026-11-30T23:59:59.999Z' },
    });
    // u1 (last backup Oct 15) held a unit until Nov 15 and u3 (new in October) until Nov 5; u2 was
    // released in October; v1 (Oct 30) held one all month; v3 (first backup Nov 1) is new in November.
    assert.deepEqual(body.reportSummary, { initialUsersCount: 3, reportedUsersCount: 3, newUsersCount: 1 });
    assert.deepEqual(body.organizations.map((o: any) => [o.organizationName, o.initialUsersCount, o.newUsersCount]), [
      ['Fabrikam, "East"', 1, 1],
      ['contoso.onmicrosoft.com', 2, 0],
    ]);
    // October's report is still there, approved.
    assert.equal((await approve(app, 202610, {})).statusCode, 409);
  });
});

describe('License Overview', () => {
  let app: TestApp;
  before(async () => {
    app = await setUp(NOW);
  });
  after(() => app.close());

  const OCTOBER = { startTime: '2026-10-01T00:00:00Z', endTime: '2026-11-01T00:00:00Z' };

  test('CSV: one row per organization that used the license; in use includes new users', async () => {
    const res = await overview(app, { ...OCTOBER, format: 'CSV' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.equal(res.headers['content-disposition'], 'attachment; filename="LicenseOverview_2026-10-01_2026-11-01.csv"');
    assert.equal(
      res.body,
      'periodStart,periodEnd,organizationId,organizationName,usersInUse,newUsers\r\n' +
        `2026-10-01T00:00:00.000Z,2026-11-01T00:00:00.000Z,${ORG_B},"Fabrikam, ""East""",1,0\r\n` +
        `2026-10-01T00:00:00.000Z,2026-11-01T00:00:00.000Z,${ORG_A},contoso.onmicrosoft.com,3,1\r\n`,
    );
    const rows = parseCsv(res.body);
    assert.deepEqual(rows.map((r) => [r[3], Number(r[4]), Number(r[5])]), [['organizationName', NaN, NaN], ['Fabrikam, "East"', 1, 0], ['contoso.onmicrosoft.com', 3, 1]]);
  });

  test('the time zone: offset-less times are read in it and dates are written in it', async () => {
    const res = await overview(app, { startTime: '2026-10-01T00:00:00', endTime: '2026-11-01T00:00:00', format: 'CSV', timezone: 'Europe/Berlin' });
    assert.equal(res.statusCode, 200, res.body);
    const rows = parseCsv(res.body);
    // Berlin: summer time (+02:00) on October 1, winter time (+01:00) on November 1.
    assert.deepEqual(rows[1]!.slice(0, 2), ['2026-10-01T00:00:00.000+02:00', '2026-11-01T00:00:00.000+01:00']);
    const offset = parseCsv((await overview(app, { ...OCTOBER, format: 'CSV', timezone: 'UTC+05:30' })).body);
    assert.deepEqual(offset[1]!.slice(0, 2), ['2026-10-01T05:30:00.000+05:30', '2026-11-01T05:30:00.000+05:30']);
    // Local is the server's zone (UTC here); UTC is the default.
    assert.equal((await overview(app, { ...OCTOBER, format: 'CSV', timezone: 'Local' })).body, (await overview(app, { ...OCTOBER, format: 'CSV' })).body);
  });

  test('an interval reaching past now is computed up to now and says so', async () => {
    const res = await overview(app, { startTime: '2026-11-01T00:00:00Z', endTime: '2027-01-01T00:00:00Z', format: 'CSV' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-disposition'], 'attachment; filename="LicenseOverview_2026-11-01_2026-11-02.csv"');
    assert.deepEqual(parseCsv(res.body).slice(1).map((r) => [r[1], r[3], r[4], r[5]]), [
      ['2026-11-02T12:00:00.000Z', 'Fabrikam, "East"', '2', '1'],
      ['2026-11-02T12:00:00.000Z', 'contoso.onmicrosoft.com', '2', '0'],
    ]);
  });

  test('PDF: a document a parser opens, with the summary and a line per organization', async () => {
    const res = await overview(app, { ...OCTOBER, format: 'PDF' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.equal(res.headers['content-disposition'], 'attachment; filename="LicenseOverview_2026-10-01_2026-11-01.pdf"');
    assert.equal(res.rawPayload.subarray(0, 5).toString(), '%PDF-');
    const document = await PDFDocument.load(res.rawPayload);
    assert.equal(document.getPageCount(), 1);
    assert.equal(document.getTitle(), 'License Overview 2026-10-01 00:00 to 2026-11-01 00:00');
    const [page] = await pdfText(res.rawPayload);
    assert.deepEqual(page, [
      'License Overview',
      'Period: 2026-10-01 00:00 to 2026-11-01 00:00 (UTC)    Generated: 2026-11-02 12:00',
      'License: Rental, licensed to Northwind Cloud Services    Units in license: 100',
      'Summary',
      'Licenses in use (including new users): 4',
      'New users: 1',
      'Organizations: 2',
      'Organization', 'Organization ID', 'Users in use', 'New users',
      'Fabrikam, "East"', ORG_B, '1', '0',
      'contoso.onmicrosoft.com', ORG_A, '3', '1',
      'Total', '4', '1',
    ]);
  });

  test('bad requests: 400 with a message, for times, zones, formats and fields', async () => {
    const cases: { body: unknown; message: RegExp }[] = [
      { body: { ...OCTOBER, format: 'CSV', timezone: 'Mars/Olympus' }, message: /^The time zone 'Mars\/Olympus' is not known/ },
      { body: { ...OCTOBER, format: 'CSV', timezone: 'UTC+25:00' }, message: /time zone 'UTC\+25:00' is not known/ },
      { body: { startTime: OCTOBER.endTime, endTime: OCTOBER.startTime, format: 'CSV' }, message: /^startTime must be before endTime\.$/ },
      { body: { startTime: OCTOBER.startTime, endTime: OCTOBER.startTime, format: 'CSV' }, message: /^startTime must be before endTime\.$/ },
      { body: { startTime: '2026-12-01T00:00:00Z', endTime: '2026-12-31T00:00:00Z', format: 'CSV' }, message: /lies in the future/ },
      { body: { startTime: 'yesterday', endTime: OCTOBER.endTime, format: 'CSV' }, message: /^The value 'yesterday' is not valid for startTime/ },
      { body: { startTime: '2026-02-30T00:00:00', endTime: OCTOBER.endTime, format: 'CSV' }, message: /not valid for startTime/ },
      { body: { ...OCTOBER, format: 'XLSX' }, message: /format must be one of "PDF", "CSV"/ },
      { body: { ...OCTOBER }, message: /format is required/ },
      { body: { ...OCTOBER, format: 'CSV', timeZone: 'UTC' }, message: /timeZone is not a known field/ },
    ];
    for (const c of cases) {
      const res = await overview(app, c.body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(c.body)}: ${res.body}`);
      assert.match(res.json().message, c.message, JSON.stringify(c.body));
    }
  });
});
