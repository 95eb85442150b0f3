/**
 * What a real integration does, against the demo over HTTPS: log in to each face, list the
 * organizations or companies, page through them following the API's own paging, read each one's
 * licensing usage, and check that the totals add up.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getJson, passwordToken, request, spawnTally, type ServerProcess } from '../support/server.js';

const PASSWORD = 'integration-client-password';
let server: ServerProcess;

before(async () => {
  server = await spawnTally({ args: ['--clock', '2026-11-23T12:00:00Z', '--admin-password', PASSWORD] });
});
after(() => server?.stop());

test('VB365: organizations, their licensing information, licensed users page by page, and the license totals agree', async () => {
  const token = await passwordToken(server.vb365, 'vb365', 'admin', PASSWORD);
  const organizations = (await getJson(`${server.vb365}/v6/Organizations`, token)) as { id: string; _links: { self: { href: string } } }[];
  assert.equal(organizations.length, 6);
  const perOrganization = new Map<string, number>();
  let licensed = 0;
  for (const org of organizations) {
    // Follow the organization's own link, as HAL clients do (hrefs are /v6/… relative).
    const info = await getJson(`${server.vb365}${org._links.self.href}/LicensingInformation`, token);
    perOrganization.set(org.id, info.licensedUsers);
    licensed += info.licensedUsers;
  }
  const license = await getJson(`${server.vb365}/v6/License`, token);
  assert.equal(license.usedNumber, licensed, 'the license counts what the organizations count');

  const seen = new Map<string, number>();
  let pages = 0;
  let total = -1;
  let href: string | undefined = '/v6/LicensedUsers?limit=500';
  while (href) {
    const page = await getJson(`${server.vb365}${href}`, token);
    pages++;
    total = page.totalCount;
    for (const user of page.results as { organizationId: string; licenseState: string }[]) {
      if (user.licenseState === 'Licensed' || user.licenseState === 'TemporarilyAssigned') {
        seen.set(user.organizationId, (seen.get(user.organizationId) ?? 0) + 1);
      }
    }
    href = page._links.next?.href;
  }
  assert.equal(pages, Math.ceil(total / 500));
  assert.deepEqual(Object.fromEntries([...seen].sort()), Object.fromEntries([...perOrganization].filter(([, n]) => n > 0).sort()));
});

test('VSPC: companies page by page (meta.pagingInfo), each tenant\'s usage, and the console totals agree', async () => {
  const token = await passwordToken(server.vspc, 'vspc', 'admin', PASSWORD);
  // The loop of VeeamHub's usage script: next page while count < total.
  const companies: { companyUid: string; tenantUid: string | null; counters: { usedCount: number; newCount: number; usedUnits: number; newUnits: number }[] }[] = [];
  let offset = 0;
  for (;;) {
    const page = await getJson(`${server.vspc}/api/v3/licensing/console/usage/companies?limit=10&offset=${offset}`, token, { 'x-client-version': '3.2' });
    companies.push(...page.data);
    offset += page.meta.pagingInfo.count;
    if (offset >= page.meta.pagingInfo.total) break;
  }
  assert.equal(companies.length, 36);
  for (const company of companies.filter((c) => c.tenantUid)) {
    const byTenant = await getJson(`${server.vspc}/api/v3/licensing/console/usage/companies/vcc/${company.tenantUid}`, token);
    assert.deepEqual(byTenant.data, company);
  }
  const totals = (await getJson(`${server.vspc}/api/v3/licensing/console/usage`, token)).data;
  const sum = (pick: (c: { usedCount: number; newCount: number; usedUnits: number; newUnits: number }) => number) =>
    companies.reduce((n, c) => n + c.counters.reduce((m, counter) => m + pick(counter), 0), 0);
  assert.equal(totals.usedCount, sum((c) => c.usedCount));
  assert.equal(totals.newCount, sum((c) => c.newCount));
  assert.equal(totals.usedUnits, sum((c) => c.usedUnits));
  assert.equal(totals.newUnits, sum((c) => c.newUnits));
  assert.ok(totals.newCount >= 4, 'the seed company alone has four new agents');
});

test('VSPC 3.3+ client: companies from /organizations/companies, each tenant from siteResources, the legacy usage by tenant and the modern usage agree', async () => {
  const token = await passwordToken(server.vspc, 'vspc', 'admin', PASSWORD);
  const companies: { instanceUid: string; name: string }[] = [];
  let offset = 0;
  for (;;) {
    const page = await getJson(`${server.vspc}/api/v3/organizations/companies?limit=7&offset=${offset}`, token);
    companies.push(...page.data);
    offset += page.meta.pagingInfo.count;
    if (offset >= page.meta.pagingInfo.total) break;
  }
  assert.equal(companies.length, 36);
  assert.equal(new Set(companies.map((c) => c.instanceUid)).size, 36, 'paging neither repeats nor skips');

  // The modern usage, one entry per organization with agents; its VSPC server's workloads carry the counts.
  const modern = new Map<string, { usedCount: number; newCount: number }>();
  offset = 0;
  for (;;) {
    const page = await getJson(`${server.vspc}/api/v3/licensing/usage/organizations?limit=10&offset=${offset}`, token);
    for (const org of page.data as { organizationUid: string; servers: { workloads: { usedCount: number; newCount: number }[] }[] }[]) {
      const workloads = org.servers.flatMap((s) => s.workloads);
      modern.set(org.organizationUid, { usedCount: workloads.reduce((n, w) => n + w.usedCount, 0), newCount: workloads.reduce((n, w) => n + w.newCount, 0) });
    }
    offset += page.meta.pagingInfo.count;
    if (offset >= page.meta.pagingInfo.total) break;
  }

  let withTenant = 0;
  for (const company of companies) {
    const tenants = (await getJson(`${server.vspc}/api/v3/organizations/companies/${company.instanceUid}/siteResources`, token)).data as { instanceUid: string }[];
    for (const tenant of tenants) {
      withTenant++;
      const usage = (await getJson(`${server.vspc}/api/v3/licensing/console/usage/companies/vcc/${tenant.instanceUid}`, token)).data;
      assert.equal(usage.companyUid, company.instanceUid);
      const legacy = usage.counters.reduce((n: { usedCount: number; newCount: number }, c: { usedCount: number; newCount: number }) => ({ usedCount: n.usedCount + c.usedCount, newCount: n.newCount + c.newCount }), { usedCount: 0, newCount: 0 });
      const empty = legacy.usedCount === 0 && legacy.newCount === 0;
      assert.deepEqual(modern.get(company.instanceUid), empty ? undefined : legacy, company.name);
    }
  }
  assert.ok(withTenant > 0, 'the demo maps companies to tenants');
});
