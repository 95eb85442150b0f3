/**
 * Referential checks, deletes and workload listings of the admin API (issue 18 item 5): unknown
 * reseller, company or scope uids are refused with a message naming them; resellers, companies and
 * organizations are deleted only when nothing counts for or refers to them; a company's and an
 * organization's workloads at `now` list exactly what is counted.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';

const NOW = '2026-11-23T12:00:00Z';
const RESELLER = '0b000000-0000-4000-8000-00000000e001';
const COMPANY = '0c000000-0000-4000-8000-00000000e001';
const ORG = '0a000000-0000-4000-8000-00000000e001';
const MISSING = '0f000000-0000-4000-8000-00000000dead';
const agent = (n: number) => `0e000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: NOW });
  await adminPut(app, `/tally/v1/resellers/${RESELLER}`, { name: 'Reseller' });
  await adminPut(app, `/tally/v1/companies/${COMPANY}`, { name: 'Company', resellerUid: RESELLER });
  await adminPut(app, `/tally/v1/organizations/${ORG}`, { name: 'org.onmicrosoft.com', companyUid: COMPANY });
  await adminPut(app, '/tally/v1/licenses/vspc', { type: 'Rental', units: 11, expirationDate: '2027-11-30T00:00:00Z', weights: { server: 11, workstation: 4 } });
  const res = await app.ingest([
    // A server used since June (Licensed: the 11 units), a workstation activated this month (New).
    { id: 'e1', type: 'vspc.agentActivated', at: '2026-06-02T08:00:00Z', companyUid: COMPANY, agent: { uid: agent(1), name: 'srv-old', mode: 'server' } },
    { id: 'e2', type: 'vspc.agentActivated', at: '2026-11-02T08:00:00Z', companyUid: COMPANY, agent: { uid: agent(2), name: 'ws-new', mode: 'workstation' } },
    // Licensed after the first: beyond the 11 units (Licensed by exceed or Unlicensed).
    { id: 'e3', type: 'vspc.agentActivated', at: '2026-07-02T08:00:00Z', companyUid: COMPANY, agent: { uid: agent(3), name: 'srv-late', mode: 'server' } },
    // Deactivated: not counted.
    { id: 'e4', type: 'vspc.agentActivated', at: '2026-06-03T08:00:00Z', companyUid: COMPANY, agent: { uid: agent(4), name: 'gone', mode: 'server' } },
    { id: 'e5', type: 'vspc.agentDeactivated', at: '2026-06-04T08:00:00Z', agentUid: agent(4) },
    { id: 'b1', type: 'vb365.backup', at: '2026-11-20T00:00:00Z', organizationId: ORG, user: { id: 'u1', name: 'alice@org.example' } },
  ]);
  assert.equal(res.status, 200, JSON.stringify(res.body));
});
after(() => app.close());

const call = (method: 'GET' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  app.vspc.inject({ method, url, headers: { authorization: `Bearer ${app.adminToken}` }, ...(payload ? { payload } : {}) });

describe('references must name something', () => {
  test('a company with an unknown resellerUid is 409 naming the reseller; nothing is stored', async () => {
    const uid = '0c000000-0000-4000-8000-00000000e0ff';
    const res = await call('PUT', `/tally/v1/companies/${uid}`, { name: 'Orphan', resellerUid: MISSING });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'conflict');
    assert.match(res.json().error.message, new RegExp(`Reseller ${MISSING} does not exist`));
    assert.equal((await call('GET', `/tally/v1/companies/${uid}`)).statusCode, 404);
  });

  test('an organization with an unknown companyUid is 409 naming the company; nothing is stored', async () => {
    const id = '0a000000-0000-4000-8000-00000000e0ff';
    const res = await call('PUT', `/tally/v1/organizations/${id}`, { name: 'orphan.onmicrosoft.com', companyUid: MISSING });
    assert.equal(res.statusCode, 409);
    assert.match(res.json().error.message, new RegExp(`Company ${MISSING} does not exist`));
    assert.equal((await call('GET', `/tally/v1/organizations/${id}`)).statusCode, 404);
  });

  test('an account scoped to a uid that names nothing is 409; nothing is stored', async () => {
    const res = await call('PUT', '/tally/v1/users/scoped-to-nothing', { password: 'a-long-password', roles: ['ReadOnlyUser'], scopeUid: MISSING });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.message, `Scope ${MISSING} names no reseller and no company.`);
    assert.equal((await call('GET', '/tally/v1/users/scoped-to-nothing')).statusCode, 404);
  });
});

describe('workloads at now', () => {
  test('a company: its managed agents with mode and license status, and its organizations\' users', async () => {
    const res = await call('GET', `/tally/v1/companies/${COMPANY}/workloads`);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.companyUid, COMPANY);
    assert.equal(body.at, '2026-11-23T12:00:00.000Z');
    assert.deepEqual(body.agents.map((a: { agentUid: string; name: string; mode: string; status: string }) => [a.agentUid, a.name, a.mode, a.status]), [
      [agent(1), 'srv-old', 'server', 'Licensed'],
      [agent(3), 'srv-late', 'server', body.agents[1].status],
      [agent(2), 'ws-new', 'workstation', 'New'],
    ]);
    assert.ok(['LicensedByExceed', 'Unlicensed'].includes(body.agents[1].status), body.agents[1].status);
    assert.deepEqual(body.users.map((u: { organizationId: string; name: string }) => [u.organizationId, u.name]), [[ORG, 'alice@org.example']]);
  });

  test('an organization: its users with their license state', async () => {
    const res = await call('GET', `/tally/v1/organizations/${ORG}/workloads`);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.organizationId, ORG);
    assert.deepEqual(body.users.map((u: { userId: string; state: string; lastBackupAt: string }) => [u.userId, u.state, u.lastBackupAt]), [
      ['u1', body.users[0].state, '2026-11-20T00:00:00.000Z'],
    ]);
    assert.ok(['Licensed', 'New', 'TemporarilyAssigned'].includes(body.users[0].state));
  });

  test('an unknown company or organization is 404', async () => {
    assert.equal((await call('GET', `/tally/v1/companies/${MISSING}/workloads`)).statusCode, 404);
    assert.equal((await call('GET', `/tally/v1/organizations/${MISSING}/workloads`)).statusCode, 404);
  });
});

describe('deletes', () => {
  test('a reseller with companies, a company with agents or organizations, an organization with licensed users: 409, nothing removed', async () => {
    const reseller = await call('DELETE', `/tally/v1/resellers/${RESELLER}`);
    assert.equal(reseller.statusCode, 409);
    assert.match(reseller.json().error.message, /still has 1 company/);
    const company = await call('DELETE', `/tally/v1/companies/${COMPANY}`);
    assert.equal(company.statusCode, 409);
    assert.match(company.json().error.message, /still has 3 managed agents and 1 organization/);
    assert.match(company.json().error.message, /workloads/);
    const organization = await call('DELETE', `/tally/v1/organizations/${ORG}`);
    assert.equal(organization.statusCode, 409);
    assert.match(organization.json().error.message, /1 user who holds or waits for a license/);
    for (const url of [`/tally/v1/resellers/${RESELLER}`, `/tally/v1/companies/${COMPANY}`, `/tally/v1/organizations/${ORG}`]) {
      assert.equal((await call('GET', url)).statusCode, 200, url);
    }
  });

  test('an account confined to a reseller or company holds it', async () => {
    const reseller = '0b000000-0000-4000-8000-00000000e0aa';
    await adminPut(app, `/tally/v1/resellers/${reseller}`, { name: 'Held' });
    await adminPut(app, '/tally/v1/users/holder', { password: 'a-long-password', roles: ['ServiceProviderOperator'], scopeUid: reseller });
    const refused = await call('DELETE', `/tally/v1/resellers/${reseller}`);
    assert.equal(refused.statusCode, 409);
    assert.match(refused.json().error.message, /1 account confined to it/);
    assert.equal((await call('DELETE', '/tally/v1/users/holder')).statusCode, 204);
    assert.equal((await call('DELETE', `/tally/v1/resellers/${reseller}`)).statusCode, 204);
  });

  test('once nothing counts: organization, company and reseller are deleted (204), audited, then 404', async () => {
    const removed = await app.ingest([
      { id: 'r1', type: 'vspc.agentDeactivated', at: '2026-11-23T11:00:00Z', agentUid: agent(1) },
      { id: 'r2', type: 'vspc.agentDeactivated', at: '2026-11-23T11:00:00Z', agentUid: agent(2) },
      { id: 'r3', type: 'vspc.agentDeactivated', at: '2026-11-23T11:00:00Z', agentUid: agent(3) },
      { id: 'r4', type: 'vb365.dataRemoved', at: '2026-11-23T11:00:00Z', organizationId: ORG, userId: 'u1' },
      { id: 'r5', type: 'vb365.licenseRevoked', at: '2026-11-23T11:00:01Z', organizationId: ORG, userId: 'u1' },
    ]);
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual((await call('GET', `/tally/v1/organizations/${ORG}/workloads`)).json().users, []);
    for (const url of [`/tally/v1/organizations/${ORG}`, `/tally/v1/companies/${COMPANY}`, `/tally/v1/resellers/${RESELLER}`]) {
      const res = await call('DELETE', url);
      assert.equal(res.statusCode, 204, `${url}: ${res.body}`);
      assert.equal((await call('GET', url)).statusCode, 404, url);
      assert.equal((await call('DELETE', url)).statusCode, 404, url);
    }
    const audit = (await call('GET', '/tally/v1/audit?limit=1000')).json().entries as { action: string; target: string }[];
    for (const [action, target] of [['organization.delete', `organization/${ORG}`], ['company.delete', `company/${COMPANY}`], ['reseller.delete', `reseller/${RESELLER}`]]) {
      assert.ok(audit.some((e) => e.action === action && e.target === target), `${action} ${target}`);
    }
  });
});
