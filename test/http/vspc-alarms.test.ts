/**
 * `GET /api/v3/alarms/templates` and `/alarms/active`: the license alarms computed at `now` from
 * the licensing services (expiring license, usage over the license, unlicensed agents), an empty
 * list where nothing applies; golden bodies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getSetting } from '../../src/store/settings.js';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';

const NOW = '2026-11-23T12:00:00Z';
const ALPINE = '0c000000-0000-4000-8000-0000000000a1';
const agent = (n: number) => `a0000000-0000-4000-8000-00000000000${n}`;
let app: TestApp;
let installation = '';
let owner = '';

before(async () => {
  app = await startTestApp({ clock: NOW });
  await adminPut(app, `/tally/v1/companies/${ALPINE}`, { name: 'Alpine' });
  const res = await app.ingest([1, 2, 3].map((n) => ({
    id: `a${n}`, type: 'vspc.agentActivated', at: `2026-0${n}-02T08:00:00Z`, companyUid: ALPINE, agent: { uid: agent(n), name: `srv${n}`, mode: 'server' },
  })));
  assert.equal(res.status, 200);
  owner = await app.tokenFor('alpine-owner', ['CompanyOwner'], ALPINE);
  await app.vspc.inject({ url: '/api/v3/alarms/templates', headers: { authorization: `Bearer ${app.adminToken}` } });
  installation = (await getSetting(app.ctx.store.db, 'vspc.installationId'))!;
});

after(() => app.close());

const get = (url: string, token = app.adminToken) => app.vspc.inject({ url: `/api/v3${url}`, headers: { authorization: `Bearer ${token}` } });
const license = (terms: object) => adminPut(app, '/tally/v1/licenses/vspc', { type: 'Subscription', expirationDate: '2027-11-30T00:00:00Z', ...terms });
const active = async (token = app.adminToken) => (await get('/alarms/active', token)).json() as { data: any[]; meta: unknown };

describe('GET /alarms/templates', () => {
  test('the three license alarms Tally knows, predefined and enabled', async () => {
    const res = await get('/alarms/templates');
    assert.equal(res.statusCode, 200);
    const template = (n: number, name: string, description: string) =>
      `{"instanceUid":"7a11e000-0000-4000-8000-00000000000${n}","name":"${name}","description":"${description}","organizationUid":"${installation}","isPredefined":true,"isEnabled":true}`;
    assert.equal(
      res.body,
      `{"data":[${template(1, 'License expiration', 'The Veeam Service Provider Console license expires within 30 days or has expired.')},` +
        `${template(2, 'License usage exceeded', 'Managed backup agents consume more units than the license provides.')},` +
        `${template(3, 'Unlicensed backup agents', 'Managed backup agents are not licensed.')}],"meta":{"pagingInfo":{"total":3,"count":3,"offset":0}}}`,
    );
    assert.equal((await get('/alarms/templates', owner)).statusCode, 200);
  });
});

describe('GET /alarms/active', () => {
  test('no license, or a license that covers every agent and is far from expiry: no alarm', async () => {
    assert.equal((await get('/alarms/active')).body, '{"data":[],"meta":{"pagingInfo":{"total":0,"count":0,"offset":0}}}');
    await license({ units: 10 });
    assert.equal((await get('/alarms/active')).body, '{"data":[],"meta":{"pagingInfo":{"total":0,"count":0,"offset":0}}}');
  });

  test('a license expiring within 30 days: a Warning activated 30 days before the expiry; expired: an Error', async () => {
    await license({ units: 10, expirationDate: '2026-12-10T00:00:00Z' });
    const body = (await get('/alarms/active')).body;
    const alarm = (await active()).data[0];
    assert.equal(alarm.alarmTemplateUid, '7a11e000-0000-4000-8000-000000000001');
    assert.match(alarm.instanceUid, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(
      body,
      `{"data":[{"instanceUid":"${alarm.instanceUid}","alarmTemplateUid":"7a11e000-0000-4000-8000-000000000001","repeatCount":1,` +
        `"object":{"organizationUid":"${installation}","objectUid":"${installation}","objectName":"Veeam Service Provider Console license"},` +
        `"lastActivation":{"instanceUid":"${alarm.lastActivation.instanceUid}","time":"2026-11-10T00:00:00.000Z","status":"Warning",` +
        `"message":"The license expires on 2026-12-10T00:00:00.000Z.","remark":""}}],"meta":{"pagingInfo":{"total":1,"count":1,"offset":0}}}`,
    );
    assert.equal((await get('/alarms/active')).body, body, 'the same alarm, the same uid, while the condition lasts');
    await license({ units: 10, expirationDate: '2026-11-20T00:00:00Z' });
    const expired = (await active()).data.find((a) => a.alarmTemplateUid === '7a11e000-0000-4000-8000-000000000001');
    assert.deepEqual({ time: expired.lastActivation.time, status: expired.lastActivation.status }, { time: '2026-11-20T00:00:00.000Z', status: 'Error' });
  });

  test('agents beyond the license: usage exceeded (Warning) and, for those without a license, unlicensed (Error)', async () => {
    await license({ units: 1 });
    const alarms = (await active()).data.map((a) => [a.alarmTemplateUid, a.lastActivation.status, a.lastActivation.message]);
    assert.deepEqual(alarms, [
      ['7a11e000-0000-4000-8000-000000000002', 'Warning', 'Managed agents exceed the license: 0 agent(s) licensed by exceed, 2 agent(s) unlicensed.'],
      ['7a11e000-0000-4000-8000-000000000003', 'Error', '2 managed agent(s) are not licensed.'],
    ]);
  });

  test('accounts confined to a company see no installation alarm', async () => {
    await license({ units: 1 });
    assert.equal((await get('/alarms/active', owner)).body, '{"data":[],"meta":{"pagingInfo":{"total":0,"count":0,"offset":0}}}');
  });
});
