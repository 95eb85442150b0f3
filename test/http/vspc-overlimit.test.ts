/**
 * Golden tests of the VSPC console endpoints over a ledger beyond its license (rules 17–18) and
 * through the license's expiry grace: whole bodies, byte for byte, at instants that matter.
 *
 * Rental, 50 points (11 per server, 4 per workstation), allowance ⌊50 × 20 %⌋ = 10 → 60 usable.
 * The consuming agents in FIFO order, with cumulative points at 2026-11-23:
 *   1 server A 11 · 2 workstation B 15 · 3 server B 26 · 4 server (unregistered company) 37 ·
 *   5 workstation A 41 → Licensed; 6 server A 52 · 7 workstation B 56 (same instant as 6, larger
 *   uid) → Licensed by exceed; 8 server B 67 · 9 workstation A 71 → Unlicensed.
 * New this month: 10 server A, 11 workstation B. Agent 12 was deactivated before; agent 5 is
 * deactivated on 25 November (after the clock at first: that agent is replayed from its events).
 * Every consuming agent was activated in October, so it consumes from 1 November: the exceed
 * episode started then and ends on 31 December 00:00.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';

const NOW = '2026-11-23T12:00:00Z';
const A = { uid: 'ca000000-0000-4000-8000-00000000000a', tenant: 'da000000-0000-4000-8000-00000000000a' };
const B = { uid: 'cb000000-0000-4000-8000-00000000000b', tenant: 'db000000-0000-4000-8000-00000000000b' };
const UNREGISTERED = 'cc000000-0000-4000-8000-00000000000c';
const agent = (n: number) => `a0000000-0000-4000-8000-0000000000${String(n).padStart(2, '0')}`;
const LICENSE = { type: 'Rental', units: 50, expirationDate: '2026-11-30T00:00:00Z', weights: { server: 11, workstation: 4 } };

let app: TestApp;
const auth = (token = app.adminToken) => ({ authorization: `Bearer ${token}` });
const get = async (url: string, token?: string) => app.vspc.inject({ url: `/api/v3${url}`, headers: auth(token) });

async function travel(now: string): Promise<void> {
  const res = await app.vspc.inject({ method: 'PUT', url: '/tally/v1/clock', headers: auth(), payload: { now } });
  assert.equal(res.statusCode, 200, res.body);
}

before(async () => {
  app = await startTestApp({ clock: NOW });
  await adminPut(app, `/tally/v1/companies/${A.uid}`, { name: 'Alpine', tenantUid: A.tenant });
  await adminPut(app, `/tally/v1/companies/${B.uid}`, { name: 'Birch', tenantUid: B.tenant });
  await adminPut(app, '/tally/v1/licenses/vspc', LICENSE);
  const activate = (n: number, at: string, companyUid: string, mode: 'server' | 'workstation') => ({
    id: `act-${n}`, type: 'vspc.agentActivated', at, companyUid, agent: { uid: agent(n), name: `agent-${n}`, mode },
  });
  // Shuffled on purpose: arrival order never matters.
  const res = await app.ingest([
    activate(9, '2026-10-08T00:00:00Z', A.uid, 'workstation'),
    activate(1, '2026-10-01T00:00:00Z', A.uid, 'server'),
    activate(7, '2026-10-06T00:00:00Z', B.uid, 'workstation'),
    activate(3, '2026-10-03T00:00:00Z', B.uid, 'server'),
    activate(6, '2026-10-06T00:00:00Z', A.uid, 'server'),
    activate(2, '2026-10-02T00:00:00Z', B.uid, 'workstation'),
    activate(4, '2026-10-04T00:00:00Z', UNREGISTERED, 'server'),
    activate(5, '2026-10-05T00:00:00Z', A.uid, 'workstation'),
    activate(8, '2026-10-07T00:00:00Z', B.uid, 'server'),
    activate(10, '2026-11-10T00:00:00Z', A.uid, 'server'),
    activate(11, '2026-11-12T00:00:00Z', B.uid, 'workstation'),
    activate(12, '2026-09-01T00:00:00Z', A.uid, 'server'),
    { id: 'off-12', type: 'vspc.agentDeactivated', at: '2026-11-01T00:00:00Z', agentUid: agent(12) },
    { id: 'off-5', type: 'vspc.agentDeactivated', at: '2026-11-25T00:00:00Z', agentUid: agent(5) },
  ]);
  assert.deepEqual(res, { status: 200, body: { accepted: 14, duplicates: 0 } });
});

after(() => app.close());

type Numbers = [usedUnits: string, usedCount: number, newUnits: string, newCount: number];

/** A counter as the per-company endpoints render it. */
function counter(type: 'server' | 'workstation', [usedUnits, usedCount, newUnits, newCount]: Numbers): string {
  const name = type === 'server' ? 'vaC_Server_Agent' : 'vaC_Workstation_Agent';
  return `{"type":"${name}","unitType":"points","usedUnits":${usedUnits},"usedCount":${usedCount},"newUnits":${newUnits},"newCount":${newCount}}`;
}
/** A counter as the installation summary renders it (its own property order). */
function summaryCounter(type: 'server' | 'workstation', [usedUnits, usedCount, newUnits, newCount]: Numbers): string {
  const name = type === 'server' ? 'vaC_Server_Agent' : 'vaC_Workstation_Agent';
  return `{"type":"${name}","unitType":"points","usedUnits":${usedUnits},"newUnits":${newUnits},"newCount":${newCount},"usedCount":${usedCount}}`;
}
const company = (c: { uid: string; tenant: string }, server: Numbers, workstation: Numbers) =>
  `{"companyUid":"${c.uid}","tenantUid":"${c.tenant}","counters":[${counter('server', server)},${counter('workstation', workstation)}]}`;

interface Expected {
  a: [Numbers, Numbers];
  b: [Numbers, Numbers];
  total: [Numbers, Numbers];
  licensedUnits: string;
}

/** Every console usage endpoint at the current clock. */
async function expectUsage(e: Expected, label: string): Promise<void> {
  const a = company(A, ...e.a);
  const b = company(B, ...e.b);
  assert.equal((await get(`/licensing/console/usage/companies/vcc/${A.tenant}`)).body, `{"data":${a}}`, `${label}: vcc A`);
  assert.equal((await get(`/licensing/console/usage/companies/vcc/${B.tenant}`)).body, `{"data":${b}}`, `${label}: vcc B`);
  assert.equal((await get(`/licensing/console/usage/companies/${A.uid}`)).body, `{"data":${a}}`, `${label}: company A`);
  assert.equal((await get(`/licensing/console/usage/companies/${B.uid}`)).body, `{"data":${b}}`, `${label}: company B`);
  assert.equal(
    (await get('/licensing/console/usage/companies')).body,
    `{"data":[${a},${b}],"meta":{"pagingInfo":{"total":2,"count":2,"offset":0}}}`,
    `${label}: companies`,
  );
  const [server, workstation] = e.total;
  const sum = (i: 0 | 2) => {
    const v = Number(server[i]) + Number(workstation[i]);
    return Number.isInteger(v) ? v.toFixed(1) : String(v);
  };
  assert.equal(
    (await get('/licensing/console/usage')).body,
    `{"data":{"unitType":"points","usedUnits":${sum(0)},"usedCount":${server[1] + workstation[1]},"newUnits":${sum(2)},"newCount":${server[3] + workstation[3]},` +
      `"licensedUnits":${e.licensedUnits},"counters":[${summaryCounter('server', server)},${summaryCounter('workstation', workstation)}]}}`,
    `${label}: installation`,
  );
}

async function expectStatus(status: string, statusMessage: string, label: string, instances = 50): Promise<void> {
  const data = (await get('/licensing/console')).json().data;
  assert.deepEqual({ status: data.status, statusMessage: data.statusMessage, instances: data.instances }, { status, statusMessage, instances }, label);
}

// Agents 1, 6 (A servers), 3 (B server), 4 (unregistered server): 4 servers used; 8 Unlicensed.
const AT_NOW: Expected = {
  a: [['22.0', 2, '11.0', 1], ['4.0', 1, '0.0', 0]],
  b: [['11.0', 1, '0.0', 0], ['8.0', 2, '4.0', 1]],
  total: [['44.0', 4, '11.0', 1], ['12.0', 3, '4.0', 1]],
  licensedUnits: '50.0',
};
// From 1 December: agent 5 is gone, 6 moves into the license, 7 stays by exceed, 8–11 are Unlicensed.
const DECEMBER: Expected = {
  a: [['22.0', 2, '0.0', 0], ['0.0', 0, '0.0', 0]],
  b: [['11.0', 1, '0.0', 0], ['8.0', 2, '0.0', 0]],
  total: [['44.0', 4, '0.0', 0], ['8.0', 2, '0.0', 0]],
  licensedUnits: '50.0',
};
// From 31 December 00:00 the exceed episode (begun 1 November) is over: agent 7 is Unlicensed too.
const EXCEED_OVER: Expected = { ...DECEMBER, b: [['11.0', 1, '0.0', 0], ['4.0', 1, '0.0', 0]], total: [['44.0', 4, '0.0', 0], ['4.0', 1, '0.0', 0]] };
const zero: Numbers = ['0.0', 0, '0.0', 0];
const LAPSED: Expected = { a: [zero, zero], b: [zero, zero], total: [zero, zero], licensedUnits: '0.0' };

describe('VSPC console over its license', () => {
  test('at the clock: 2 agents licensed by exceed count as used, 2 Unlicensed count nowhere, new ones are new', async () => {
    await expectUsage(AT_NOW, 'now');
    await expectStatus('Warning', 'The license is exceeded: 2 agent(s) licensed by exceed, 2 agent(s) unlicensed.', 'now');
  });

  test('an administrator without the Portal role sees the sum of the registered companies only', async () => {
    const provider = await app.tokenFor('sp-admin', ['ServiceProviderAdministrator']);
    const data = (await get('/licensing/console/usage', provider)).json().data;
    assert.deepEqual([data.usedCount, data.usedUnits, data.newCount], [6, 45, 2]);
  });

  test('rule 18 and the exceed duration through time; the license expires on 30 November (grace to 29 January)', async () => {
    try {
      await travel('2026-12-01T00:00:00Z');
      await expectUsage(DECEMBER, '1 December');
      await expectStatus('Expired', 'The license expired on 2026-11-30T00:00:00.000Z; agents stay licensed during the grace period, until 2027-01-29T00:00:00.000Z.', '1 December');
      await travel('2026-12-30T23:59:59.999Z');
      await expectUsage(DECEMBER, 'last instant of the exceed');
      await travel('2026-12-31T00:00:00Z');
      await expectUsage(EXCEED_OVER, 'exceed over');
      await travel('2027-01-29T00:00:00Z');
      await expectUsage(EXCEED_OVER, 'last instant of the expiry grace');
      await travel('2027-01-29T00:00:00.001Z');
      await expectUsage(LAPSED, 'grace over');
      await expectStatus('Expired', 'The license expired on 2026-11-30T00:00:00.000Z and its grace period ended on 2027-01-29T00:00:00.000Z: no agent is licensed.', 'grace over');
    } finally {
      await travel(NOW);
    }
    await expectUsage(AT_NOW, 'back');
  });

  test('auto-update with a recent usage report doubles the allowance: 70 usable points take agent 8 in', async () => {
    const doubled = { ...LICENSE, autoUpdate: true, lastReportSentAt: '2026-11-01T09:00:00+01:00' };
    try {
      assert.deepEqual(await adminPut(app, '/tally/v1/licenses/vspc', doubled), doubled);
      const stored = await app.vspc.inject({ url: '/tally/v1/licenses/vspc', headers: auth() });
      assert.deepEqual(stored.json(), doubled);
      await expectUsage({ ...AT_NOW, b: [['22.0', 2, '0.0', 0], ['8.0', 2, '4.0', 1]], total: [['55.0', 5, '11.0', 1], ['12.0', 3, '4.0', 1]] }, 'doubled');
      await expectStatus('Warning', 'The license is exceeded: 3 agent(s) licensed by exceed, 1 agent(s) unlicensed.', 'doubled');
      // A report older than 30 days no longer doubles it.
      await adminPut(app, '/tally/v1/licenses/vspc', { ...doubled, lastReportSentAt: '2026-10-24T12:00:00Z' });
      await expectUsage(AT_NOW, 'report 30 days old');
    } finally {
      await adminPut(app, '/tally/v1/licenses/vspc', LICENSE);
    }
  });

  test('a bad lastReportSentAt is refused with 400 and changes nothing', async () => {
    const res = await app.vspc.inject({
      method: 'PUT', url: '/tally/v1/licenses/vspc', headers: auth(), payload: { ...LICENSE, autoUpdate: true, lastReportSentAt: '2026-11-01' },
    });
    assert.equal(res.statusCode, 400, res.body);
    const stored = await app.vspc.inject({ url: '/tally/v1/licenses/vspc', headers: auth() });
    assert.deepEqual(stored.json(), LICENSE);
    await expectUsage(AT_NOW, 'after the refused PUT');
  });

  test('the license boundary at exact sums: an agent whose cumulative points equal the license is Licensed', async () => {
    try {
      // 41 points: agent 5 reaches exactly 41; allowance ⌊8.2⌋ = 8 → 49 usable, so 6 (52) and all after it are Unlicensed.
      await adminPut(app, '/tally/v1/licenses/vspc', { ...LICENSE, units: 41 });
      await expectUsage(
        {
          a: [['11.0', 1, '11.0', 1], ['4.0', 1, '0.0', 0]],
          b: [['11.0', 1, '0.0', 0], ['4.0', 1, '4.0', 1]],
          total: [['33.0', 3, '11.0', 1], ['8.0', 2, '4.0', 1]],
          licensedUnits: '41.0',
        },
        'license of 41',
      );
      await expectStatus('Warning', 'The license is exceeded: 0 agent(s) licensed by exceed, 4 agent(s) unlicensed.', 'license of 41', 41);
      // 71 points: the whole pool exactly fits; 70: agent 9 (71) rides on the allowance.
      await adminPut(app, '/tally/v1/licenses/vspc', { ...LICENSE, units: 71 });
      await expectStatus('Valid', '', 'license of 71', 71);
      await adminPut(app, '/tally/v1/licenses/vspc', { ...LICENSE, units: 70 });
      await expectStatus('Warning', 'The license is exceeded: 1 agent(s) licensed by exceed, 0 agent(s) unlicensed.', 'license of 70', 70);
    } finally {
      await adminPut(app, '/tally/v1/licenses/vspc', LICENSE);
    }
  });

  test('a larger license takes the earliest-registered agents first; without a license nothing is limited', async () => {
    try {
      // 60 points (72 usable): 6 and 7 now within the license (56), 8 (67) and 9 (71) by exceed.
      await adminPut(app, '/tally/v1/licenses/vspc', { ...LICENSE, units: 60 });
      const all: Expected = {
        a: [['22.0', 2, '11.0', 1], ['8.0', 2, '0.0', 0]],
        b: [['22.0', 2, '0.0', 0], ['8.0', 2, '4.0', 1]],
        total: [['55.0', 5, '11.0', 1], ['16.0', 4, '4.0', 1]],
        licensedUnits: '60.0',
      };
      await expectUsage(all, 'license of 60');
      const removed = await app.vspc.inject({ method: 'DELETE', url: '/tally/v1/licenses/vspc', headers: auth() });
      assert.equal(removed.statusCode, 204);
      await expectUsage({ ...all, licensedUnits: '0.0' }, 'no license');
    } finally {
      await adminPut(app, '/tally/v1/licenses/vspc', LICENSE);
    }
  });
});
