/**
 * The VSPC console license and the console-usage family (`/licensing/console…`), as operations:
 * the license as installed, and usage counted by the VSPC pool, limited to the companies the
 * caller may see (services/scope.ts). Rendering (enum spelling, envelopes) is the face's.
 */
import type { VspcLicense } from '../../domain/licenses.js';
import { countersFromBuckets, emptyBuckets, sumBuckets, type ConsoleLicenseCounter } from '../../domain/vspc.js';
import type { VspcLicenseBody } from '../../schemas/admin.js';
import { getCompany, getLicenseTerms, listCompanies, type Company } from '../../store/entities.js';
import type { Generations } from '../../store/generation.js';
import { formatInstant, parseRfc3339 } from '../../time.js';
import { hasAnyRole } from '../auth.js';
import type { Caller } from '../caller.js';
import type { ServiceContext } from '../context.js';
import { NotFound } from '../errors.js';
import { toVspcLicense } from '../licenses.js';
import { companyVisibleTo } from '../scope.js';
import { companyCountersFromPool, consoleLicenseStatus, type AgentPool } from '../vspcPool.js';
import { scopeRefusal } from '../audit.js';

export interface CompanyUsage {
  companyUid: string;
  tenantUid: string | null;
  counters: ConsoleLicenseCounter[];
}

const iso = (text: string | undefined) => {
  const at = text ? parseRfc3339(text) : null;
  return at === null ? null : formatInstant(at);
};

/** The pool at `now` with `license` applied, from the VSPC pool service (cached). */
async function poolAt(ctx: ServiceContext, now: number, license: VspcLicense | null, known?: Generations): Promise<AgentPool> {
  const generations = await ctx.licensing.installation.generations(known);
  return (await ctx.licensing.vspc.pool({ now, license, generations })).value;
}

async function terms(ctx: ServiceContext): Promise<VspcLicenseBody | undefined> {
  return (await getLicenseTerms(ctx.store.db, 'vspc')) as VspcLicenseBody | undefined;
}

/** `GET /licensing/console`: the license file as installed, and its status at `now`. */
export async function consoleLicense(ctx: ServiceContext, _caller: Caller) {
  const body = await terms(ctx);
  const now = await ctx.clock.now();
  const license = body ? toVspcLicense(body) : null;
  const { status, statusMessage } = await consoleLicenseStatus(now, license, () => poolAt(ctx, now, license));
  return {
    licenseId: body?.licenseId ?? '',
    edition: body?.edition ?? '',
    package: body?.package ?? 'None',
    licenseeCompany: body?.licenseeCompany ?? '',
    licenseeEmail: body?.licenseeEmail ?? '',
    licenseeAdministratorEmail: body?.licenseeAdministratorEmail ?? '',
    contactPerson: body?.contactPerson ?? '',
    expirationDate: iso(body?.expirationDate),
    supportExpirationDate: iso(body?.supportExpirationDate),
    supportId: body?.supportId ?? '',
    status,
    statusMessage: statusMessage ?? '',
    cloudConnect: body?.cloudConnect ?? 'No',
    instances: body?.units ?? 0,
    type: body?.type ?? 'NotInstalled',
    lastUpdateDate: null,
    lastUpdateMessage: '',
    lastUpdateStatus: 'Unknown',
  };
}

/** `GET /licensing/console/settings`. */
export async function consoleSettings(ctx: ServiceContext, _caller: Caller): Promise<{ isAutoUpdateEnabled: boolean }> {
  return { isAutoUpdateEnabled: (await terms(ctx))?.autoUpdate ?? false };
}

/**
 * `GET /licensing/console/usage`: the installation's counters as the caller sees them. Portal
 * administrators see every agent (also of companies not registered); others their companies'.
 */
export async function consoleUsage(ctx: ServiceContext, caller: Caller) {
  const now = await ctx.clock.now();
  const body = await terms(ctx);
  const license = body ? toVspcLicense(body) : null;
  const [companies, pool] = await Promise.all([listCompanies(ctx.store.db), poolAt(ctx, now, license)]);
  const all = hasAnyRole(caller.principal, ['PortalAdministrator']);
  const visible = companies.filter((c) => companyVisibleTo(caller.principal, c)).map((c) => pool.byCompany.get(c.uid) ?? emptyBuckets());
  const counters = countersFromBuckets(sumBuckets(all ? pool.byCompany.values() : visible), license);
  const sum = (pick: (c: ConsoleLicenseCounter) => number) => counters.reduce((n, c) => n + pick(c), 0);
  return {
    unitType: counters[0]!.unitType,
    usedUnits: sum((c) => c.usedUnits),
    usedCount: sum((c) => c.usedCount),
    newUnits: sum((c) => c.newUnits),
    newCount: sum((c) => c.newCount),
    // What the license makes available: nothing once its expiry grace is over.
    licensedUnits: pool.lapsed ? 0 : (body?.units ?? 0),
    counters,
  };
}

/** `GET /licensing/console/usage/companies`: every visible company's counters. */
export async function companiesUsage(ctx: ServiceContext, caller: Caller): Promise<CompanyUsage[]> {
  const now = await ctx.clock.now();
  const license = await ctx.licensing.installation.vspcLicense();
  const [all, pool] = await Promise.all([listCompanies(ctx.store.db), poolAt(ctx, now, license)]);
  return all
    .filter((c) => companyVisibleTo(caller.principal, c))
    .map((company) => usageOf(company, countersFromBuckets(pool.byCompany.get(company.uid) ?? emptyBuckets(), license)));
}

/** `GET /licensing/console/usage/companies/{companyUid}`; NotFound for a missing or foreign company. */
export async function companyUsage(ctx: ServiceContext, caller: Caller, companyUid: string): Promise<CompanyUsage> {
  const company = await getCompany(ctx.store.db, companyUid.toLowerCase());
  const missing = new NotFound(`Company with UID ${companyUid} does not exist.`);
  if (!company) throw missing;
  if (!companyVisibleTo(caller.principal, company)) throw await scopeRefusal(ctx.store.db, caller, `company/${company.uid}`, missing);
  const license = await ctx.licensing.installation.vspcLicense();
  return usageOf(company, companyCountersFromPool(await poolAt(ctx, await ctx.clock.now(), license), company.uid, license));
}

/**
 * `GET /licensing/console/usage/companies/vcc/{tenantUid}`; NotFound for a missing or foreign
 * tenant. `generations`: what the request read when it was authenticated (the cache around the
 * pool is checked against them).
 */
export async function tenantUsage(
  ctx: ServiceContext,
  caller: Caller,
  tenantUid: string,
  generations?: Generations,
): Promise<CompanyUsage> {
  const known = await ctx.licensing.installation.generations(generations);
  const company = await ctx.licensing.installation.companyByTenant(tenantUid.toLowerCase(), known);
  const missing = new NotFound(`Tenant with UID ${tenantUid} does not exist.`);
  if (!company) throw missing;
  if (!companyVisibleTo(caller.principal, company)) throw await scopeRefusal(ctx.store.db, caller, `company/${company.uid}`, missing);
  const now = await ctx.clock.now(known.config);
  const license = await ctx.licensing.installation.vspcLicense(known);
  return usageOf(company, companyCountersFromPool(await poolAt(ctx, now, license, known), company.uid, license));
}

function usageOf(company: Company, counters: ConsoleLicenseCounter[]): CompanyUsage {
  return { companyUid: company.uid, tenantUid: company.tenantUid, counters };
}
