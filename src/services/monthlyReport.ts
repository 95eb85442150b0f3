/**
 * The VSPC month-end report: computed by the engine from the ledger, frozen once the month is
 * over (a stored report never changes), with corrections for the previous month when late events
 * changed what its frozen report says.
 */
import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { VspcLicense } from '../domain/licenses.js';
import { companyMonthCounters, segmentsByCompany, type ReportCounter } from '../domain/monthlyReport.js';
import { monthStretches } from '../store/agentSegments.js';
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
  /** Companies whose previous-month numbers changed after that report was frozen. */
  corrections: { month: string; companies: { companyUid: string; reported: ReportCounter[]; actual: ReportCounter[] }[] } | null;
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

/** Every company's counters for `month` as known at `now` (a running month only up to `now`). */
async function computeCompanies(
  db: Kysely<Database>,
  month: string,
  zone: string,
  license: VspcLicense | null,
  now: number,
): Promise<CompanyReport[]> {
  const { start, end: monthEnd } = monthBounds(month, zone);
  // Events dated after `now` have not happened yet (contract §5).
  const end = Math.min(monthEnd, now + 1);
  const rental = (license?.type ?? 'Rental') === 'Rental';
  const stretches = await monthStretches(db, start, end, rental ? start : null);
  const partial = segmentsByCompany([stretches.partial], start, end);
  const none = { server: 0, workstation: 0 };
  const companies = await listCompanies(db);
  return companies
    .map((company) => ({
      companyUid: company.uid,
      companyName: company.name,
      resellerUid: company.resellerUid,
      tenantUid: company.tenantUid,
      counters: companyMonthCounters(company.uid, [partial.get(company.uid) ?? []], license, start, end, {
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
    const changed = [...new Set([...previous.companies.map((c) => c.companyUid), ...byUid.keys()])].flatMap((uid) => {
      const reported = previous.companies.find((c) => c.companyUid === uid)?.counters ?? [];
      const current = byUid.get(uid) ?? [];
      return JSON.stringify(reported) === JSON.stringify(current) ? [] : [{ companyUid: uid, reported, actual: current }];
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
  const cell = (value: string | number | null) => {
    const text = value === null ? '' : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const header = ['month', 'status', 'companyUid', 'companyName', 'tenantUid', 'type', 'unitType', 'reportedCount', 'reportedUnits', 'newCount', 'newUnits', 'wasReportedCount', 'wasReportedUnits', 'wasNewCount', 'wasNewUnits'];
  const rows: (string | number | null)[][] = report.companies.flatMap((c) =>
    c.counters.map((k) => [report.month, report.status, c.companyUid, c.companyName, c.tenantUid, k.type, k.unitType, k.reportedCount, k.reportedUnits, k.newCount, k.newUnits, null, null, null, null]),
  );
  for (const r of correctionRows(report, names)) {
    rows.push([r.month, 'Correction', r.companyUid, r.companyName, r.tenantUid, r.type, r.unitType, ...COUNTER_FIELDS.map((f) => r.is[f]), ...COUNTER_FIELDS.map((f) => r.was[f])]);
  }
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
