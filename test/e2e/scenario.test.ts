/**
 * A month-crossing scenario against the real built server: one provider with one Microsoft 365
 * organization under a Rental VB365 license and one VSPC company under a Rental console license,
 * fed through the admin API, then walked through time with PUT /tally/v1/clock. At every step the
 * whole bodies of the five licensing answers are compared with values worked out by hand from the
 * rules in docs/licensing.md (the reasoning is in the comments next to each step), never with
 * Tally's own code.
 *
 * The ledger is loaded once at the start, including backups and a deactivation dated after the
 * starting clock: an event dated after `now` has no effect until the clock passes it, so the
 * answers at each step only see what happened up to that step.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { passwordToken, spawnTally, type ServerProcess } from '../support/server.js';
import { JSON_TYPE, call, expectBytes, expectJson, seenStatuses } from './helpers.js';

const ADMIN_PASSWORD = 'scenario-admin-password';
const START = '2026-10-20T12:00:00Z';

const ORG = '5c3a1e20-7b4d-4e8f-9a10-2b3c4d5e6f70';
const ORG_NAME = 'northwind.onmicrosoft.com';
const COMPANY = '7d2e4f60-1a3b-4c5d-8e9f-0a1b2c3d4e5f';
const TENANT = '9e8d7c6b-5a49-4382-b716-a5f4e3d2c1b0';
const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** The organization's users; names sort in the order of the keys (the page is sorted by name). */
const USERS = {
  anna: { id: '1a000000-0000-4000-8000-000000000001', name: 'anna@northwind.example' },
  ben: { id: '1a000000-0000-4000-8000-000000000002', name: 'ben@northwind.example' },
  carla: { id: '1a000000-0000-4000-8000-000000000003', name: 'carla@northwind.example' },
  dave: { id: '1a000000-0000-4000-8000-000000000004', name: 'dave@northwind.example' },
  erik: { id: '1a000000-0000-4000-8000-000000000005', name: 'erik@northwind.example' },
  fiona: { id: '1a000000-0000-4000-8000-000000000006', name: 'fiona@northwind.example' },
} as const;
type UserKey = keyof typeof USERS;
const RECEPTION = { id: '1a000000-0000-4000-8000-000000000007', name: 'reception@northwind.example' };

const AGENTS = {
  srv1: 'ae000000-0000-4000-8000-000000000001',
  ws1: 'ae000000-0000-4000-8000-000000000002',
  srv2: 'ae000000-0000-4000-8000-000000000003',
  ws2: 'ae000000-0000-4000-8000-000000000004',
  ws3: 'ae000000-0000-4000-8000-000000000005',
  srv3: 'ae000000-0000-4000-8000-000000000006',
} as const;

/*
 * VB365 license: Rental, totalNumber 3. Exceed allowance (rule 9, Rental, no auto-update) =
 * max(20, ⌊20 % × 3⌋) = max(20, 0) = 20, so with at most 5 consuming users the 4th and 5th are
 * TemporarilyAssigned and nobody is ever Exceeded. Expires 2026-11-20T00:00:00Z.
 */
const VB365_LICENSE = {
  type: 'Rental',
  totalNumber: 3,
  expirationDate: '2026-11-20T00:00:00Z',
  licensedTo: 'Northwind Cloud Services',
  contactPerson: 'Pat Doe',
  email: 'pat@northwind-cloud.example',
  supportId: '00112233',
  supportExpirationDate: '2027-11-20T00:00:00Z',
};
const VB365_EXPIRES = '2026-11-20T00:00:00.000Z';

/*
 * The user ledger (kind `user` unless said otherwise; all at 02:00Z except dave's at 03:00Z):
 *   anna   08-03, 10-19, 11-18          first backup in August: consuming from the start
 *   ben    09-14, 10-18, 11-16          first backup in September (last month at the start)
 *          (+ 11-22T08:00, posted at step 7, after his revocation)
 *   carla  10-05, 10-20, 11-17          first backup in October: New until 2026-11-01
 *   dave   09-05T03:00, 10-15T03:00     stops being backed up: releases at 10-15T03:00 + 31×24 h
 *                                       = 2026-11-15T03:00:00.000Z
 *   erik   10-12, 11-10                 first backup in October: New until 2026-11-01
 *   fiona  11-03                        first backup in November (in the future at the start)
 *   reception (sharedMailbox, m365Licensed false) 10-01, 11-05: never consumes, never listed
 */
const backup = (id: string, user: { id: string; name: string }, at: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'vb365.backup',
  at,
  organizationId: ORG,
  user: { id: user.id, name: user.name, ...extra },
});
const LEDGER_VB365 = [
  backup('anna-1', USERS.anna, '2026-08-03T02:00:00Z'),
  backup('anna-2', USERS.anna, '2026-10-19T02:00:00Z'),
  backup('anna-3', USERS.anna, '2026-11-18T02:00:00Z'),
  backup('ben-1', USERS.ben, '2026-09-14T02:00:00Z'),
  backup('ben-2', USERS.ben, '2026-10-18T02:00:00Z'),
  backup('ben-3', USERS.ben, '2026-11-16T02:00:00Z'),
  backup('carla-1', USERS.carla, '2026-10-05T02:00:00Z'),
  backup('carla-2', USERS.carla, '2026-10-20T02:00:00Z'),
  backup('carla-3', USERS.carla, '2026-11-17T02:00:00Z'),
  backup('dave-1', USERS.dave, '2026-09-05T03:00:00Z'),
  backup('dave-2', USERS.dave, '2026-10-15T03:00:00Z'),
  backup('erik-1', USERS.erik, '2026-10-12T02:00:00Z'),
  backup('erik-2', USERS.erik, '2026-11-10T02:00:00Z'),
  backup('fiona-1', USERS.fiona, '2026-11-03T02:00:00Z'),
  backup('reception-1', RECEPTION, '2026-10-01T02:00:00Z', { kind: 'sharedMailbox', m365Licensed: false }),
  backup('reception-2', RECEPTION, '2026-11-05T02:00:00Z', { kind: 'sharedMailbox', m365Licensed: false }),
];

/*
 * VSPC: Rental console license of 500 points, weights server 11, workstation 4.
 *   srv1 server       activated 09-20 (last month at the start)   used
 *   ws1  workstation  activated 09-25 (last month)                used
 *   srv2 server       activated 10-03 (this month)                new until 2026-11-01
 *   ws2  workstation  activated 10-10 (this month)                new until 2026-11-01
 *   ws3  workstation  activated 10-14 (this month)                new until 2026-11-01, deactivated 2026-11-08T10:00Z
 *   srv3 server       activated 11-22T08:00 (posted at step 7)    new until 2026-12-01
 */
const activation = (id: string, at: string, uid: string, name: string, mode: 'server' | 'workstation') => ({
  id,
  type: 'vspc.agentActivated',
  at,
  companyUid: COMPANY,
  agent: { uid, name, mode },
});
const LEDGER_VSPC = [
  activation('srv1-on', '2026-09-20T08:00:00Z', AGENTS.srv1, 'srv-01', 'server'),
  activation('ws1-on', '2026-09-25T08:00:00Z', AGENTS.ws1, 'ws-01', 'workstation'),
  activation('srv2-on', '2026-10-03T08:00:00Z', AGENTS.srv2, 'srv-02', 'server'),
  activation('ws2-on', '2026-10-10T08:00:00Z', AGENTS.ws2, 'ws-02', 'workstation'),
  activation('ws3-on', '2026-10-14T08:00:00Z', AGENTS.ws3, 'ws-03', 'workstation'),
  { id: 'ws3-off', type: 'vspc.agentDeactivated', at: '2026-11-08T10:00:00Z', agentUid: AGENTS.ws3 },
];

// ---------------------------------------------------------------------------------------------
// Expected answers

type LicenseState = 'Licensed' | 'New' | 'TemporarilyAssigned' | 'Exceeded';
/** [usedUnits, usedCount, newUnits, newCount], units written as the wire shows them. */
type Counter = [string, number, string, number];

/** What GET /v6/License shows of the installed license's terms. */
interface LicenseView {
  email: string;
  expirationDate: string;
  type: string;
  licensedTo: string;
  contactPerson: string;
  totalNumber: number;
  supportID: string;
  supportExpirationDate: string | null;
}
const RENTAL_VIEW: LicenseView = {
  email: VB365_LICENSE.email,
  expirationDate: VB365_EXPIRES,
  type: 'Rental',
  licensedTo: VB365_LICENSE.licensedTo,
  contactPerson: VB365_LICENSE.contactPerson,
  totalNumber: 3,
  supportID: VB365_LICENSE.supportId,
  supportExpirationDate: '2027-11-20T00:00:00.000Z',
};

interface Expected {
  /** The VB365 license's terms; the Rental license unless said otherwise. */
  license?: LicenseView;
  /** LicensingInformation of the organization (the only one: also the License totals). */
  licensedUsers: number;
  newUsers: number;
  status: 'Valid' | 'Expired';
  /** The listed users in name order: [user, lastBackupDate at now, state]. */
  users: [UserKey, string, LicenseState][];
  /** The company's counters (the only company: also the installation's). */
  server: Counter;
  workstation: Counter;
  /** Installation totals [usedUnits, usedCount, newUnits, newCount]. */
  total: Counter;
}

function licenseBody(e: Expected): string {
  // One organization: usedNumber = Σ licensedUsers, newNumber = Σ newUsers (rule 8).
  const l = e.license ?? RENTAL_VIEW;
  return JSON.stringify({
    licenseID: null,
    email: l.email,
    status: e.status,
    expirationDate: l.expirationDate,
    type: l.type,
    licensedTo: l.licensedTo,
    contactPerson: l.contactPerson,
    totalNumber: l.totalNumber,
    usedNumber: e.licensedUsers,
    newNumber: e.newUsers,
    supportID: l.supportID,
    supportExpirationDate: l.supportExpirationDate,
  });
}

function licensedUsersBody(e: Expected): string {
  const results = e.users.map(([key, last, state]) => ({
    id: `${USERS[key].id}:${ZERO_GUID}`,
    name: USERS[key].name,
    isBackedUp: true,
    lastBackupDate: last,
    licenseState: state,
    organizationId: ORG,
    backedUpOrganizationId: ORG,
    organizationName: ORG_NAME,
    _links: { organization: { href: `/v6/Organizations/${ORG}` } },
  }));
  return JSON.stringify({ offset: 0, limit: 30, results, _links: { self: { href: '/v6/LicensedUsers?offset=0&limit=30' } }, totalCount: results.length });
}

function tenantBody(e: Expected): string {
  const counter = (type: string, [usedUnits, usedCount, newUnits, newCount]: Counter) =>
    `{"type":"${type}","unitType":"points","usedUnits":${usedUnits},"usedCount":${usedCount},"newUnits":${newUnits},"newCount":${newCount}}`;
  return `{"data":{"companyUid":"${COMPANY}","tenantUid":"${TENANT}","counters":[${counter('vaC_Server_Agent', e.server)},${counter('vaC_Workstation_Agent', e.workstation)}]}}`;
}

function usageBody(e: Expected): string {
  // ConsoleLicenseSummaryCounter keeps its own field order: type, unitType, usedUnits, newUnits, newCount, usedCount.
  const counter = (type: string, [usedUnits, usedCount, newUnits, newCount]: Counter) =>
    `{"type":"${type}","unitType":"points","usedUnits":${usedUnits},"newUnits":${newUnits},"newCount":${newCount},"usedCount":${usedCount}}`;
  const [usedUnits, usedCount, newUnits, newCount] = e.total;
  return (
    `{"data":{"unitType":"points","usedUnits":${usedUnits},"usedCount":${usedCount},"newUnits":${newUnits},"newCount":${newCount},"licensedUnits":500.0,` +
    `"counters":[${counter('vaC_Server_Agent', e.server)},${counter('vaC_Workstation_Agent', e.workstation)}]}}`
  );
}

// ---------------------------------------------------------------------------------------------

let server: ServerProcess;
let token: string;

async function setClock(now: string): Promise<void> {
  const res = await call('PUT', `${server.vspc}/tally/v1/clock`, { token, json: { now } });
  expectJson(res, 200, { now: new Date(now).toISOString(), fixed: true }, `PUT clock ${now}`);
}

async function ingest(events: unknown[]): Promise<void> {
  const res = await call('POST', `${server.vspc}/tally/v1/events`, { token, json: { events } });
  expectJson(res, 200, { accepted: events.length, duplicates: 0 }, 'POST events');
}

/** Compares the whole bodies of the five answers with the expectation. */
async function expectAnswers(label: string, e: Expected): Promise<void> {
  const vb = (p: string) => call('GET', `${server.vb365}${p}`, { token });
  const vs = (p: string) => call('GET', `${server.vspc}${p}`, { token });
  expectBytes(await vb(`/v6/Organizations/${ORG}/LicensingInformation`), 200, JSON.stringify({ licensedUsers: e.licensedUsers, newUsers: e.newUsers }), `${label}: LicensingInformation`);
  expectBytes(await vb('/v6/License'), 200, licenseBody(e), `${label}: License`);
  expectBytes(await vb('/v6/LicensedUsers'), 200, licensedUsersBody(e), `${label}: LicensedUsers`);
  expectBytes(await vs(`/api/v3/licensing/console/usage/companies/vcc/${TENANT}`), 200, tenantBody(e), `${label}: console usage of the tenant`);
  expectBytes(await vs('/api/v3/licensing/console/usage'), 200, usageBody(e), `${label}: console usage`);
}

async function at(now: string, e: Expected): Promise<void> {
  await setClock(now);
  await expectAnswers(now, e);
}

function revoke(user: UserKey) {
  return call('DELETE', `${server.vb365}/v6/LicensedUsers/${USERS[user].id}:${ZERO_GUID}`, { token });
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------
// The states, worked out by hand.

/*
 * October (S1 at 2026-10-20T12:00Z and S2 at 2026-10-31T23:59:59.999Z, the same answers).
 * Windows at S2, the later of the two: a backup holds a unit while younger than 31 × 24 h.
 *   anna  last 10-19T02 (holds until 11-19T02)  first 08-03            consuming
 *   ben   last 10-18T02 (until 11-18T02)         first 09-14            consuming
 *   carla last 10-20T02                          first 10-05 = October  New
 *   dave  last 10-15T03 (until 11-15T03)         first 09-05            consuming
 *   erik  last 10-12T02 (until 11-12T02)         first 10-12 = October  New
 *   fiona no backup yet (11-03 is in the future); reception is a shared mailbox without M365 licence.
 * Consuming ranked by first backup: anna (08-03), dave (09-05), ben (09-14): the first 3 = totalNumber
 * are Licensed. licensedUsers 3, newUsers 2; License usedNumber 3, newNumber 2.
 * Agents: srv1, ws1 activated in September → used; srv2, ws2, ws3 activated in October → new.
 *   server:      used 1 × 11 = 11.0, new 1 × 11 = 11.0
 *   workstation: used 1 × 4 = 4.0,   new 2 × 4 = 8.0
 *   total:       used 15.0 / 2,      new 19.0 / 3
 */
const OCTOBER: Expected = {
  licensedUsers: 3,
  newUsers: 2,
  status: 'Valid',
  users: [
    ['anna', '2026-10-19T02:00:00.000Z', 'Licensed'],
    ['ben', '2026-10-18T02:00:00.000Z', 'Licensed'],
    ['carla', '2026-10-20T02:00:00.000Z', 'New'],
    ['dave', '2026-10-15T03:00:00.000Z', 'Licensed'],
    ['erik', '2026-10-12T02:00:00.000Z', 'New'],
  ],
  server: ['11.0', 1, '11.0', 1],
  workstation: ['4.0', 1, '8.0', 2],
  total: ['15.0', 2, '19.0', 3],
};

/*
 * S3 at 2026-11-01T00:00:00.000Z: November. carla's and erik's first backups (October) are no longer
 * in the current month, so they consume (rule 5) — their windows still hold (10-20 → 11-20, 10-12 → 11-12).
 * Ranked by first backup: anna 08-03, dave 09-05, ben 09-14 | carla 10-05, erik 10-12:
 * 3 Licensed, then 2 TemporarilyAssigned (allowance 20). licensedUsers 5, newUsers 0.
 * Agents: everything activated in September or October is used now.
 *   server:      srv1, srv2           used 2 × 11 = 22.0
 *   workstation: ws1, ws2, ws3        used 3 × 4 = 12.0
 *   total:       used 34.0 / 5, new 0.0 / 0
 */
const NOVEMBER_START: Expected = {
  licensedUsers: 5,
  newUsers: 0,
  status: 'Valid',
  users: [
    ['anna', '2026-10-19T02:00:00.000Z', 'Licensed'],
    ['ben', '2026-10-18T02:00:00.000Z', 'Licensed'],
    ['carla', '2026-10-20T02:00:00.000Z', 'TemporarilyAssigned'],
    ['dave', '2026-10-15T03:00:00.000Z', 'Licensed'],
    ['erik', '2026-10-12T02:00:00.000Z', 'TemporarilyAssigned'],
  ],
  server: ['22.0', 2, '0.0', 0],
  workstation: ['12.0', 3, '0.0', 0],
  total: ['34.0', 5, '0.0', 0],
};

/*
 * 2026-11-08T09:59:59.999Z: fiona's first backup (11-03, November) makes her New; nobody's window
 * has ended yet (the earliest, dave's, ends 11-15T03:00; erik's 10-12 window ends 11-12T02:00).
 * licensedUsers 5, newUsers 1. Agents as at S3: ws3 is deactivated one millisecond later.
 */
const BEFORE_DEACTIVATION: Expected = {
  ...NOVEMBER_START,
  newUsers: 1,
  users: [...NOVEMBER_START.users, ['fiona', '2026-11-03T02:00:00.000Z', 'New']],
};

/*
 * 2026-11-08T10:00:00.000Z: ws3 is deactivated and stops counting at once (rule 12).
 *   workstation: ws1, ws2 used 2 × 4 = 8.0; total used 22.0 + 8.0 = 30.0 / 4.
 */
const AFTER_DEACTIVATION: Expected = {
  ...BEFORE_DEACTIVATION,
  workstation: ['8.0', 2, '0.0', 0],
  total: ['30.0', 4, '0.0', 0],
};

/*
 * 2026-11-15T02:59:59.999Z, one millisecond before dave's release: dave's last backup
 * (10-15T03:00) is 31 days minus 1 ms old, so he still holds his unit. erik was backed up on 11-10
 * (his last backup moves). States as at the deactivation; agents as after it.
 */
const BEFORE_DAVE_RELEASE: Expected = {
  ...AFTER_DEACTIVATION,
  users: [
    ['anna', '2026-10-19T02:00:00.000Z', 'Licensed'],
    ['ben', '2026-10-18T02:00:00.000Z', 'Licensed'],
    ['carla', '2026-10-20T02:00:00.000Z', 'TemporarilyAssigned'],
    ['dave', '2026-10-15T03:00:00.000Z', 'Licensed'],
    ['erik', '2026-11-10T02:00:00.000Z', 'TemporarilyAssigned'],
    ['fiona', '2026-11-03T02:00:00.000Z', 'New'],
  ],
};

/*
 * 2026-11-15T03:00:00.000Z = 10-15T03:00 + 31 × 24 h: dave's only backup in the window is exactly
 * 31 days old and no longer counts (rule 3): he is released and no longer listed. The first user
 * waiting moves up (FIFO by first backup): anna, ben, carla Licensed; erik TemporarilyAssigned;
 * fiona New. licensedUsers 4, newUsers 1.
 */
const AFTER_DAVE_RELEASE: Expected = {
  ...AFTER_DEACTIVATION,
  licensedUsers: 4,
  newUsers: 1,
  users: [
    ['anna', '2026-10-19T02:00:00.000Z', 'Licensed'],
    ['ben', '2026-10-18T02:00:00.000Z', 'Licensed'],
    ['carla', '2026-10-20T02:00:00.000Z', 'Licensed'],
    ['erik', '2026-11-10T02:00:00.000Z', 'TemporarilyAssigned'],
    ['fiona', '2026-11-03T02:00:00.000Z', 'New'],
  ],
};

/*
 * 2026-11-17T12:00Z, before the revocation: ben was backed up on 11-16, carla on 11-17; otherwise as
 * after dave's release. anna's 10-19 backup still holds (until 11-19T02:00).
 */
const BEFORE_REVOCATION: Expected = {
  ...AFTER_DAVE_RELEASE,
  users: [
    ['anna', '2026-10-19T02:00:00.000Z', 'Licensed'],
    ['ben', '2026-11-16T02:00:00.000Z', 'Licensed'],
    ['carla', '2026-11-17T02:00:00.000Z', 'Licensed'],
    ['erik', '2026-11-10T02:00:00.000Z', 'TemporarilyAssigned'],
    ['fiona', '2026-11-03T02:00:00.000Z', 'New'],
  ],
};

/*
 * After ben's revocation (rule 4): his unit is released at once (the revocation is after his last
 * backup, 11-16) and he is no longer listed; erik, the first waiting, becomes Licensed.
 * anna, carla, erik Licensed; fiona New. licensedUsers 3, newUsers 1.
 */
const AFTER_REVOCATION: Expected = {
  ...BEFORE_REVOCATION,
  licensedUsers: 3,
  users: [
    ['anna', '2026-10-19T02:00:00.000Z', 'Licensed'],
    ['carla', '2026-11-17T02:00:00.000Z', 'Licensed'],
    ['erik', '2026-11-10T02:00:00.000Z', 'Licensed'],
    ['fiona', '2026-11-03T02:00:00.000Z', 'New'],
  ],
};

/*
 * 2026-11-20T00:00:00.000Z (the license's expirationDate): anna's 11-18 backup is her last now (and
 * keeps her window open past 11-19T02). States as after the revocation. The license is not past its
 * expiration date yet: Valid. One millisecond later it is Expired and nothing else changes (what stops
 * after the grace period is not applied yet).
 */
const AT_EXPIRY: Expected = {
  ...AFTER_REVOCATION,
  users: [
    ['anna', '2026-11-18T02:00:00.000Z', 'Licensed'],
    ['carla', '2026-11-17T02:00:00.000Z', 'Licensed'],
    ['erik', '2026-11-10T02:00:00.000Z', 'Licensed'],
    ['fiona', '2026-11-03T02:00:00.000Z', 'New'],
  ],
};
const EXPIRED: Expected = { ...AT_EXPIRY, status: 'Expired' };

/*
 * 2026-11-22T08:00:00.000Z: ben's new backup (posted the day before, dated in the future then) takes a
 * unit again; he is not New again (his first backup stays 09-14, rule 5) and ranks by it:
 * anna 08-03, ben 09-14, carla 10-05 Licensed; erik 10-12 TemporarilyAssigned; fiona New.
 * licensedUsers 4, newUsers 1. srv3, activated at the same instant in November, is new:
 *   server: used srv1, srv2 2 × 11 = 22.0, new srv3 1 × 11 = 11.0; workstation as before (8.0 / 2)
 *   total:  used 30.0 / 4, new 11.0 / 1
 */
const AFTER_FUTURE_EVENTS: Expected = {
  ...EXPIRED,
  licensedUsers: 4,
  users: [
    ['anna', '2026-11-18T02:00:00.000Z', 'Licensed'],
    ['ben', '2026-11-22T08:00:00.000Z', 'Licensed'],
    ['carla', '2026-11-17T02:00:00.000Z', 'Licensed'],
    ['erik', '2026-11-10T02:00:00.000Z', 'TemporarilyAssigned'],
    ['fiona', '2026-11-03T02:00:00.000Z', 'New'],
  ],
  server: ['22.0', 2, '11.0', 1],
  total: ['30.0', 4, '11.0', 1],
};

/*
 * 2026-12-01T00:00:00.000Z: December. Windows at that instant: anna 11-18, ben 11-22, carla 11-17,
 * erik 11-10 (until 12-11T02), fiona 11-03 (until 12-04T02): all still hold. fiona's first backup
 * (November) is no longer in the current month: she consumes. Ranked: anna, ben, carla Licensed;
 * erik, fiona TemporarilyAssigned. licensedUsers 5, newUsers 0.
 * srv3 (activated in November) is used: server used 3 × 11 = 33.0; total used 33.0 + 8.0 = 41.0 / 5.
 */
const DECEMBER: Expected = {
  ...AFTER_FUTURE_EVENTS,
  licensedUsers: 5,
  newUsers: 0,
  users: [
    ['anna', '2026-11-18T02:00:00.000Z', 'Licensed'],
    ['ben', '2026-11-22T08:00:00.000Z', 'Licensed'],
    ['carla', '2026-11-17T02:00:00.000Z', 'Licensed'],
    ['erik', '2026-11-10T02:00:00.000Z', 'TemporarilyAssigned'],
    ['fiona', '2026-11-03T02:00:00.000Z', 'TemporarilyAssigned'],
  ],
  server: ['33.0', 3, '0.0', 0],
  total: ['41.0', 5, '0.0', 0],
};

/*
 * The same ledger under an Evaluation license of 2 users (expiring 2027-01-31, no optional terms):
 * no New status (rule 5 is Rental only: every holding user consumes) and no exceed allowance
 * (rule 9): the first 2 consuming users by first backup are Licensed, the rest Exceeded, which are
 * listed but not counted in licensedUsers / usedNumber. newUsers is 0 (rule 6).
 */
const EVALUATION_VIEW: LicenseView = {
  email: '',
  expirationDate: '2027-01-31T00:00:00.000Z',
  type: 'Evaluation',
  licensedTo: '',
  contactPerson: '',
  totalNumber: 2,
  supportID: '',
  supportExpirationDate: null,
};

/*
 * Evaluation at 2026-12-01T00:00Z: holding users (windows as in DECEMBER) ranked by first backup:
 * anna 08-03, ben 09-14 Licensed; carla 10-05, erik 10-12, fiona 11-03 Exceeded.
 * licensedUsers 2, newUsers 0. VSPC is untouched by the VB365 license: as in DECEMBER.
 */
const EVALUATION_DECEMBER: Expected = {
  ...DECEMBER,
  license: EVALUATION_VIEW,
  status: 'Valid',
  licensedUsers: 2,
  newUsers: 0,
  users: [
    ['anna', '2026-11-18T02:00:00.000Z', 'Licensed'],
    ['ben', '2026-11-22T08:00:00.000Z', 'Licensed'],
    ['carla', '2026-11-17T02:00:00.000Z', 'Exceeded'],
    ['erik', '2026-11-10T02:00:00.000Z', 'Exceeded'],
    ['fiona', '2026-11-03T02:00:00.000Z', 'Exceeded'],
  ],
};

/*
 * Evaluation at the start (2026-10-20T12:00Z): holding users as in OCTOBER, none New: ranked
 * anna 08-03, dave 09-05 Licensed; ben 09-14, carla 10-05, erik 10-12 Exceeded.
 * licensedUsers 2, newUsers 0. VSPC as in OCTOBER.
 */
const EVALUATION_OCTOBER: Expected = {
  ...OCTOBER,
  license: EVALUATION_VIEW,
  licensedUsers: 2,
  newUsers: 0,
  users: [
    ['anna', '2026-10-19T02:00:00.000Z', 'Licensed'],
    ['ben', '2026-10-18T02:00:00.000Z', 'Exceeded'],
    ['carla', '2026-10-20T02:00:00.000Z', 'Exceeded'],
    ['dave', '2026-10-15T03:00:00.000Z', 'Licensed'],
    ['erik', '2026-10-12T02:00:00.000Z', 'Exceeded'],
  ],
};

// ---------------------------------------------------------------------------------------------

describe(`scenario: a Rental provider from ${START} into December`, () => {
  before(async () => {
    server = await spawnTally({ args: ['--no-demo', '--clock', START, '--admin-password', ADMIN_PASSWORD] });
    token = await passwordToken(server.vb365, 'vb365', 'admin', ADMIN_PASSWORD);
    const put = async (path: string, body: unknown) => {
      const res = await call('PUT', `${server.vspc}/tally/v1${path}`, { token, json: body });
      assert.equal(res.status, 200, `PUT ${path} → ${res.status} ${res.text}`);
      assert.equal(res.headers['content-type'], JSON_TYPE);
    };
    await put(`/organizations/${ORG}`, { name: ORG_NAME, officeName: 'northwind' });
    await put(`/companies/${COMPANY}`, { name: 'Northwind Traders', tenantUid: TENANT });
    await put('/licenses/vb365', VB365_LICENSE);
    await put('/licenses/vspc', { type: 'Rental', units: 500, expirationDate: '2027-12-31T00:00:00Z', weights: { server: 11, workstation: 4 } });
    await ingest([...LEDGER_VB365, ...LEDGER_VSPC]);
  });
  after(async () => {
    await server?.stop();
  });

  test('(1) the start, 2026-10-20T12:00Z: Sept users and agents consume/used, October ones are new', async () => {
    await expectAnswers('start', OCTOBER);
  });

  test('(2) one millisecond before the month boundary: still October', async () => {
    await at('2026-10-31T23:59:59.999Z', OCTOBER);
  });

  test('(3) exactly at 2026-11-01T00:00Z: October users consume, October agents are used', async () => {
    await at('2026-11-01T00:00:00.000Z', NOVEMBER_START);
  });

  test('the October usage report (rule 11) at the month start: Draft during the review days, Approved (sent automatically) after', async () => {
    /*
     * October, worked out from the ledger: anna held a unit from 10-19 (first backup in August),
     * ben all month (first in September), dave until his release (first in September): 3 initial
     * users. carla and erik were first backed up in October: 2 new users. Nobody removed.
     */
    const october = (status: string) => ({
      reportParameters: {
        reportID: 202610,
        reportStatus: status,
        companyName: 'Northwind Cloud Services',
        licenseExpirationDate: VB365_EXPIRES,
        supportID: '00112233',
        reportGenerationDate: '2026-11-01T00:00:00.000Z',
        reportingInterval: { startOfInterval: '2026-10-01T00:00:00.000Z', endOfInterval: '2026-10-31T23:59:59.999Z' },
      },
      reportSummary: { initialUsersCount: 3, reportedUsersCount: 3, newUsersCount: 2 },
      organizations: [
        { organizationId: ORG, organizationName: ORG_NAME, removedUsersCount: 0, removalReason: '', reportedUsersCount: 3, newUsersCount: 2, initialUsersCount: 3 },
      ],
    });
    const report = () => call('GET', `${server.vb365}/v6/licensing/reports/latest`, { token });
    // The clock is at 2026-11-01T00:00:00.000Z (step 3): the report is generated and frozen now.
    expectJson(await report(), 200, october('Draft'), 'October report at the month start');
    await setClock('2026-11-03T23:59:59.999Z');
    expectJson(await report(), 200, october('Draft'), 'last instant of the review days');
    await setClock('2026-11-04T00:00:00.000Z');
    expectJson(await report(), 200, october('Approved'), 'sent automatically after the review days');
  });

  test('a November user is New; an agent deactivated at 11-08T10:00Z stops counting at that instant', async () => {
    await at('2026-11-08T09:59:59.999Z', BEFORE_DEACTIVATION);
    await at('2026-11-08T10:00:00.000Z', AFTER_DEACTIVATION);
  });

  test('(4) the 31-day window of a user no longer backed up: holds 1 ms before, released exactly 31×24 h after', async () => {
    // Hand check of the instant: dave's last backup + 31 × 24 h.
    assert.equal(Date.parse('2026-11-15T03:00:00.000Z') - Date.parse('2026-10-15T03:00:00Z'), 31 * DAY);
    await at('2026-11-15T02:59:59.999Z', BEFORE_DAVE_RELEASE);
    await at('2026-11-15T03:00:00.000Z', AFTER_DAVE_RELEASE);
  });

  test('(5) revocation: 409 while data is held (also with a removal dated in the future), 204 after it; the unit is freed', async () => {
    await at('2026-11-17T12:00:00.000Z', BEFORE_REVOCATION);
    const refusal = `{"message":"Cannot revoke the license of ${USERS.ben.name}: a backup repository still contains data of this user. Remove the user's data first."}`;
    expectBytes(await revoke('ben'), 409, refusal, 'revoke before any vb365.dataRemoved');
    await expectAnswers('after the refused revocation', BEFORE_REVOCATION);

    // The data removal is posted dated half an hour after the clock: it has no effect yet.
    await ingest([{ id: 'ben-removed', type: 'vb365.dataRemoved', at: '2026-11-17T12:30:00Z', organizationId: ORG, userId: USERS.ben.id }]);
    expectBytes(await revoke('ben'), 409, refusal, 'revoke with a removal dated in the future');
    await expectAnswers('after the second refused revocation', BEFORE_REVOCATION);

    // At the removal's instant: the data removal alone releases nothing, but the revocation is allowed now.
    await at('2026-11-17T12:30:00.000Z', BEFORE_REVOCATION);
    const revoked = await revoke('ben');
    assert.equal(revoked.status, 204, revoked.text);
    assert.equal(revoked.text, '');
    await expectAnswers('after the revocation', AFTER_REVOCATION);

    // No longer listed: nothing to revoke.
    const again = await revoke('ben');
    expectJson(again, 404, { message: `Licensed user with ID ${USERS.ben.id}:${ZERO_GUID} was not found.` }, 'revoke again');
  });

  test('(6) the VB365 license expiry: Valid at expirationDate, Expired one millisecond after', async () => {
    await at('2026-11-19T23:59:59.999Z', AT_EXPIRY);
    await at(VB365_EXPIRES, AT_EXPIRY);
    await at('2026-11-20T00:00:00.001Z', EXPIRED);
  });

  test('(7) events dated after the clock change nothing until the clock passes them', async () => {
    await at('2026-11-21T12:00:00.000Z', EXPIRED);
    await ingest([
      backup('ben-4', USERS.ben, '2026-11-22T08:00:00Z'),
      activation('srv3-on', '2026-11-22T08:00:00Z', AGENTS.srv3, 'srv-03', 'server'),
    ]);
    await expectAnswers('just after posting the future events', EXPIRED);
    await at('2026-11-22T07:59:59.999Z', EXPIRED);
    await at('2026-11-22T08:00:00.000Z', AFTER_FUTURE_EVENTS);
  });

  test('the next month boundary: November users consume, November agents are used', async () => {
    await at('2026-11-30T23:59:59.999Z', AFTER_FUTURE_EVENTS);
    await at('2026-12-01T00:00:00.000Z', DECEMBER);
  });

  test('time travel backwards: the answers are a function of now', async () => {
    // Back to the start: the later events (including the revocation, dated 11-17T12:30) are in the future again.
    await at(START, OCTOBER);
    await at('2026-11-01T00:00:00.000Z', NOVEMBER_START);
  });

  test('the same ledger under an Evaluation license of 2: no New, no allowance, the rest Exceeded', async () => {
    const res = await call('PUT', `${server.vspc}/tally/v1/licenses/vb365`, {
      token,
      json: { type: 'Evaluation', totalNumber: 2, expirationDate: '2027-01-31T00:00:00Z' },
    });
    assert.equal(res.status, 200, res.text);
    await at('2026-12-01T00:00:00.000Z', EVALUATION_DECEMBER);
    await at(START, EVALUATION_OCTOBER);
  });

  test('no request of the scenario answered 5xx', () => {
    assert.deepEqual(seenStatuses.filter((s) => s.status >= 500), []);
  });
});
