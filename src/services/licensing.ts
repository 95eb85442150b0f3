/**
 * The licensing services of one installation, wired together: the configuration they read
 * (installation.ts), VB365 usage (vb365Usage.ts) and the VSPC pool (vspcPool.ts), each behind the
 * answer cache (answerCache.ts). This file holds no rule and no query: it picks the instant and
 * the license for a question and hands it to the family that answers it.
 *
 * The methods below the families are the questions the faces asked before the split; they stay
 * so that call sites need not change, and each is one line over a family.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Vb365License, VspcLicense } from '../domain/licenses.js';
import type { OrganizationLicensingInformation } from '../domain/vb365.js';
import type { ConsoleLicenseCounter } from '../domain/vspc.js';
import type { Dialect } from '../store/dialect.js';
import type { Company, Organization } from '../store/entities.js';
import type { Generations } from '../store/generation.js';
import type { LedgerChange } from '../store/ledger.js';
import type { Database } from '../store/schema.js';
import { AnswerCache, CachedVb365Usage, CachedVspcPool } from './answerCache.js';
import { InstallationConfig } from './installation.js';
import { Vb365Usage, type Vb365LicenseUsage, type Vb365UsageAnswers } from './vb365Usage.js';
import { companyCountersFromPool, consoleLicenseStatus, VspcPool, type AgentPool, type ConsoleLicenseStatus, type VspcPoolAnswers } from './vspcPool.js';

export type { AgentPool } from './vspcPool.js';

export interface CompanyConsoleLicenseUsage {
  companyUid: string;
  tenantUid: string | null;
  counters: ConsoleLicenseCounter[];
}

export class LicensingService {
  /** Answers kept per process until the ledger, the license or time moves them. */
  readonly cache = new AnswerCache();
  readonly installation: InstallationConfig;
  /** VB365 usage, cached. */
  readonly vb365: Vb365UsageAnswers;
  /** The VSPC pool, cached. */
  readonly vspc: VspcPoolAnswers;
  /** The uncached VB365 usage service (its user activities feed the licensed-user list). */
  readonly vb365Usage: Vb365Usage;

  constructor(
    db: Kysely<Database>,
    private readonly clock: Clock,
    readonly timeZone: string,
    dialect: Dialect = 'sqlite',
  ) {
    this.installation = new InstallationConfig(db);
    this.vb365Usage = new Vb365Usage(db, this.installation, timeZone, dialect);
    this.vb365 = new CachedVb365Usage(this.vb365Usage, this.cache);
    this.vspc = new CachedVspcPool(new VspcPool(db, timeZone, dialect), this.cache);
  }

  /**
   * This process committed a batch (`change`): the answers of the family its events cannot change
   * are kept. VB365 answers read only VB365 events and the VSPC pool only VSPC events (separate
   * read models), so a batch of one product's events leaves the other's answers as they were.
   * Within a family every answer is recomputed: an organization's answer depends on the whole
   * installation's FIFO ranking when it is over its license, and every company's counters on the
   * one pool. Commits made elsewhere (another node, `tally import`) are not known in detail and
   * recompute everything.
   */
  ledgerAdvanced(change: LedgerChange): void {
    this.cache.advance(change.before, change.after, (key) =>
      key.startsWith('vb365:') ? !change.vb365 : key.startsWith('vspc:') ? !change.vspc : false,
    );
  }

  organization(id: string, known?: Generations): Promise<Organization | undefined> {
    return this.installation.organization(id, known);
  }

  vb365License(now?: number, known?: Generations) {
    return this.installation.vb365License(now, known);
  }

  vspcLicense(known?: Generations) {
    return this.installation.vspcLicense(known);
  }

  /** `GET /v6/Organizations/{id}/LicensingInformation` for an organization known to exist, at the clock's now. */
  async organizationLicensingInformation(organizationId: string, known?: Generations): Promise<OrganizationLicensingInformation> {
    const generations = await this.installation.generations(known);
    const now = await this.clock.now(generations.config);
    const license = await this.installation.vb365License(now, generations);
    return (await this.vb365.organizationUsage(organizationId, { now, license, generations })).value;
  }

  /** Installation-wide usage for `GET /v6/License`. */
  async vb365LicenseUsage(now: number, license: Vb365License | null, known?: Generations): Promise<Vb365LicenseUsage> {
    const generations = await this.installation.generations(known);
    return (await this.vb365.installationUsage({ now, license, generations })).value;
  }

  /** Every company's managed agents at `now` with the license applied. */
  async agentPool(now: number, license: VspcLicense | null, known?: Generations): Promise<AgentPool> {
    const generations = await this.installation.generations(known);
    return (await this.vspc.pool({ now, license, generations })).value;
  }

  /** The console counters of a company's agents at `now`, from the pool. */
  async companyCounters(companyUid: string, now: number, known?: Generations): Promise<ConsoleLicenseCounter[]> {
    const generations = await this.installation.generations(known);
    const license = await this.installation.vspcLicense(generations);
    return companyCountersFromPool(await this.agentPool(now, license, generations), companyUid, license);
  }

  /** `status` and `statusMessage` of `GET /api/v3/licensing/console`. */
  vspcLicenseStatus(now: number, license: VspcLicense | null): Promise<ConsoleLicenseStatus> {
    return consoleLicenseStatus(now, license, () => this.agentPool(now, license));
  }

  /**
   * `GET /api/v3/licensing/console/usage/companies/vcc/{tenantUid}`; null for an unknown tenant
   * or one the caller may not see.
   */
  async consoleUsageByTenant(
    tenantUid: string,
    visible: (company: Company) => boolean = () => true,
    known?: Generations,
  ): Promise<CompanyConsoleLicenseUsage | null> {
    const generations = await this.installation.generations(known);
    const company = await this.installation.companyByTenant(tenantUid, generations);
    if (!company || !visible(company)) return null;
    const now = await this.clock.now(generations.config);
    return { companyUid: company.uid, tenantUid: company.tenantUid, counters: await this.companyCounters(company.uid, now, generations) };
  }
}
