/** Resellers, companies, organizations and the two licenses: upserts and lookups. */
import type { Kysely } from 'kysely';
import type { Database, OrganizationRow } from './schema.js';
import type { OrganizationRegion, OrganizationType } from '../domain/organizations.js';

/** Number of rows in a table. */
export async function countRows(db: Kysely<Database>, table: keyof Database): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export interface Reseller {
  uid: string;
  name: string;
}

export interface Company {
  uid: string;
  name: string;
  resellerUid: string | null;
  tenantUid: string | null;
}

export { ORGANIZATION_REGIONS, ORGANIZATION_TYPES } from '../domain/organizations.js';

export interface Organization {
  id: string;
  name: string;
  officeName: string | null;
  type: OrganizationType;
  region: OrganizationRegion;
  companyUid: string | null;
}

/** A tenant uid that already belongs to another company. */
export class TenantTakenError extends Error {
  constructor(readonly tenantUid: string, readonly companyUid: string) {
    super(`Cloud Connect tenant ${tenantUid} is already mapped to company ${companyUid}`);
  }
}

export async function upsertReseller(db: Kysely<Database>, reseller: Reseller): Promise<void> {
  await db
    .insertInto('resellers')
    .values(reseller)
    .onConflict((oc) => oc.column('uid').doUpdateSet({ name: reseller.name }))
    .execute();
}

export async function listResellers(db: Kysely<Database>): Promise<Reseller[]> {
  return db.selectFrom('resellers').selectAll().orderBy('uid').execute();
}

export async function getReseller(db: Kysely<Database>, uid: string): Promise<Reseller | undefined> {
  return db.selectFrom('resellers').selectAll().where('uid', '=', uid).executeTakeFirst();
}

export async function upsertCompany(db: Kysely<Database>, company: Company): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (company.tenantUid) {
      const holder = await trx
        .selectFrom('companies')
        .select('uid')
        .where('tenant_uid', '=', company.tenantUid)
        .where('uid', '!=', company.uid)
        .executeTakeFirst();
      if (holder) throw new TenantTakenError(company.tenantUid, holder.uid);
    }
    const row = {
      uid: company.uid,
      name: company.name,
      reseller_uid: company.resellerUid,
      tenant_uid: company.tenantUid,
    };
    try {
      await trx
        .insertInto('companies')
        .values(row)
        .onConflict((oc) => oc.column('uid').doUpdateSet({ name: row.name, reseller_uid: row.reseller_uid, tenant_uid: row.tenant_uid }))
        .execute();
    } catch (error) {
      // Another request mapped the same tenant between the check above and this write.
      if (company.tenantUid && isUniqueViolation(error)) throw new TenantTakenError(company.tenantUid, 'another company');
      throw error;
    }
  });
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function toCompany(row: Database['companies']): Company {
  return { uid: row.uid, name: row.name, resellerUid: row.reseller_uid, tenantUid: row.tenant_uid };
}

export async function listCompanies(db: Kysely<Database>): Promise<Company[]> {
  return (await db.selectFrom('companies').selectAll().orderBy('uid').execute()).map(toCompany);
}

export async function getCompany(db: Kysely<Database>, uid: string): Promise<Company | undefined> {
  const row = await db.selectFrom('companies').selectAll().where('uid', '=', uid).executeTakeFirst();
  return row && toCompany(row);
}

export async function getCompanyByTenant(db: Kysely<Database>, tenantUid: string): Promise<Company | undefined> {
  const row = await db.selectFrom('companies').selectAll().where('tenant_uid', '=', tenantUid).executeTakeFirst();
  return row && toCompany(row);
}

function toOrganization(row: OrganizationRow): Organization {
  return {
    id: row.id,
    name: row.name,
    officeName: row.office_name,
    type: row.type as Organization['type'],
    region: row.region as Organization['region'],
    companyUid: row.company_uid,
  };
}

export async function upsertOrganization(db: Kysely<Database>, org: Organization): Promise<void> {
  const row: OrganizationRow = {
    id: org.id,
    name: org.name,
    office_name: org.officeName,
    type: org.type,
    region: org.region,
    company_uid: org.companyUid,
  };
  await db
    .insertInto('organizations')
    .values(row)
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        name: row.name,
        office_name: row.office_name,
        type: row.type,
        region: row.region,
        company_uid: row.company_uid,
      }),
    )
    .execute();
}

export async function listOrganizations(db: Kysely<Database>): Promise<Organization[]> {
  return (await db.selectFrom('organizations').selectAll().orderBy('name').orderBy('id').execute()).map(toOrganization);
}

export async function getOrganization(db: Kysely<Database>, id: string): Promise<Organization | undefined> {
  const row = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toOrganization(row);
}

/**
 * When an organization was first and last backed up, up to `now` (any object, counting or not:
 * `firstBackuptime`/`lastBackuptime` describe the organization's backups, not its licenses).
 */
export async function organizationBackupTimes(
  db: Kysely<Database>,
  id: string,
  now: number,
): Promise<{ first: number | null; last: number | null }> {
  const backups = (fn: 'min' | 'max') =>
    db
      .selectFrom('events')
      .select((eb) => eb.fn[fn]<number>('at').as('at'))
      .where('scope_id', '=', id)
      .where('type', '=', 'vb365.backup')
      .where('at', '<=', now);
  const row = await db
    .selectNoFrom((eb) => [backups('min').as('first'), backups('max').as('last')])
    .executeTakeFirst();
  return {
    first: row?.first == null ? null : Number(row.first),
    last: row?.last == null ? null : Number(row.last),
  };
}

export async function putLicenseTerms(db: Kysely<Database>, product: 'vb365' | 'vspc', terms: unknown): Promise<void> {
  const text = JSON.stringify(terms);
  await db
    .insertInto('licenses')
    .values({ product, terms: text })
    .onConflict((oc) => oc.column('product').doUpdateSet({ terms: text }))
    .execute();
}

export async function getLicenseTerms(db: Kysely<Database>, product: 'vb365' | 'vspc'): Promise<unknown | undefined> {
  const row = await db.selectFrom('licenses').select('terms').where('product', '=', product).executeTakeFirst();
  return row ? JSON.parse(row.terms) : undefined;
}

export async function deleteLicense(db: Kysely<Database>, product: 'vb365' | 'vspc'): Promise<boolean> {
  const result = await db.deleteFrom('licenses').where('product', '=', product).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Removes a reseller; true when it existed. The caller checks what still refers to it. */
export async function deleteReseller(db: Kysely<Database>, uid: string): Promise<boolean> {
  const result = await db.deleteFrom('resellers').where('uid', '=', uid).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Removes a company; true when it existed. The caller checks what still refers to it. */
export async function deleteCompany(db: Kysely<Database>, uid: string): Promise<boolean> {
  const result = await db.deleteFrom('companies').where('uid', '=', uid).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Removes an organization; true when it existed. The caller checks what still refers to it. */
export async function deleteOrganization(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The companies of a reseller, by uid. */
export async function companiesOfReseller(db: Kysely<Database>, resellerUid: string): Promise<Company[]> {
  return (await db.selectFrom('companies').selectAll().where('reseller_uid', '=', resellerUid).orderBy('uid').execute()).map(toCompany);
}

/** The organizations mapped to a company. */
export async function organizationsOfCompany(db: Kysely<Database>, companyUid: string): Promise<Organization[]> {
  return (await db.selectFrom('organizations').selectAll().where('company_uid', '=', companyUid).orderBy('id').execute()).map(toOrganization);
}
