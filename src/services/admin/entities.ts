/**
 * Operations on resellers, companies, organizations and the two licenses (the admin API). Each
 * takes who asks and its input and answers a result or a domain error (services/errors.ts); every
 * change is recorded in the audit log in the change's own transaction where the store lets it.
 *
 * Scope (services/scope.ts): reads leave out, and answer as missing, what lies outside the
 * caller's scope; changes need an unconfined caller (the admin API admits Portal Administrators
 * only, who cannot be confined).
 *
 * Referential rules (docs/api.md):
 * - a company's `resellerUid` must name a reseller, an organization's `companyUid` a company
 *   (409 Conflict otherwise, naming the uid);
 * - a reseller is deleted only when no company belongs to it and no account is confined to it;
 * - a company only when no agent is managed by it at `now`, no organization is mapped to it and
 *   no account is confined to it;
 * - an organization only when none of its VB365 users holds or waits for a unit at `now`.
 *   Deletes are refused (409), never cascaded: the caller sees what still counts
 *   (`GET …/workloads`) and moves or removes it first. The ledger keeps every event.
 */
import type { Kysely } from 'kysely';
import type { CompanyBody, OrganizationBody, ResellerBody, Vb365LicenseBody, VspcLicenseBody } from '../../schemas/admin.js';
import { accountsScopedTo } from '../../store/accounts.js';
import {
  companiesOfReseller, deleteCompany, deleteLicense, deleteOrganization, deleteReseller, getCompany, getLicenseTerms, getOrganization,
  getReseller, listCompanies, listOrganizations, listResellers, organizationsOfCompany, putLicenseTerms, TenantTakenError, upsertCompany,
  upsertOrganization, upsertReseller, type Company, type Organization, type Reseller,
} from '../../store/entities.js';
import type { Database } from '../../store/schema.js';
import { formatInstant } from '../../time.js';
import * as audit from '../audit.js';
import type { Caller } from '../caller.js';
import type { ServiceContext } from '../context.js';
import { companyFromBody, organizationFromBody } from '../entities.js';
import { Conflict, Forbidden, NotFound } from '../errors.js';
import { companyVisibleTo, organizationVisibleTo, resellerVisibleTo as resellerOfScopeVisibleTo, unconfined } from '../scope.js';
import { agentsOf, usersOf, type AgentWorkload, type UserWorkload } from './workloads.js';
import { scopeRefusal } from '../audit.js';

export type { Company, Organization, Reseller };
export type Product = 'vb365' | 'vspc';

function mustChange(caller: Caller): void {
  if (!unconfined(caller.principal)) throw new Forbidden('An account confined to a scope cannot change resellers, companies, organizations or licenses.');
}

const missingReseller = (uid: string) => new NotFound(`Reseller ${uid} does not exist.`);
const missingCompany = (uid: string) => new NotFound(`Company ${uid} does not exist.`);
const missingOrganization = (id: string) => new NotFound(`Organization ${id} does not exist.`);

function resellerVisibleTo(caller: Caller, reseller: Reseller): boolean {
  return resellerOfScopeVisibleTo(caller.principal, reseller.uid);
}

export class EntityOperations {
  constructor(private readonly ctx: ServiceContext) {}

  private get db(): Kysely<Database> {
    return this.ctx.store.db;
  }

  // -- resellers -------------------------------------------------------------------------------

  async listResellers(caller: Caller): Promise<Reseller[]> {
    return (await listResellers(this.db)).filter((r) => resellerVisibleTo(caller, r));
  }

  async getReseller(caller: Caller, uid: string): Promise<Reseller> {
    const found = await getReseller(this.db, uid.toLowerCase());
    if (!found) throw missingReseller(uid);
    if (!resellerVisibleTo(caller, found)) throw await scopeRefusal(this.db, caller, `reseller/${found.uid}`, missingReseller(uid));
    return found;
  }

  async putReseller(caller: Caller, uid: string, body: ResellerBody): Promise<Reseller> {
    mustChange(caller);
    const reseller = { uid: uid.toLowerCase(), name: body.name };
    await this.db.transaction().execute(async (trx) => {
      await upsertReseller(trx, reseller);
      await audit.record(trx, caller, { action: 'reseller.upsert', target: `reseller/${reseller.uid}`, details: { name: reseller.name } });
    });
    return reseller;
  }

  async deleteReseller(caller: Caller, rawUid: string): Promise<void> {
    mustChange(caller);
    const uid = rawUid.toLowerCase();
    await this.db.transaction().execute(async (trx) => {
      const reseller = await getReseller(trx, uid);
      if (!reseller) throw missingReseller(rawUid);
      const companies = await companiesOfReseller(trx, uid);
      const accounts = await accountsScopedTo(trx, uid);
      if (companies.length > 0 || accounts.length > 0) {
        throw new Conflict(`Reseller ${rawUid} still has ${describe([[companies.length, 'company', 'companies'], [accounts.length, 'account confined to it', 'accounts confined to it']])}; move or delete them first.`);
      }
      await deleteReseller(trx, uid);
      await audit.record(trx, caller, { action: 'reseller.delete', target: `reseller/${uid}`, details: { name: reseller.name } });
    });
  }

  // -- companies -------------------------------------------------------------------------------

  async listCompanies(caller: Caller): Promise<Company[]> {
    return (await listCompanies(this.db)).filter((c) => companyVisibleTo(caller.principal, c));
  }

  async getCompany(caller: Caller, uid: string): Promise<Company> {
    const found = await getCompany(this.db, uid.toLowerCase());
    if (!found) throw missingCompany(uid);
    if (!companyVisibleTo(caller.principal, found)) throw await scopeRefusal(this.db, caller, `company/${found.uid}`, missingCompany(uid));
    return found;
  }

  async putCompany(caller: Caller, uid: string, body: CompanyBody): Promise<Company> {
    mustChange(caller);
    const company = companyFromBody(uid, body);
    if (company.resellerUid !== null && !(await getReseller(this.db, company.resellerUid))) {
      throw new Conflict(`Reseller ${body.resellerUid} does not exist: create it (PUT /tally/v1/resellers/${company.resellerUid}) before its companies.`);
    }
    try {
      await upsertCompany(this.db, company);
    } catch (error) {
      if (error instanceof TenantTakenError) throw new Conflict(error.message);
      throw error;
    }
    // upsertCompany commits in its own transaction (its tenant check needs one).
    await audit.recordCommitted(this.db, caller, { action: 'company.upsert', target: `company/${company.uid}`, details: { ...company } });
    return company;
  }

  async deleteCompany(caller: Caller, rawUid: string): Promise<void> {
    mustChange(caller);
    const uid = rawUid.toLowerCase();
    const company = await getCompany(this.db, uid);
    if (!company) throw missingCompany(rawUid);
    const agents = await agentsOf(this.ctx, new Set([uid]), await this.ctx.clock.now());
    await this.db.transaction().execute(async (trx) => {
      if (!(await getCompany(trx, uid))) throw missingCompany(rawUid);
      const organizations = await organizationsOfCompany(trx, uid);
      const accounts = await accountsScopedTo(trx, uid);
      if (agents.length > 0 || organizations.length > 0 || accounts.length > 0) {
        throw new Conflict(`Company ${rawUid} still has ${describe([
          [agents.length, 'managed agent', 'managed agents'],
          [organizations.length, 'organization', 'organizations'],
          [accounts.length, 'account confined to it', 'accounts confined to it'],
        ])}; GET /tally/v1/companies/${uid}/workloads lists what is counted. Deactivate, move or delete them first.`);
      }
      await deleteCompany(trx, uid);
      await audit.record(trx, caller, { action: 'company.delete', target: `company/${uid}`, details: { ...company } });
    });
  }

  async companyWorkloads(caller: Caller, uid: string): Promise<{ companyUid: string; at: string; agents: AgentWorkload[]; users: UserWorkload[] }> {
    const company = await this.getCompany(caller, uid);
    const now = await this.ctx.clock.now();
    const organizations = await organizationsOfCompany(this.db, company.uid);
    const [agents, users] = await Promise.all([
      agentsOf(this.ctx, new Set([company.uid]), now),
      usersOf(this.ctx, new Set(organizations.map((o) => o.id)), now),
    ]);
    return { companyUid: company.uid, at: formatInstant(now), agents, users };
  }

  // -- organizations ---------------------------------------------------------------------------

  private async organizationVisible(caller: Caller, organization: Organization): Promise<boolean> {
    if (unconfined(caller.principal)) return true;
    const company = organization.companyUid ? await getCompany(this.db, organization.companyUid) : undefined;
    return organizationVisibleTo(caller.principal, organization, company);
  }

  async listOrganizations(caller: Caller): Promise<Organization[]> {
    const all = await listOrganizations(this.db);
    if (unconfined(caller.principal)) return all;
    const companies = new Map((await listCompanies(this.db)).map((c) => [c.uid, c]));
    return all.filter((o) => organizationVisibleTo(caller.principal, o, o.companyUid ? companies.get(o.companyUid) : undefined));
  }

  async getOrganization(caller: Caller, id: string): Promise<Organization> {
    const found = await getOrganization(this.db, id.toLowerCase());
    if (!found) throw missingOrganization(id);
    if (!(await this.organizationVisible(caller, found))) throw await scopeRefusal(this.db, caller, `organization/${found.id}`, missingOrganization(id));
    return found;
  }

  async putOrganization(caller: Caller, id: string, body: OrganizationBody): Promise<Organization> {
    mustChange(caller);
    const organization = organizationFromBody(id, body);
    await this.db.transaction().execute(async (trx) => {
      if (organization.companyUid !== null && !(await getCompany(trx, organization.companyUid))) {
        throw new Conflict(`Company ${body.companyUid} does not exist: create it (PUT /tally/v1/companies/${organization.companyUid}) before its organizations.`);
      }
      await upsertOrganization(trx, organization);
      await audit.record(trx, caller, { action: 'organization.upsert', target: `organization/${organization.id}`, details: { ...organization } });
    });
    return organization;
  }

  async deleteOrganization(caller: Caller, rawId: string): Promise<void> {
    mustChange(caller);
    const id = rawId.toLowerCase();
    const organization = await getOrganization(this.db, id);
    if (!organization) throw missingOrganization(rawId);
    const users = await usersOf(this.ctx, new Set([id]), await this.ctx.clock.now());
    if (users.length > 0) {
      throw new Conflict(`Organization ${rawId} still has ${describe([[users.length, 'user who holds or waits for a license', 'users who hold or wait for a license']])}; GET /tally/v1/organizations/${id}/workloads lists them.`);
    }
    await this.db.transaction().execute(async (trx) => {
      if (!(await deleteOrganization(trx, id))) throw missingOrganization(rawId);
      await audit.record(trx, caller, { action: 'organization.delete', target: `organization/${id}`, details: { ...organization } });
    });
  }

  async organizationWorkloads(caller: Caller, id: string): Promise<{ organizationId: string; at: string; users: UserWorkload[] }> {
    const organization = await this.getOrganization(caller, id);
    const now = await this.ctx.clock.now();
    return { organizationId: organization.id, at: formatInstant(now), users: await usersOf(this.ctx, new Set([organization.id]), now) };
  }

  // -- licenses --------------------------------------------------------------------------------

  async getLicense(caller: Caller, product: Product): Promise<Vb365LicenseBody | VspcLicenseBody> {
    mustChange(caller);
    const terms = await getLicenseTerms(this.db, product);
    if (terms === undefined) throw new NotFound(`No ${product} license is installed.`);
    return terms as Vb365LicenseBody | VspcLicenseBody;
  }

  async putLicense<T extends Vb365LicenseBody | VspcLicenseBody>(caller: Caller, product: Product, terms: T): Promise<T> {
    mustChange(caller);
    await this.db.transaction().execute(async (trx) => {
      await putLicenseTerms(trx, product, terms);
      await audit.record(trx, caller, { action: 'license.put', target: `license/${product}`, details: { ...terms } });
    });
    return terms;
  }

  async deleteLicense(caller: Caller, product: Product): Promise<void> {
    mustChange(caller);
    const removed = await this.db.transaction().execute(async (trx) => {
      const done = await deleteLicense(trx, product);
      if (done) await audit.record(trx, caller, { action: 'license.delete', target: `license/${product}` });
      return done;
    });
    if (!removed) throw new NotFound(`No ${product} license is installed.`);
  }
}

/** "2 companies and 1 account confined to it", leaving out what is zero. */
function describe(parts: [number, string, string][]): string {
  return parts.filter(([n]) => n > 0).map(([n, one, many]) => `${n} ${n === 1 ? one : many}`).join(' and ');
}
