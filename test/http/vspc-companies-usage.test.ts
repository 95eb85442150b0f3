/**
 * `GET /organizations/companies/usage` and `/organizations/companies/{companyUid}/usage`: golden
 * bodies, the literal `usage` beside the `{companyUid}` template, date ranges, scoping and errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';

const NOW = '2026-11-23T12:00:00Z';
const NORTHWIND = 'e0000000-0000-4000-8000-000000000001';
const ALPINE = 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e';
const BETA = '0c000000-0000-4000-8000-0000000000b0';
const MISSING = '33333333-3333-4333-8333-333333333333';
const agent = (n: number) => `a0000000-0000-4000-8000-00000000000${n}`;
let app: TestApp;
let owner = '';

before(async () => {
  app = await startTestApp({ clock: NOW });
  await adminPut(app, `/tally/v1/resellers/${NORTHWIND}`, { name: 'Northwind' });
  await adminPut(app, `/tally/v1/companies/${ALPINE}`, { name: 'Alpine Dental Group', resellerUid: NORTHWIND });
  await adminPut(app, `/tally/v1/companies/${BETA}`, { name: 'Beta Logistics' });
  const res = await app.ingest([
    { id: 'a1', type: 'vspc.agentActivated', at: '2026-05-02T08:00:00Z', companyUid: ALPINE, agent: { uid: agent(1), name: 'srv1', mode: 'server' } },
    { id: 'a2', type: 'vspc.agentActivated', at: '2026-11-21T08:00:00Z', companyUid: ALPINE, agent: { uid: agent(2), name: 'srv2', mode: 'server' } },
    { id: 'a3', type: 'vspc.agentActivated', at: '2026-11-01T08:00:00Z', companyUid: ALPINE, agent: { uid: agent(3), name: 'ws1', mode: 'workstation' } },
    { id: 'a4', type: 'vspc.agentDeactivated', at: '2026-11-22T10:00:00Z', agentUid: agent(3) },
    { id: 'b1', type: 'vspc.agentActivated', at: '2026-10-02T08:00:00Z', companyUid: BETA, agent: { uid: agent(4), name: 'ws2', mode: 'workstation' } },
    // After now: not counted until the clock passes it.
    { id: 'b2', type: 'vspc.agentActivated', at: '2026-11-23T18:00:00Z', companyUid: BETA, agent: { uid: agent(5), name: 'srv3', mode: 'server' } },
  ]);
  assert.equal(res.status, 200);
  owner = await app.tokenFor('alpine-owner', ['CompanyOwner'], ALPINE);
});

after(() => app.close());

const get = (url: string, token = app.adminToken) => app.vspc.inject({ url: `/api/v3${url}`, headers: { authorization: `Bearer ${token}` } });
const usage = (company: string, day: string, server: number, workstation: number) =>
  `{"companyUid":"${company}","date":"${day}T00:00:00.000Z","counters":[{"value":${server},"type":"ManagedServerAgents"},{"value":${workstation},"type":"ManagedWorkstationAgents"}]}`;
const paging = (total: number, count: number, offset = 0) => `"meta":{"pagingInfo":{"total":${total},"count":${count},"offset":${offset}}}`;

describe('GET /organizations/companies/usage', () => {
  test('answers the usage of every company today, in uid order (the literal is not taken for a companyUid)', async () => {
    const res = await get('/organizations/companies/usage');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.body, `{"data":[${usage(BETA, '2026-11-23', 0, 1)},${usage(ALPINE, '2026-11-23', 2, 0)}],${paging(2, 2)}}`);
  });

  test('a date range gives one item per company and day, counted at the end of each day; days after today are left out', async () => {
    // Companies in uid order (Beta, then Alpine); the second page is Alpine's.
    const res = await get('/organizations/companies/usage?fromDate=2026-11-20&toDate=2026-11-25&limit=4&offset=4');
    assert.equal(
      res.body,
      `{"data":[${usage(ALPINE, '2026-11-20', 1, 1)},${usage(ALPINE, '2026-11-21', 2, 1)},${usage(ALPINE, '2026-11-22', 2, 0)},${usage(ALPINE, '2026-11-23', 2, 0)}],${paging(8, 4, 4)}}`,
    );
    const filter = encodeURIComponent(`[{"property":"companyUid","operation":"equals","value":"${BETA}"}]`);
    assert.equal((await get(`/organizations/companies/usage?fromDate=2026-11-22&filter=${filter}`)).body, `{"data":[${usage(BETA, '2026-11-22', 0, 1)},${usage(BETA, '2026-11-23', 0, 1)}],${paging(2, 2)}}`);
  });

  test('a company account sees its own company only', async () => {
    assert.equal((await get('/organizations/companies/usage', owner)).body, `{"data":[${usage(ALPINE, '2026-11-23', 2, 0)}],${paging(1, 1)}}`);
  });

  test('bad dates and ranges of 31 days or more are 400s naming the parameter', async () => {
    const bad = await get('/organizations/companies/usage?fromDate=23.11.2026');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.body, `{"errors":[{"message":"The value '23.11.2026' is not valid for fromDate: it must be a date (YYYY-MM-DD).","type":"logical","code":400,"parameterName":"fromDate"}]}`);
    const long = await get('/organizations/companies/usage?fromDate=2026-10-23&toDate=2026-11-23');
    assert.equal(long.statusCode, 400);
    assert.equal(long.json().errors[0].parameterName, 'toDate');
    assert.equal((await get('/organizations/companies/usage?fromDate=2026-10-24&toDate=2026-11-23')).statusCode, 200);
    const reversed = await get('/organizations/companies/usage?fromDate=2026-11-23&toDate=2026-11-22');
    assert.equal(reversed.statusCode, 400);
    assert.equal(reversed.json().errors[0].parameterName, 'fromDate');
  });
});

describe('GET /organizations/companies/{companyUid}/usage', () => {
  test('one company, day by day', async () => {
    assert.equal((await get(`/organizations/companies/${ALPINE}/usage`)).body, `{"data":[${usage(ALPINE, '2026-11-23', 2, 0)}],${paging(1, 1)}}`);
    assert.equal((await get(`/organizations/companies/${ALPINE}/usage?toDate=2026-11-21`)).body, `{"data":[${usage(ALPINE, '2026-11-21', 2, 1)}],${paging(1, 1)}}`);
  });

  test('a missing company and one outside the caller scope are 404s; a malformed uid a 400', async () => {
    const missing = await get(`/organizations/companies/${MISSING}/usage`);
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.body, `{"errors":[{"message":"Company with UID ${MISSING} does not exist.","type":"logical","code":404}]}`);
    assert.equal((await get(`/organizations/companies/${BETA}/usage`, owner)).statusCode, 404);
    assert.equal((await get('/organizations/companies/nope/usage')).statusCode, 400);
  });
});

test('no literal path the VSPC face serves is taken by a sibling template for a parameter value', async () => {
  const document = (await app.vspc.inject({ url: '/api/swagger/json' })).json() as { paths: Record<string, Record<string, unknown>> };
  const literals = Object.entries(document.paths).filter(([path, item]) => !path.includes('{') && 'get' in item).map(([path]) => path);
  assert.ok(literals.includes('/api/v3/organizations/companies/usage'));
  for (const path of literals) {
    for (const version of ['3.2', '3.6.1']) {
      const res = await app.vspc.inject({ url: path, headers: { authorization: `Bearer ${app.adminToken}`, 'x-client-version': version } });
      // A template that swallowed the literal would refuse it as a malformed value of its parameter.
      assert.ok(!res.body.includes(`The value '${path.split('/').pop()}' is not valid for`), `${path} (${version}): ${res.body}`);
    }
  }
});
