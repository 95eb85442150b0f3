/**
 * The VSPC month-end report: computed by the engine from the ledger, frozen once the month is
 * over (a stored report never changes), with corrections for the previous month when late events
 * changed what its frozen report says, or when it was frozen before the report counted only the
 * agents the console managed (each correction says which: `reasons`).
 */
import { csvRows } from './csv.js';
import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { VspcLicense } from '../domain/licenses.js';
import {
  companyMonthCounters, managedMonthCounters, managementEndsAt, peakConsumingUnits, segmentsByCompany, type ReportCounter,
} from '../domain/monthlyReport.js';
import { monthStretches, segmentsBefore } from '../store/agentSegments.js';
import { listCompanies } from '../store/entities.js';
import { correctionRows, COUNTER_FIELDS } from './reportCorrections.js';
import type { Database } from '../store/schema.js';
import { formatInstant } from '../time.js';

export interface CompanyReport {
  companyUid: string;
  companyName: string;
  resellerUid: string | null;
  tenantUid: string | null;
  counters: ReportCounter[];
}

export interface MonthlyReport {
  product: 'vspc';
  month: string;
  timeZone: string;
  status: 'Final' | 'Draft';
  periodStart: string;
  periodEnd: string;
  generatedAt: string;
  licenseType: string;
  companies: CompanyReport[];
  /**
   * What the counts count: `managedAgents`, the agents the console managed at each instant.
   * Reports frozen before it existed have no `basis`: they counted every agent, Unlicensed ones
   * and those past the expiry grace too.
   */
  basis?: 'managedAgents';
  /** Companies whose previous-month numbers changed after that report was frozen. */
  corrections: { month: string; companies: Correction[] } | null;
}

/**
 * Why a frozen month's numbers differ from what it says: `lateEvents`, events about the month
 * that arrived after it was frozen (or a license installed since); `unmanagedAgents`, the frozen
 * report counted agents the console did not manage (Unlicensed, past the expiry grace).
 */
export type CorrectionReason = 'lateEvents' | 'unmanagedAgents';

export interface Correction {
  companyUid: string;
  reported: ReportCounter[];
  actual: ReportCounter[];
  reasons: CorrectionReason[];
}

export class ReportMonthError extends Error {}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** [start, end) of a calendar month in `zone`. */
export function monthBounds(month: string, zone: string): { start: number; end: number } {
  const match = MONTH.exec(month);
  if (!match) throw new ReportMonthError(`the month must be YYYY-MM, not ${JSON.stringify(month)}`);
  const start = DateTime.fromObject({ year: Number(match[1]), month: Number(match[2]), day: 1 }, { zone });
  return { start: start.toMillis(), end: start.plus({ months: 1 }).toMillis() };
}

function previousMonth(month: string, zone: string): string {
  const { start } = monthBounds(month, zone);
  return DateTime.fromMillis(start, { zone }).minus({ months: 1 }).toFormat('yyyy-MM');
}

/**
 * Every company's counters for `month` as known at `now` (a running month only up to `now`),
 * counting only the agents the console managed at each instant (docs/licensing.md, rule 20).
 *
 * The common case reads the month's stretches as counts (`monthStretches`): when the consuming
 * agents of the installation never need more than the license's units during the month, every
 * one of them was Licensed at every instant, and counting every agent is the answer. Past the
 * end of the expiry grace nothing is managed: the month is cut there. Only when the installation
 * is over its license at some instant are the month's stretches read as rows and swept by the
 * engine (`managedMonthCounters`), which classifies the pool where it may change.
 */
async function computeCompanies(
  db: Kysely<Database>,
  month: string,
  zone: string,
  license: VspcLicense | null,
  now: number,
  basis: 'managedAgents' | 'everyAgent' = 'managedAgents',
): Promise<CompanyReport[]> {
  const { start, end: monthEnd } = monthBounds(month, zone);
  const everyAgent = basis === 'everyAgent';
  // Events dated after `now` have not happened yet (contract §5); past the grace nothing is managed.
  const end = Math.min(monthEnd, now + 1, everyAgent ? Infinity : (managementEndsAt(license) ?? Infinity));
  if (end <= start) return [];
  const rental = (license?.type ?? 'Rental') === 'Rental';
  const stretches = await monthStretches(db, start, end, rental ? start : null);
  const none = { server: 0, workstation: 0 };
  const floor = { ...none };
  for (const counts of stretches.throughout.values()) {
    floor.server += counts.server;
    floor.workstation += counts.workstation;
  }
  const overLicense = !everyAgent && license !== null && peakConsumingUnits(floor, stretches.partial, license.weights, start, end) > license.units;
  const managed = overLicense ? managedMonthCounters(await segmentsBefore(db, end), license, start, end, zone) : null;
  const partial = segmentsByCompany([stretches.partial], start, end);
  const companies = await listCompanies(db);
  return companies
    .map((company) => ({
      companyUid: company.uid,
      companyName: company.name,
      resellerUid: company.resellerUid,
      tenantUid: company.tenantUid,
      counters: managed
        ? (managed.get(company.uid) ?? [])
        : companyMonthCounters(company.uid, [partial.get(company.uid) ?? []], license, start, end, {
            reported: stretches.throughout.get(company.uid) ?? none,
            fresh: stretches.fresh.get(company.uid) ?? none,
          }),
    }))
    .filter((c) => c.counters.some((counter) => counter.reportedCount > 0 || counter.newCount > 0));
}

async function frozen(db: Kysely<Database>, month: string): Promise<MonthlyReport | undefined> {
  const row = await db.selectFrom('reports').select('content').where('product', '=', 'vspc').where('month', '=', month).executeTakeFirst();
  return row ? (JSON.parse(row.content) as MonthlyReport) : undefined;
}

/**
 * The report for `month` at `now`: the frozen one if it exists; generated and frozen when the
 * month is over; a draft (not stored) while the month runs.
 */
export async function vspcMonthlyReport(
  db: Kysely<Database>,
  month: string,
  now: number,
  zone: string,
  license: VspcLicense | null,
): Promise<MonthlyReport> {
  const stored = await frozen(db, month);
  if (stored) return stored;
  const { start, end } = monthBounds(month, zone);
  if (now < start) throw new ReportMonthError(`${month} has not begun yet`);
  const companies = await computeCompanies(db, month, zone, license, now);
  const final = now >= end;
  let corrections: MonthlyReport['corrections'] = null;
  const previous = await frozen(db, previousMonth(month, zone));
  if (previous) {
    const actual = await computeCompanies(db, previous.month, zone, license, now);
    const byUid = new Map(actual.map((c) => [c.companyUid, c.counters]));
    // A report frozen before the report counted only managed agents: what counting every agent
    // gives now tells late events (it differs from the frozen numbers) from agents that were
    // not managed (it differs from the managed numbers).
    const every = previous.basis === 'managedAgents' ? null : new Map((await computeCompanies(db, previous.month, zone, license, now, 'everyAgent')).map((c) => [c.companyUid, c.counters]));
    const same = (a: ReportCounter[], b: ReportCounter[]) => JSON.stringify(a) === JSON.stringify(b);
    const changed = [...new Set([...previous.companies.map((c) => c.companyUid), ...byUid.keys()])].flatMap((uid): Correction[] => {
      const reported = previous.companies.find((c) => c.companyUid === uid)?.counters ?? [];
      const current = byUid.get(uid) ?? [];
      if (same(reported, current)) return [];
      const everyCounters = every?.get(uid) ?? [];
      const reasons: CorrectionReason[] = every === null ? ['lateEvents'] : [
        ...(same(reported, everyCounters) ? [] : (['lateEvents'] as const)),
        ...(same(everyCounters, current) ? [] : (['unmanagedAgents'] as const)),
      ];
      return [{ companyUid: uid, reported, actual: current, reasons }];
    });
    corrections = { month: previous.month, companies: changed };
  }
  const report: MonthlyReport = {
    product: 'vspc',
    month,
    timeZone: zone,
    status: final ? 'Final' : 'Draft',
    periodStart: formatInstant(start),
    periodEnd: formatInstant(end),
    generatedAt: formatInstant(now),
    licenseType: license?.type ?? 'Rental',
    companies,
    basis: 'managedAgents',
    corrections,
  };
  if (!final) return report;
  // Another node may freeze the same month at the same moment: the first one wins, everyone
  // answers with what was stored.
  await db
    .insertInto('reports')
    .values({ product: 'vspc', month, generated_at: now, content: JSON.stringify(report) })
    .onConflict((oc) => oc.columns(['product', 'month']).doNothing())
    .execute();
  return (await frozen(db, month))!;
}

/**
 * One row per company and agent type; then one row per correction of the previous month (status
 * `Correction`, that month, the numbers as they are now), whose `was…` columns hold what the frozen
 * report said (empty on the month's own rows). `names`: company names for the corrections.
 */
export function reportCsv(report: MonthlyReport, names?: ReadonlyMap<string, string>): string {
  const header = ['month', 'status', 'companyUid', 'companyName', 'tenantUid', 'type', 'unitType', 'reportedCount', 'reportedUnits', 'newCount', 'newUnits', 'wasReportedCount', 'wasReportedUnits', 'wasNewCount', 'wasNewUnits'];
  const rows: (string | number | null)[][] = report.companies.flatMap((c) =>
    c.counters.map((k) => [report.month, report.status, c.companyUid, c.companyName, c.tenantUid, k.type, k.unitType, k.reportedCount, k.reportedUnits, k.newCount, k.newUnits, null, null, null, null]),
  );
  for (const r of correctionRows(report, names)) {
    rows.push([r.month, 'Correction', r.companyUid, r.companyName, r.tenantUid, r.type, r.unitType, ...COUNTER_FIELDS.map((f) => r.is[f]), ...COUNTER_FIELDS.map((f) => r.was[f])]);
  }
  return csvRows([header, ...rows]);
}
