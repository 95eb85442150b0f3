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
  classifyUsers, consumptionStart, exceedAllowance, graceEndsAt, licensedUnits, organizationLicensingInformation, processingLimits, processingStopped,
  RETENTION_WINDOW_MS, type OrganizationLicensingInformation,
} from '../domain/vb365.js';
import {
  agentStateAt, bucketAgents, compareFifo, consumesFrom, countersFromBuckets, emptyBuckets, isNewAgent, newAgentsSince, RENTAL_EXCEED_GRACE_MS,
  REPORT_WINDOW_MS, sumBuckets, unitsOf, usableUnits, type AgentBuckets, type AgentLicenseStatus, type AgentState, type ConsoleLicenseCounter,
} from '../domain/vspc.js';
import { vspcLicenseExpired, vspcLicenseLapsed, vspcLicensingEndsAt } from '../domain/licenses.js';
import {
  agentBucketsByCompany, consumingAgentPagesNewestFirst, type PoolAgent,
} from '../store/agentCounts.js';
import type { Vb365LicenseBody, VspcLicenseBody } from '../schemas/admin.js';
import type { Dialect } from '../store/dialect.js';
import { getCompanyByTenant, getLicenseTerms, getOrganization, type Company, type Organization } from '../store/entities.js';
import {
  agentEvents, consumingInOrganizationUpTo, consumingUserAtRank, hasBackupsAfter, longHolders, vb365ActivitiesInWindow,
  vb365Counts, vb365InstallationCounts, withHoldStarts, type ConsumptionWindow,
} from '../store/readModels.js';
import type { Database } from '../store/schema.js';
import { firstInstantWhen, formatInstant, oneMonthBefore, startOfMonth, startOfNextMonth } from '../time.js';
import { toVb365License, toVspcLicense } from './licenses.js';
import { reportSendingInstants, reportSendings, sendingsAround } from './vb365MonthlyReport.js';
import { VersionedMemo } from './versionedMemo.js';
import { AnswerCache, type ValidityRange } from './answerCache.js';
import { GenerationsReader, type Generations } from '../store/generation.js';
import { nextVb365Release } from '../store/readModels.js';

export interface CompanyConsoleLicenseUsage {
  companyUid: string;
  tenantUid: string | null;
  counters: ConsoleLicenseCounter[];
}

/**
 * The installation's managed agents at `now` with the VSPC license applied (rules 13, 17, 18 and
 * the expiry grace): each company's buckets count Licensed and Licensed-by-exceed agents as used
 * and New ones as new; Unlicensed agents are counted apart only.
 */
export interface AgentPool {
  byCompany: Map<string, AgentBuckets>;
  licensedByExceed: number;
  unlicensed: number;
  /** Past the expiry grace: the license licenses nothing. */
  lapsed: boolean;
  /** Rental over its license: when the allowance ends (60 days after the over-limit period began); null otherwise. */
  exceedEndsAt: number | null;
  /** Agents with events dated after `now` were replayed: the pool holds for this instant only. */
  replayed: boolean;
}

/** The JSON text of license objects (see LicensingService.terms). */
const licenseTexts = new WeakMap<object, string>();

export class LicensingService {
  /** Answers kept per process until the ledger, the license or time moves them (see AnswerCache). */
  private readonly cache = new AnswerCache();
  /** License terms, stored report sendings and entities, kept while the `config` counter holds. */
  private readonly config = new VersionedMemo();
  private readonly generationsReader: GenerationsReader;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    readonly timeZone: string,
    private readonly dialect: Dialect = 'sqlite',
  ) {
    this.generationsReader = new GenerationsReader(db);
  }

  /**
   * The change counters an answer is checked against: those the request read when it was
   * authenticated (one read per request), or read now.
   */
  private generations(known?: Generations): Promise<Generations> {
    return known ? Promise.resolve(known) : this.generationsReader.read();
  }

  /**
   * What the answer cache checks besides the ledger: the configuration counter and the license
   * applied (licenses are kept per counter, so the text is made once per license object).
   */
  private static terms(generations: Generations, license: object | null): string {
    if (license === null) return `${generations.config}|null`;
    let text = licenseTexts.get(license);
    if (text === undefined) licenseTexts.set(license, (text = JSON.stringify(license)));
    return `${generations.config}|${text}`;
  }

  /** The installed license of a product as the engine reads it, kept while the `config` counter holds. */
  private installed<T>(product: 'vb365' | 'vspc', generations: Generations, convert: (terms: any) => T): Promise<T | null> {
    return this.config.get(generations.config, `license:${product}`, async () => {
      const terms = await getLicenseTerms(this.db, product);
      return terms === undefined ? null : convert(terms);
    });
  }

  /** An organization by id (lower case), kept while the `config` counter holds. */
  async organization(id: string, known?: Generations): Promise<Organization | undefined> {
    const generations = await this.generations(known);
    return this.config.get(generations.config, `organization:${id}`, () => getOrganization(this.db, id));
  }

  /**
   * The installed VB365 license. With `now`, a monthly usage report approved (or sent
   * automatically) at or before `now` counts as a usage report sent to Veeam (rule 9's doubled
   * allowance), in addition to the license's own `lastReportSentAt`.
   */
  async vb365License(now?: number, known?: Generations) {
    const generations = await this.generations(known);
    const license = await this.installed('vb365', generations, (terms: Vb365LicenseBody) => toVb365License(terms));
    if (!license) return null;
    // Reports matter only to the doubled allowance, which needs automatic update: otherwise the
    // stored reports are not read.
    if (now === undefined || !license.autoUpdate) return license;
    const instants = await this.config.get(generations.config, 'reportSendings', () => reportSendingInstants(this.db));
    const sent = sendingsAround(instants, now).last;
    return sent !== null && (license.lastReportSentAt === null || sent > license.lastReportSentAt) ? { ...license, lastReportSentAt: sent } : license;
  }

  async vspcLicense(known?: Generations) {
    return this.installed('vspc', await this.generations(known), (terms: VspcLicenseBody) => toVspcLicense(terms));
  }

  /** `GET /v6/Organizations/{id}/LicensingInformation` for an organization known to exist. */
  async organizationLicensingInformation(organizationId: string, known?: Generations, range?: ValidityRange): Promise<OrganizationLicensingInformation> {
    const generations = await this.generations(known);
    const now = await this.clock.now(generations.config);
    const license = await this.vb365License(now, generations);
    const at = { generation: generations.ledger, terms: LicensingService.terms(generations, license), now };
    return this.cache.get(`vb365.information:${organizationId}`, at, () => this.computeLicensingInformation(organizationId, now, license), range);
  }

  private async computeLicensingInformation(organizationId: string, now: number, license: Vb365License | null) {
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
    return { value: { licensedUsers, newUsers: counts.newUsers }, until: await this.vb365Until(terms, counts.consumingInstallation, now) };
  }

  /**
   * Until when a VB365 answer computed at `now` holds if no event arrives: the next month start
   * (New users start to consume), the next 31-day release, the end of the grace period, and the
   * instants at which a usage report becomes or stops being recent. A Rental installation over its
   * license is recomputed at every instant (its allowance may run out at any backup's anniversary).
   */
  private async vb365Until(terms: Vb365License, consuming: number, now: number): Promise<number> {
    if (terms.type === 'Rental' && consuming > licensedUnits(terms)) return now + 1;
    const candidates = [startOfNextMonth(now, this.timeZone)];
    const release = await nextVb365Release(this.db, now);
    if (release !== null) candidates.push(release);
    const graceEnd = graceEndsAt(terms, this.timeZone);
    if (graceEnd !== null && graceEnd + 1 > now) candidates.push(graceEnd + 1);
    const sent = terms.autoUpdate ? terms.lastReportSentAt : null;
    if (terms.autoUpdate) {
      const sendings = await reportSendings(this.db, now);
      if (sendings.next !== null) candidates.push(sendings.next);
    }
    if (sent !== null) {
      if (sent > now) candidates.push(sent);
      // A report is recent while it is later than one month before now.
      else if (sent > oneMonthBefore(now, this.timeZone)) candidates.push(firstInstantWhen((t) => sent <= oneMonthBefore(t, this.timeZone), now, sent + 32 * 86_400_000));
    }
    return Math.min(...candidates);
  }

  /**
   * Installation-wide usage for `GET /v6/License`: `usedNumber` = users holding a unit (Licensed +
   * TemporarilyAssigned), `newNumber` = New users (Rental).
   */
  async vb365LicenseUsage(now: number, license: Vb365License | null, known?: Generations): Promise<{ usedNumber: number; newNumber: number }> {
    const generations = await this.generations(known);
    const at = { generation: generations.ledger, terms: LicensingService.terms(generations, license), now };
    return this.cache.get('vb365.usage', at, async () => {
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
      return { value: { usedNumber: Math.min(counts.consuming, limit), newNumber: counts.newUsers }, until: await this.vb365Until(terms, counts.consuming, now) };
    });
  }

  /**
   * Every user that may hold a unit at `now`, with hold starts filled in where the rental exceed
   * allowance may depend on them (the engine's input for the exact path and the user list).
   */
  async activitiesAt(now: number, license: Vb365License | null) {
    const activities = await vb365ActivitiesInWindow(this.db, now);
    const terms = license ?? COMMUNITY_LICENSE;
    return terms.type === 'Rental' && activities.length > licensedUnits(terms) ? withHoldStarts(this.db, activities, now) : activities;
  }

  /** Licensed + TemporarilyAssigned users at most (rules 9 and 10), from counts, reading hold starts only when they matter. */
  private async processingLimit(terms: Vb365License, window: ConsumptionWindow, consuming: number, now: number): Promise<number> {
    const needsStarts = terms.type === 'Rental' && consuming > licensedUnits(terms) && exceedAllowance(terms, now, this.timeZone) > 0 && !processingStopped(terms, now, this.timeZone);
    const starts = needsStarts ? (await longHolders(this.db, window, now)).map((a) => consumptionStart(a, terms, this.timeZone)) : [];
    const limits = processingLimits(terms, consuming, () => starts, now, this.timeZone);
    return limits.licensed + limits.allowance;
  }

  private consumptionWindow(terms: Vb365License, now: number) {
    return {
      windowStart: now - RETENTION_WINDOW_MS,
      newSince: terms.type === 'Rental' ? startOfMonth(now, this.timeZone) : null,
    };
  }

  /**
   * The console counters of a company's agents at `now`. Within the license (the usual case) the
   * company's own agents are counted; when the installation is over its license or past the
   * expiry grace, the pool decides which of them still count.
   */
  async companyCounters(companyUid: string, now: number, known?: Generations, range?: ValidityRange): Promise<ConsoleLicenseCounter[]> {
    const generations = await this.generations(known);
    const license = await this.vspcLicense(generations);
    const pool = await this.agentPool(now, license, generations, range);
    return countersFromBuckets(pool.byCompany.get(companyUid) ?? emptyBuckets(), license);
  }

  /** The states at `now` of agents whose history reaches past `now`, replayed from their own events. */
  private async replayedStates(agentUids: string[], now: number): Promise<AgentState[]> {
    if (agentUids.length === 0) return [];
    const states: AgentState[] = [];
    for (const [agentUid, events] of await agentEvents(this.db, agentUids)) {
      const state = agentStateAt(agentUid, events, now);
      if (state) states.push(state);
    }
    return states;
  }

  /**
   * Every company's managed agents at `now` with the license applied (companies without agents
   * are absent), for the console usage family: one GROUP BY, a replay of the agents with events
   * after `now`, and, only when the installation is over its license, a walk of the pool from
   * its newest consuming agent back to the license boundary.
   */
  async agentPool(now: number, license: VspcLicense | null, known?: Generations, range?: ValidityRange): Promise<AgentPool> {
    const generations = await this.generations(known);
    const at = { generation: generations.ledger, terms: LicensingService.terms(generations, license), now };
    return this.cache.get('vspc.pool', at, async () => {
      const pool = await this.computeAgentPool(now, license);
      return { value: pool, until: this.vspcUntil(pool, license, now) };
    }, range);
  }

  /**
   * Until when the pool computed at `now` holds if no event arrives: the next month start (new
   * agents become used and join the ranking), the license's expiry and the end of its grace, the
   * instants at which the usage report becomes or stops being recent, and the end of the rental
   * exceed allowance. With agents replayed from events dated after `now`, this instant only.
   */
  private vspcUntil(pool: AgentPool, license: VspcLicense | null, now: number): number {
    if (pool.replayed) return now + 1;
    const candidates = [startOfNextMonth(now, this.timeZone)];
    if (license) {
      const end = vspcLicensingEndsAt(license);
      if (end !== null && end + 1 > now) candidates.push(end + 1);
      if (license.expirationDate !== null && license.expirationDate + 1 > now) candidates.push(license.expirationDate + 1);
      const sent = license.lastReportSentAt ?? null;
      if (sent !== null && sent > now) candidates.push(sent);
      if (sent !== null && sent + REPORT_WINDOW_MS > now) candidates.push(sent + REPORT_WINDOW_MS);
      if (pool.exceedEndsAt !== null && pool.exceedEndsAt > now) candidates.push(pool.exceedEndsAt);
    }
    return Math.min(...candidates);
  }

  private async computeAgentPool(now: number, license: VspcLicense | null): Promise<AgentPool> {
    const { byCompany, replay } = await agentBucketsByCompany(this.db, now, newAgentsSince(license, now, this.timeZone));
    const replayed = await this.replayedStates(replay, now);
    for (const state of replayed) {
      const buckets = byCompany.get(state.companyUid) ?? emptyBuckets();
      bucketAgents([state], license, now, this.timeZone, buckets);
      byCompany.set(state.companyUid, buckets);
    }
    const pool: AgentPool = { byCompany, licensedByExceed: 0, unlicensed: 0, lapsed: false, exceedEndsAt: null, replayed: replay.length > 0 };
    if (!license) return pool;
    if (vspcLicenseLapsed(license, now)) {
      for (const buckets of byCompany.values()) {
        pool.unlicensed += buckets.server.used + buckets.server.new + buckets.workstation.used + buckets.workstation.new;
      }
      return { ...pool, byCompany: new Map([...byCompany.keys()].map((uid) => [uid, emptyBuckets()])), licensedByExceed: 0, lapsed: true };
    }
    const beyond = await this.agentsBeyondLicense(now, license, sumBuckets(byCompany.values()), replayed);
    pool.exceedEndsAt = beyond.exceedEndsAt;
    for (const agent of beyond.agents) {
      if (agent.status === 'LicensedByExceed') {
        pool.licensedByExceed++;
      } else {
        pool.unlicensed++;
        byCompany.get(agent.companyUid)![agent.mode].used--;
      }
    }
    return pool;
  }

  /**
   * Rule 17 at `now`: the consuming agents beyond the license units, each Licensed by exceed or
   * Unlicensed. Walks the pool newest first (read model rows merged with the replayed agents);
   * the cumulative units of an agent's FIFO prefix are the installation's consuming totals less
   * the agents after it, so the walk stops at the first agent within the license.
   */
  private async agentsBeyondLicense(
    now: number,
    license: VspcLicense,
    total: AgentBuckets,
    replayed: readonly AgentState[],
  ): Promise<{ agents: (PoolAgent & { status: AgentLicenseStatus })[]; exceedEndsAt: number | null }> {
    const prefix = { server: total.server.used, workstation: total.workstation.used };
    if (unitsOf(prefix, license.weights) <= license.units) return { agents: [], exceedEndsAt: null };
    const extra = replayed
      .filter((state) => !isNewAgent(state, license, now, this.timeZone))
      .sort((a, b) => compareFifo(b, a));
    const pages = consumingAgentPagesNewestFirst(this.db, this.dialect, now, newAgentsSince(license, now, this.timeZone));
    const beyond: { agent: PoolAgent; units: number }[] = [];
    /** Takes the next agent of the walk; false once it is within the license (and so is every earlier one). */
    const visit = (agent: PoolAgent): boolean => {
      const units = unitsOf(prefix, license.weights);
      if (units <= license.units) return false;
      beyond.push({ agent, units });
      prefix[agent.mode]--;
      return true;
    };
    // The stored rows and the replayed agents, merged newest first.
    let next = 0;
    let walking = true;
    for await (const page of pages) {
      for (const agent of page) {
        while (walking && next < extra.length && compareFifo(extra[next]!, agent) > 0) walking = visit(extra[next++]!);
        if (walking) walking = visit(agent);
        if (!walking) break;
      }
      if (!walking) break;
    }
    while (walking && next < extra.length) walking = visit(extra[next++]!);
    const first = beyond[beyond.length - 1];
    const overSince = first ? consumesFrom(first.agent.activatedAt, license, this.timeZone) : null;
    const usable = usableUnits(license, now, overSince);
    return {
      agents: beyond.map(({ agent, units }) => ({ ...agent, status: units <= usable ? 'LicensedByExceed' : 'Unlicensed' })),
      exceedEndsAt: license.type === 'Rental' && overSince !== null ? overSince + RENTAL_EXCEED_GRACE_MS : null,
    };
  }

  /**
   * `status` and `statusMessage` of `GET /api/v3/licensing/console`: `Expired` once `now` is past
   * the expiration date (also while the expiry grace runs, which the message tells), `Warning`
   * while agents are beyond the license (Licensed by exceed or Unlicensed), else `Valid`.
   */
  async vspcLicenseStatus(now: number, license: VspcLicense | null): Promise<{ status: 'Unknown' | 'Valid' | 'Warning' | 'Expired'; statusMessage: string | null }> {
    if (!license) return { status: 'Unknown', statusMessage: 'No license is installed.' };
    if (vspcLicenseExpired(license, now)) {
      const expired = formatInstant(license.expirationDate!);
      const end = formatInstant(vspcLicensingEndsAt(license)!);
      return vspcLicenseLapsed(license, now)
        ? { status: 'Expired', statusMessage: `The license expired on ${expired} and its grace period ended on ${end}: no agent is licensed.` }
        : { status: 'Expired', statusMessage: `The license expired on ${expired}; agents stay licensed during the grace period, until ${end}.` };
    }
    const pool = await this.agentPool(now, license);
    if (pool.licensedByExceed + pool.unlicensed === 0) return { status: 'Valid', statusMessage: null };
    return {
      status: 'Warning',
      statusMessage: `The license is exceeded: ${pool.licensedByExceed} agent(s) licensed by exceed, ${pool.unlicensed} agent(s) unlicensed.`,
    };
  }

  /**
   * `GET /api/v3/licensing/console/usage/companies/vcc/{tenantUid}`; null for an unknown tenant
   * or one the caller may not see.
   */
  async consoleUsageByTenant(
    tenantUid: string,
    visible: (company: Company) => boolean = () => true,
    known?: Generations,
    range?: ValidityRange,
  ): Promise<CompanyConsoleLicenseUsage | null> {
    const generations = await this.generations(known);
    const company = await this.config.get(generations.config, `tenant:${tenantUid}`, () => getCompanyByTenant(this.db, tenantUid));
    if (!company || !visible(company)) return null;
    const now = await this.clock.now(generations.config);
    return { companyUid: company.uid, tenantUid: company.tenantUid, counters: await this.companyCounters(company.uid, now, generations, range) };
  }
}
