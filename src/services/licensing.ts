/**
 * The questions the faces ask, answered from the store by the engine at the clock's `now`.
 */
import type { Kysely } from 'kysely';
import { classifyUsers, organizationLicensingInformation, type OrganizationLicensingInformation } from '../domain/vb365.js';
import { agentStateAt, consoleCounters, type AgentState, type ConsoleLicenseCounter } from '../domain/vspc.js';
import type { Clock } from '../clock.js';
import type { Vb365LicenseBody, VspcLicenseBody } from '../http/tally/schemas.js';
import { getCompanyByTenant, getLicenseTerms } from '../store/entities.js';
import { agentEventsOfCompany, vb365ActivitiesInWindow } from '../store/readModels.js';
import type { Database } from '../store/schema.js';
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
    const [license, activities] = await Promise.all([this.vb365License(), vb365ActivitiesInWindow(this.db, now)]);
    return organizationLicensingInformation(classifyUsers(activities, license, now, this.timeZone), organizationId);
  }

  /** The agents managed by a company at `now`. */
  async agentsOfCompany(companyUid: string, now: number): Promise<AgentState[]> {
    const byAgent = await agentEventsOfCompany(this.db, companyUid);
    const agents: AgentState[] = [];
    for (const [agentUid, events] of byAgent) {
      const state = agentStateAt(agentUid, events, now);
      if (state && state.companyUid === companyUid) agents.push(state);
    }
    return agents;
  }

  /** `GET /api/v3/licensing/console/usage/companies/vcc/{tenantUid}`; null for an unknown tenant. */
  async consoleUsageByTenant(tenantUid: string): Promise<CompanyConsoleLicenseUsage | null> {
    const company = await getCompanyByTenant(this.db, tenantUid);
    if (!company) return null;
    const now = await this.clock.now();
    const [license, agents] = await Promise.all([this.vspcLicense(), this.agentsOfCompany(company.uid, now)]);
    return {
      companyUid: company.uid,
      tenantUid: company.tenantUid,
      counters: consoleCounters(agents, license, now, this.timeZone),
    };
  }
}
