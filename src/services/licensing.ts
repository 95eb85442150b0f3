/**
 * The questions the faces ask, answered from the store at the clock's `now`.
 *
 * The common case is answered by counting in indexed read models (no row per user or agent is
 * loaded); the engine's rules decide what is counted. When the ledger holds events dated after
 * `now` (time travel, late clocks), the users and agents they touch are replayed by the engine
 * from their own events. A property test checks both paths against a plain recomputation.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { COMMUNITY_LICENSE, type Vb365License, type VspcLicense } from '../domain/licenses.js';
import {
  classifyUsers, exceedAllowance, licensedUnits, organizationLicensingInformation, RETENTION_WINDOW_MS,
  type OrganizationLicensingInformation,
} from '../domain/vb365.js';
import {
  agentStateAt, bucketAgents, countersFromBuckets, emptyBuckets, newAgentsSince, type AgentBuckets, type AgentState, type ConsoleLicenseCounter,
} from '../domain/vspc.js';
import { agentBucketsByCompany } from '../store/agentCounts.js';
import type { Vb365LicenseBody, VspcLicenseBody } from '../schemas/admin.js';
import type { Dialect } from '../store/dialect.js';
import { getCompanyByTenant, getLicenseTerms, type Company } from '../store/entities.js';
import {
  agentBucketsOfCompany, agentEvents, consumingInOrganizationUpTo, consumingUserAtRank, hasBackupsAfter, vb365ActivitiesInWindow, vb365Counts,
  vb365InstallationCounts,
} from '../store/readModels.js';
import type { Database } from '../store/schema.js';
import { startOfMonth } from '../time.js';
import { toVb365License, toVspcLicense } from './licenses.js';

export interface CompanyConsoleLicenseUsage {
  companyUid: string;
  tenantUid: string | null;
  counters: ConsoleLicenseCounter[];
}

export class LicensingService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    readonly timeZone: string,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  async vb365License() {
    const terms = (await getLicenseTerms(this.db, 'vb365')) as Vb365LicenseBody | undefined;
    return terms ? toVb365License(terms) : null;
  }

  async vspcLicense() {
    const terms = (await getLicenseTerms(this.db, 'vspc')) as VspcLicenseBody | undefined;
    return terms ? toVspcLicense(terms) : null;
  }

  /** `GET /v6/Organizations/{id}/LicensingInformation` for an organization known to exist. */
  async organizationLicensingInformation(organizationId: string): Promise<OrganizationLicensingInformation> {
    const now = await this.clock.now();
    const license = await this.vb365License();
    if (await hasBackupsAfter(this.db, now)) {
      // Exact path: every user that may hold a unit, recomputed where its history reaches past now.
      const activities = await vb365ActivitiesInWindow(this.db, now);
      return organizationLicensingInformation(classifyUsers(activities, license, now, this.timeZone), organizationId);
    }
    const terms = license ?? COMMUNITY_LICENSE;
    const window = this.consumptionWindow(terms, now);
    const counts = await vb365Counts(this.db, window, organizationId);
    // Licensed + TemporarilyAssigned are the first `limit` consuming users of the installation.
    const limit = licensedUnits(terms) + exceedAllowance(terms, now, this.timeZone);
    let licensedUsers = counts.consumingInOrganization;
    if (counts.consumingInstallation > limit) {
      const last = limit > 0 ? await consumingUserAtRank(this.db, this.dialect, window, limit - 1) : undefined;
      licensedUsers = last ? await consumingInOrganizationUpTo(this.db, this.dialect, window, organizationId, last) : 0;
    }
    return { licensedUsers, newUsers: counts.newUsers };
  }

  /**
   * Installation-wide usage for `GET /v6/License`: `usedNumber` = users holding a unit (Licensed +
   * TemporarilyAssigned), `newNumber` = New users (Rental).
   */
  async vb365LicenseUsage(now: number, license: Vb365License | null): Promise<{ usedNumber: number; newNumber: number }> {
    if (await hasBackupsAfter(this.db, now)) {
      const classified = classifyUsers(await vb365ActivitiesInWindow(this.db, now), license, now, this.timeZone);
      return {
        usedNumber: classified.filter((u) => u.state === 'Licensed' || u.state === 'TemporarilyAssigned').length,
        newNumber: classified.filter((u) => u.state === 'New').length,
      };
    }
    const terms = license ?? COMMUNITY_LICENSE;
    const counts = await vb365InstallationCounts(this.db, this.consumptionWindow(terms, now));
    const limit = licensedUnits(terms) + exceedAllowance(terms, now, this.timeZone);
    return { usedNumber: Math.min(counts.consuming, limit), newNumber: counts.newUsers };
  }

  private consumptionWindow(terms: Vb365License, now: number) {
    return {
      windowStart: now - RETENTION_WINDOW_MS,
      newSince: terms.type === 'Rental' ? startOfMonth(now, this.timeZone) : null,
    };
  }

  /** The console counters of a company's agents at `now`. */
  async companyCounters(companyUid: string, now: number): Promise<ConsoleLicenseCounter[]> {
    const license = await this.vspcLicense();
    const { buckets, replay } = await agentBucketsOfCompany(this.db, companyUid, now, newAgentsSince(license, now, this.timeZone));
    if (replay.length > 0) {
      const replayed: AgentState[] = [];
      for (const [agentUid, events] of await agentEvents(this.db, replay)) {
        const state = agentStateAt(agentUid, events, now);
        if (state && state.companyUid === companyUid) replayed.push(state);
      }
      bucketAgents(replayed, license, now, this.timeZone, buckets);
    }
    return countersFromBuckets(buckets, license);
  }

  /**
   * Every company's managed agents at `now` (companies without agents are absent), for the
   * console usage family: one GROUP BY, plus a replay of the agents with events after `now`.
   */
  async agentBucketsOfAllCompanies(now: number, license: VspcLicense | null): Promise<Map<string, AgentBuckets>> {
    const { byCompany, replay } = await agentBucketsByCompany(this.db, now, newAgentsSince(license, now, this.timeZone));
    if (replay.length > 0) {
      for (const [agentUid, events] of await agentEvents(this.db, replay)) {
        const state = agentStateAt(agentUid, events, now);
        if (!state) continue;
        const buckets = byCompany.get(state.companyUid) ?? emptyBuckets();
        bucketAgents([state], license, now, this.timeZone, buckets);
        byCompany.set(state.companyUid, buckets);
      }
    }
    return byCompany;
  }

  /**
   * `GET /api/v3/licensing/console/usage/companies/vcc/{tenantUid}`; null for an unknown tenant
   * or one the caller may not see.
   */
  async consoleUsageByTenant(tenantUid: string, visible: (company: Company) => boolean = () => true): Promise<CompanyConsoleLicenseUsage | null> {
    const company = await getCompanyByTenant(this.db, tenantUid);
    if (!company || !visible(company)) return null;
    const now = await this.clock.now();
    return { companyUid: company.uid, tenantUid: company.tenantUid, counters: await this.companyCounters(company.uid, now) };
  }
}
