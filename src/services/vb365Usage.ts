/**
 * VB365 usage at an instant, answered from the store: per organization
 * (`GET /v6/Organizations/{id}/LicensingInformation`) and installation-wide (`GET /v6/License`).
 *
 * The common case is answered by counting in indexed read models (no row per user is loaded);
 * the engine's rules (src/domain/vb365.ts) decide what is counted. When the ledger holds backups
 * dated after `now` (time travel, late clocks), every user that may hold a unit is classified by
 * the engine from its activity. Every answer says until when it holds (`Timed.until`), computed
 * by the domain (`vb365UsageChangesAt`) from what the answer read; the cache decorator
 * (answerCache.ts) keeps it that long. A property test checks cached against recomputed answers.
 */
import type { Kysely } from 'kysely';
import { COMMUNITY_LICENSE, type Vb365License } from '../domain/licenses.js';
import {
  classifyUsers, consumptionStart, exceedAllowance, licensedUnits, organizationLicensingInformation, processingLimits, processingStopped,
  RETENTION_WINDOW_MS, vb365UsageChangesAt, type OrganizationLicensingInformation, type UserActivity,
} from '../domain/vb365.js';
import type { Dialect } from '../store/dialect.js';
import {
  consumingInOrganizationUpTo, consumingUserAtRank, hasBackupsAfter, longHolders, nextVb365Release, vb365ActivitiesInWindow,
  vb365Counts, vb365InstallationCounts, withHoldStarts, type ConsumptionWindow,
} from '../store/readModels.js';
import type { Database } from '../store/schema.js';
import { startOfMonth } from '../time.js';
import type { Generations } from '../store/generation.js';
import type { Timed } from './answerCache.js';
import type { InstallationConfig } from './installation.js';
import { sendingsAround } from './vb365MonthlyReport.js';

/** What a VB365 usage answer depends on besides the ledger: the instant, the license applied, and the counters read. */
export interface Vb365Moment {
  now: number;
  license: Vb365License | null;
  generations: Generations;
}

export interface Vb365LicenseUsage {
  /** Users holding a unit (Licensed + TemporarilyAssigned). */
  usedNumber: number;
  /** New users (Rental). */
  newNumber: number;
}

/** The questions of the VB365 usage family; the cache decorator implements the same ones. */
export interface Vb365UsageAnswers {
  organizationUsage(organizationId: string, at: Vb365Moment): Promise<Timed<OrganizationLicensingInformation>>;
  installationUsage(at: Vb365Moment): Promise<Timed<Vb365LicenseUsage>>;
}

export class Vb365Usage implements Vb365UsageAnswers {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly installation: InstallationConfig,
    private readonly timeZone: string,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  async organizationUsage(organizationId: string, { now, license, generations }: Vb365Moment): Promise<Timed<OrganizationLicensingInformation>> {
    if (await hasBackupsAfter(this.db, now)) {
      // Exact path: every user that may hold a unit, recomputed where its history reaches past now.
      const activities = await this.activitiesAt(now, license);
      return { value: organizationLicensingInformation(classifyUsers(activities, license, now, this.timeZone), organizationId), until: now + 1 };
    }
    const terms = license ?? COMMUNITY_LICENSE;
    const window = this.consumptionWindow(terms, now);
    const counts = await vb365Counts(this.db, window, organizationId);
    // Licensed + TemporarilyAssigned are the first `limit` consuming users of the installation.
    const limit = await this.processingLimit(terms, window, counts.consumingInstallation, now);
    let licensedUsers = counts.consumingInOrganization;
    if (counts.consumingInstallation > limit) {
      const last = limit > 0 ? await consumingUserAtRank(this.db, this.dialect, window, limit - 1) : undefined;
      licensedUsers = last ? await consumingInOrganizationUpTo(this.db, this.dialect, window, organizationId, last) : 0;
    }
    return { value: { licensedUsers, newUsers: counts.newUsers }, until: await this.until(terms, counts.consumingInstallation, now, generations) };
  }

  async installationUsage({ now, license, generations }: Vb365Moment): Promise<Timed<Vb365LicenseUsage>> {
    if (await hasBackupsAfter(this.db, now)) {
      const classified = classifyUsers(await this.activitiesAt(now, license), license, now, this.timeZone);
      const value = {
        usedNumber: classified.filter((u) => u.state === 'Licensed' || u.state === 'TemporarilyAssigned').length,
        newNumber: classified.filter((u) => u.state === 'New').length,
      };
      return { value, until: now + 1 };
    }
    const terms = license ?? COMMUNITY_LICENSE;
    const window = this.consumptionWindow(terms, now);
    const counts = await vb365InstallationCounts(this.db, window);
    const limit = await this.processingLimit(terms, window, counts.consuming, now);
    return { value: { usedNumber: Math.min(counts.consuming, limit), newNumber: counts.newUsers }, until: await this.until(terms, counts.consuming, now, generations) };
  }

  /**
   * Every user that may hold a unit at `now`, with hold starts filled in where the rental exceed
   * allowance may depend on them (the engine's input for the exact path and the user list).
   */
  async activitiesAt(now: number, license: Vb365License | null): Promise<UserActivity[]> {
    const activities = await vb365ActivitiesInWindow(this.db, now);
    const terms = license ?? COMMUNITY_LICENSE;
    return terms.type === 'Rental' && activities.length > licensedUnits(terms) ? withHoldStarts(this.db, activities, now) : activities;
  }

  /** The domain's next change instant, fed with what only the store knows (the next release and report sending). */
  private async until(terms: Vb365License, consuming: number, now: number, generations: Generations): Promise<number> {
    const [nextRelease, sendings] = await Promise.all([
      nextVb365Release(this.db, now),
      terms.autoUpdate ? this.installation.reportSendings(generations) : Promise.resolve([]),
    ]);
    return vb365UsageChangesAt({ license: terms, consuming, now, zone: this.timeZone, nextRelease, nextSending: sendingsAround(sendings, now).next });
  }

  /** Licensed + TemporarilyAssigned users at most (rules 9 and 10), from counts, reading hold starts only when they matter. */
  private async processingLimit(terms: Vb365License, window: ConsumptionWindow, consuming: number, now: number): Promise<number> {
    const needsStarts = terms.type === 'Rental' && consuming > licensedUnits(terms) && exceedAllowance(terms, now, this.timeZone) > 0 && !processingStopped(terms, now, this.timeZone);
    const starts = needsStarts ? (await longHolders(this.db, window, now)).map((a) => consumptionStart(a, terms, this.timeZone)) : [];
    const limits = processingLimits(terms, consuming, () => starts, now, this.timeZone);
    return limits.licensed + limits.allowance;
  }

  private consumptionWindow(terms: Vb365License, now: number): ConsumptionWindow {
    return {
      windowStart: now - RETENTION_WINDOW_MS,
      newSince: terms.type === 'Rental' ? startOfMonth(now, this.timeZone) : null,
    };
  }
}
