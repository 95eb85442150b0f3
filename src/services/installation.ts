/**
 * The installation's configuration as the licensing services read it: the installed licenses,
 * organizations and companies looked up by id, and the instants of stored usage-report sendings.
 * Each is kept while the `config` change counter holds (store/generation.ts), so a request reads
 * the counters once and every lookup after that is a map read. No licensing rule lives here.
 */
import type { Kysely } from 'kysely';
import type { Vb365License, VspcLicense } from '../domain/licenses.js';
import type { Vb365LicenseBody, VspcLicenseBody } from '../schemas/admin.js';
import { getCompanyByTenant, getLicenseTerms, getOrganization, listCompanies, listOrganizations, type Company, type Organization } from '../store/entities.js';
import { GenerationsReader, type Generations } from '../store/generation.js';
import type { Database } from '../store/schema.js';
import { toVb365License, toVspcLicense } from './licenses.js';
import { reportSendingInstants, sendingsAround } from './vb365MonthlyReport.js';
import { VersionedMemo } from './versionedMemo.js';

export class InstallationConfig {
  private readonly memo = new VersionedMemo();
  private readonly reader: GenerationsReader;

  constructor(private readonly db: Kysely<Database>) {
    this.reader = new GenerationsReader(db);
  }

  /** The change counters an answer is checked against: those the request already read, or read now. */
  generations(known?: Generations): Promise<Generations> {
    return known ? Promise.resolve(known) : this.reader.read();
  }

  private installed<T>(product: 'vb365' | 'vspc', generations: Generations, convert: (terms: any) => T): Promise<T | null> {
    return this.memo.get(generations.config, `license:${product}`, async () => {
      const terms = await getLicenseTerms(this.db, product);
      return terms === undefined ? null : convert(terms);
    });
  }

  /**
   * The installed VB365 license. With `now`, a monthly usage report approved (or sent
   * automatically) at or before `now` counts as a usage report sent to Veeam (rule 9's doubled
   * allowance), in addition to the license's own `lastReportSentAt`.
   */
  async vb365License(now?: number, known?: Generations): Promise<Vb365License | null> {
    const generations = await this.generations(known);
    const license = await this.installed('vb365', generations, (terms: Vb365LicenseBody) => toVb365License(terms));
    if (!license) return null;
    // Reports matter only to the doubled allowance, which needs automatic update: otherwise the
    // stored reports are not read.
    if (now === undefined || !license.autoUpdate) return license;
    const sent = sendingsAround(await this.reportSendings(generations), now).last;
    return sent !== null && (license.lastReportSentAt === null || sent > license.lastReportSentAt) ? { ...license, lastReportSentAt: sent } : license;
  }

  async vspcLicense(known?: Generations): Promise<VspcLicense | null> {
    return this.installed('vspc', await this.generations(known), (terms: VspcLicenseBody) => toVspcLicense(terms));
  }

  /** Every instant at which a stored VB365 monthly report was (or will be) sent. */
  async reportSendings(known?: Generations): Promise<number[]> {
    const generations = await this.generations(known);
    return this.memo.get(generations.config, 'reportSendings', () => reportSendingInstants(this.db));
  }

  /** An organization by id (lower case). */
  async organization(id: string, known?: Generations): Promise<Organization | undefined> {
    const generations = await this.generations(known);
    return this.memo.get(generations.config, `organization:${id}`, () => getOrganization(this.db, id));
  }

  /** Every registered organization. */
  async organizations(known?: Generations): Promise<Organization[]> {
    const generations = await this.generations(known);
    return this.memo.get(generations.config, 'organizations', () => listOrganizations(this.db));
  }

  /** Every company, by uid. */
  async companies(known?: Generations): Promise<Map<string, Company>> {
    const generations = await this.generations(known);
    return this.memo.get(generations.config, 'companies', async () => new Map((await listCompanies(this.db)).map((c) => [c.uid, c])));
  }

  /** A company by its VCC tenant uid. */
  async companyByTenant(tenantUid: string, known?: Generations): Promise<Company | undefined> {
    const generations = await this.generations(known);
    return this.memo.get(generations.config, `tenant:${tenantUid}`, () => getCompanyByTenant(this.db, tenantUid));
  }
}
