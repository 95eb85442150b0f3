/**
 * The admin operations enforce scope themselves, whatever face calls them: a confined caller reads
 * only its own objects (a foreign one is NotFound, like a missing one) and changes nothing.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AccountOperations } from '../../src/services/admin/accounts.js';
import { EntityOperations } from '../../src/services/admin/entities.js';
import type { Principal, Role } from '../../src/services/auth.js';
import type { Caller } from '../../src/services/caller.js';
import { Forbidden, NotFound } from '../../src/services/errors.js';
import { adminPut, startTestApp, type TestApp } from '../support/harness.js';

const NORTHWIND = '0b000000-0000-4000-8000-0000000c0001';
const CONTOSO = '0b000000-0000-4000-8000-0000000c0002';
const ALPINE = '0c000000-0000-4000-8000-0000000c0001';
const CEDAR = '0c000000-0000-4000-8000-0000000c0002';
const ORG = '0a000000-0000-4000-8000-0000000c0001';

const caller = (roles: Role[], scopeUid: string | null): Caller => ({
  principal: { username: 'someone', uid: '0d000000-0000-4000-8000-0000000c0001', roles, scopeUid, readOnly: false, credential: { kind: 'token', familyId: null } } satisfies Principal,
});

let app: TestApp;
before(async () => {
  app = await startTestApp({ clock: '2026-11-23T12:00:00Z' });
  await adminPut(app, `/tally/v1/resellers/${NORTHWIND}`, { name: 'Northwind' });
  await adminPut(app, `/tally/v1/resellers/${CONTOSO}`, { name: 'Contoso' });
  await adminPut(app, `/tally/v1/companies/${ALPINE}`, { name: 'Alpine', resellerUid: NORTHWIND });
  await adminPut(app, `/tally/v1/companies/${CEDAR}`, { name: 'Cedar', resellerUid: CONTOSO });
  await adminPut(app, `/tally/v1/organizations/${ORG}`, { name: 'cedar.onmicrosoft.com', companyUid: CEDAR });
});
after(() => app.close());

test('a reseller-confined caller reads its reseller\'s objects; a foreign one is NotFound, like a missing one', async () => {
  const entities = new EntityOperations(app.ctx);
  const northwind = caller(['ServiceProviderAdministrator'], NORTHWIND);
  assert.deepEqual((await entities.listCompanies(northwind)).map((c) => c.uid), [ALPINE]);
  assert.deepEqual((await entities.listResellers(northwind)).map((r) => r.uid), [NORTHWIND]);
  assert.deepEqual(await entities.listOrganizations(northwind), []);
  await assert.rejects(entities.getCompany(northwind, CEDAR), NotFound);
  await assert.rejects(entities.getOrganization(northwind, ORG), NotFound);
  await assert.rejects(entities.companyWorkloads(northwind, CEDAR), NotFound);
  const contoso = caller(['CompanyOwner'], CEDAR);
  assert.equal((await entities.getOrganization(contoso, ORG)).id, ORG);
});

test('a confined caller changes no entity, license or account (Forbidden), even with a role the face admits', async () => {
  const entities = new EntityOperations(app.ctx);
  const accounts = new AccountOperations(app.ctx);
  const confined = caller(['ReadOnlyUser'], NORTHWIND);
  await assert.rejects(entities.putCompany(confined, ALPINE, { name: 'Mine now' }), Forbidden);
  await assert.rejects(entities.deleteReseller(confined, CONTOSO), Forbidden);
  await assert.rejects(entities.putLicense(confined, 'vspc', { type: 'Rental', units: 1, expirationDate: '2027-01-01T00:00:00Z' }), Forbidden);
  await assert.rejects(accounts.put(confined, 'widened', { password: 'a-long-password', roles: ['ReadOnlyUser'] }), Forbidden);
  await assert.rejects(accounts.list(confined), Forbidden);
  assert.equal((await entities.getCompany(caller(['PortalAdministrator'], null), ALPINE)).name, 'Alpine');
});
