/**
 * Two public clients' call sequences, against the demo over HTTPS (dist/cli.js):
 * - a VSPC usage-report script (VeeamHub `Get-VspcUsageReport.ps1`, REST 3.2): log in, read the
 *   server version, the resellers, the alarm templates and the active alarms, then page the
 *   console usage by company and read each company's usage;
 * - a VB365 collector (the Grafana script): probe `/v6/ServiceInstance` anonymously (401 means
 *   "v6 is served"), log in, read the version, then the organizations, their licensing
 *   information and the licensed users page by page.
 * Each stops at the first answer it cannot use, as the real ones do.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { form, getJson, passwordToken, request, spawnTally, type ServerProcess } from '../support/server.js';

const PASSWORD = 'discovery-clients-password';
let server: ServerProcess;

before(async () => {
  server = await spawnTally({ args: ['--clock', '2026-11-23T12:00:00Z', '--admin-password', PASSWORD] });
});
after(() => server?.stop());

test('VSPC usage-report script (3.2): token, about, resellers, alarm templates, active alarms, then the usage of every company page by page', async () => {
  const login = await request('POST', `${server.vspc}/api/v3/token`, form({ grant_type: 'password', username: 'admin', password: PASSWORD }));
  assert.equal(login.status, 200);
  const token = login.json().access_token as string;
  // The script declares 3.2 and sends a fresh X-Request-id with every call.
  const headers = (id: number) => ({ 'x-client-version': '3.2', 'x-request-id': `00000000-0000-4000-8000-${String(id).padStart(12, '0')}` });
  let requestId = 1;

  const about = (await getJson(`${server.vspc}/api/v3/about`, token, headers(requestId++))).data;
  assert.equal(about.serverVersion, '6.0.0.0', 'a 3.2 client sees the VSPC release of 3.2');
  const resellers = (await getJson(`${server.vspc}/api/v3/organizations/resellers?limit=500`, token, headers(requestId++))).data as { instanceUid: string; name: string }[];
  assert.ok(resellers.length > 1, 'the demo has several resellers');
  const templates = (await getJson(`${server.vspc}/api/v3/alarms/templates?limit=500`, token, headers(requestId++))).data as { instanceUid: string; name: string }[];
  assert.ok(templates.some((t) => t.name === 'License expiration'));
  const filter = encodeURIComponent(JSON.stringify([{ property: 'alarmTemplateUid', operation: 'in', collation: 'ignorecase', value: templates.map((t) => t.instanceUid) }]));
  const active = (await getJson(`${server.vspc}/api/v3/alarms/active?filter=${filter}&limit=500`, token, headers(requestId++)));
  assert.ok(Array.isArray(active.data));

  // Next page while count < total, as the script pages.
  const usage: { companyUid: string; counters: { newCount: number; usedCount: number }[] }[] = [];
  let offset = 0;
  for (;;) {
    const page = await getJson(`${server.vspc}/api/v3/licensing/console/usage/companies?limit=10&offset=${offset}`, token, headers(requestId++));
    usage.push(...page.data);
    offset += page.meta.pagingInfo.count;
    if (offset >= page.meta.pagingInfo.total) break;
  }
  assert.equal(usage.length, 36);
  const agents = usage.reduce((n, c) => n + c.counters.reduce((m, k) => m + k.newCount + k.usedCount, 0), 0);
  const totals = (await getJson(`${server.vspc}/api/v3/licensing/console/usage`, token, headers(requestId++))).data;
  assert.equal(agents, totals.newCount + totals.usedCount, 'the companies add up to the console total');
});

test('VB365 collector: anonymous ServiceInstance is 401, then token, version, organizations, licensing information and licensed users paged', async () => {
  const probe = await request('GET', `${server.vb365}/v6/ServiceInstance`);
  assert.equal(probe.status, 401, 'v6 is served (404 would mean it is not)');
  assert.equal(probe.json().message, 'Authorization has been denied for this request.');

  const token = await passwordToken(server.vb365, 'vb365', 'admin', PASSWORD);
  const instance = await getJson(`${server.vb365}/v6/ServiceInstance`, token);
  assert.equal(instance.version, '6.1.0.438');
  assert.match(instance.installationId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(await getJson(`${server.vb365}/v6/ServiceInstance`, token), instance, 'the installation id is stable');

  const organizations = (await getJson(`${server.vb365}/v6/Organizations`, token)) as { id: string; name: string }[];
  assert.ok(organizations.length > 0);
  let licensed = 0;
  for (const org of organizations) licensed += (await getJson(`${server.vb365}/v6/Organizations/${org.id}/LicensingInformation`, token)).licensedUsers;

  let counted = 0;
  let pages = 0;
  let href: string | undefined = '/v6/LicensedUsers?limit=250';
  while (href) {
    const page = await getJson(`${server.vb365}${href}`, token);
    pages++;
    counted += (page.results as { licenseState: string }[]).filter((u) => u.licenseState === 'Licensed' || u.licenseState === 'TemporarilyAssigned').length;
    href = page._links.next?.href;
  }
  assert.ok(pages > 1, 'the demo has more licensed users than one page');
  assert.equal(counted, licensed, 'the licensed users add up to the organizations');
});
