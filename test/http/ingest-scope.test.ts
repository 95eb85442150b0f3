/**
 * Ingestion within a scope (issue 19, item 2): an Ingest account confined to a reseller or a
 * company writes events only for the organizations, companies and agents inside its scope. A
 * batch naming anything else, foreign or missing alike, is refused whole (400 out_of_scope,
 * nothing stored); unconfined accounts write as before. Run in the ingestion worker, as `tally
 * serve` does, and in process.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';

const RESELLER = '0e000000-0000-4000-8000-0000000000a1';
const OTHER_RESELLER = '0e000000-0000-4000-8000-0000000000a2';
const MINE = '0c000000-0000-4000-8000-0000000000b1';
const SIBLING = '0c000000-0000-4000-8000-0000000000b2';
const FOREIGN = '0c000000-0000-4000-8000-0000000000b3';
const MISSING = '0c000000-0000-4000-8000-0000000000bf';
const ORG_MINE = '0a000000-0000-4000-8000-0000000000c1';
const ORG_FOREIGN = '0a000000-0000-4000-8000-0000000000c3';
const ORG_UNMAPPED = '0a000000-0000-4000-8000-0000000000c4';
const AGENT_MINE = '0d000000-0000-4000-8000-0000000000d1';
const AGENT_FOREIGN = '0d000000-0000-4000-8000-0000000000d3';
const AT = '2026-11-10T00:00:00Z';

let n = 0;
const id = () => `scope-${++n}`;
const backup = (org: string) => ({ id: id(), type: 'vb365.backup', at: AT, organizationId: org, user: { id: `u-${n}`, name: `u-${n}` } });
const activated = (company: string, agent: string) => ({ id: id(), type: 'vspc.agentActivated', at: AT, companyUid: company, agent: { uid: agent, name: 'a', mode: 'server' } });
const deactivated = (agent: string) => ({ id: id(), type: 'vspc.agentDeactivated', at: '2026-11-11T00:00:00Z', agentUid: agent });

for (const worker of [true, false]) {
  describe(`ingestion scope (${worker ? 'in the worker' : 'in process'})`, () => {
    let app: TestApp;
    let companyIngest: string;
    let resellerIngest: string;
    const post = async (token: string, events: unknown[], remoteAddress = '127.0.0.1') => {
      const res = await app.vspc.inject({ method: 'POST', url: '/tally/v1/events', headers: { authorization: `Bearer ${token}` }, payload: { events }, remoteAddress });
      return { status: res.statusCode, body: res.json() };
    };
    const stored = async () => Number((await app.ctx.store.db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    before(async () => {
      app = await startTestApp({ clock: '2026-11-20T12:00:00Z', ingestionWorker: worker });
      await adminPut(app, `/tally/v1/resellers/${RESELLER}`, { name: 'Mine' });
      await adminPut(app, `/tally/v1/resellers/${OTHER_RESELLER}`, { name: 'Other' });
      await adminPut(app, `/tally/v1/companies/${MINE}`, { name: 'Mine', resellerUid: RESELLER });
      await adminPut(app, `/tally/v1/companies/${SIBLING}`, { name: 'Sibling', resellerUid: RESELLER });
      await adminPut(app, `/tally/v1/companies/${FOREIGN}`, { name: 'Foreign', resellerUid: OTHER_RESELLER });
      await adminPut(app, `/tally/v1/organizations/${ORG_MINE}`, { name: 'mine.example', companyUid: MINE });
      await adminPut(app, `/tally/v1/organizations/${ORG_FOREIGN}`, { name: 'foreign.example', companyUid: FOREIGN });
      await adminPut(app, `/tally/v1/organizations/${ORG_UNMAPPED}`, { name: 'unmapped.example' });
      assert.equal((await app.ingest([activated(FOREIGN, AGENT_FOREIGN), activated(MINE, AGENT_MINE)])).status, 200);
      companyIngest = await app.tokenFor(`company-ingest-${worker}`, ['Ingest'], MINE);
      resellerIngest = await app.tokenFor(`reseller-ingest-${worker}`, ['Ingest'], RESELLER);
    });
    after(() => app.close());

    test('a company-scoped account writes for its organizations, company and agents', async () => {
      const res = await post(companyIngest, [backup(ORG_MINE), activated(MINE, '0d000000-0000-4000-8000-0000000000e1'), deactivated(AGENT_MINE)]);
      assert.deepEqual(res, { status: 200, body: { accepted: 3, duplicates: 0 } });
    });

    test('a foreign organization, company or agent refuses the whole batch, like a missing one', async () => {
      for (const [foreign, field, missing] of [
        [backup(ORG_FOREIGN), 'organizationId', backup('0a000000-0000-4000-8000-0000000000cf')],
        [backup(ORG_UNMAPPED), 'organizationId', undefined],
        [activated(SIBLING, '0d000000-0000-4000-8000-0000000000e2'), 'companyUid', activated(MISSING, '0d000000-0000-4000-8000-0000000000e3')],
        [deactivated(AGENT_FOREIGN), 'agentUid', deactivated('0d000000-0000-4000-8000-0000000000ef')],
      ] as const) {
        const before = await stored();
        const refused = await post(companyIngest, [backup(ORG_MINE), foreign]);
        assert.equal(refused.status, 400, JSON.stringify(refused.body));
        assert.equal(refused.body.error.code, 'out_of_scope');
        assert.deepEqual(refused.body.error.details.map((d: { index: number; field: string }) => [d.index, d.field]), [[1, field]]);
        assert.equal(await stored(), before, 'nothing stored');
        if (missing) {
          const absent = await post(companyIngest, [backup(ORG_MINE), missing]);
          assert.equal(absent.status, 400);
          // The same answer, but for the uid it names.
          const name = (body: any) => body.error.details[0].message.replace(/[0-9a-f-]{36}/, 'UID');
          assert.equal(name(absent.body), name(refused.body));
        }
      }
    });

    test('a reseller-scoped account writes for every company of its reseller, none of another', async () => {
      assert.equal((await post(resellerIngest, [backup(ORG_MINE), activated(SIBLING, '0d000000-0000-4000-8000-0000000000e4')])).status, 200);
      const refusals = async () => (await app.ctx.store.db.selectFrom('audit_log').select(['actor', 'target']).where('action', '=', 'scope.refused').execute());
      const before = (await refusals()).length;
      // From an address of its own: refusals are recorded at most ten a minute per address.
      const refused = await post(resellerIngest, [activated(FOREIGN, '0d000000-0000-4000-8000-0000000000e5')], worker ? '203.0.113.71' : '203.0.113.72');
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'out_of_scope');
      // The refusal leaves a trace in the audit log, as every refusal does.
      const after = await refusals();
      assert.equal(after.length, before + 1);
      assert.equal(after.at(-1)?.target, 'events');
    });

    test('an agent activated in the scope by the same batch may be changed by it', async () => {
      const agent = '0d000000-0000-4000-8000-0000000000e6';
      assert.equal((await post(companyIngest, [activated(MINE, agent), deactivated(agent)])).status, 200);
    });

    test('an unconfined account writes as before, also for objects not registered yet', async () => {
      assert.equal((await app.ingest([backup(ORG_FOREIGN), backup('0a000000-0000-4000-8000-0000000000ce')])).status, 200);
    });
  });
}
