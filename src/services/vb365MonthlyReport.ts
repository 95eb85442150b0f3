/**
 * The VB365 rental monthly usage report (rule 11, `GET /v6/licensing/reports/latest` and
 * `POST /v6/licensing/reports/{reportId}/approve`): the previous calendar month per organization,
 * generated from the ledger on first request and frozen in `reports` (product `vb365`), so that
 * late events never change it. The approval (with the users the provider removed) is stored in the
 * same row. The status is computed from the clock: Draft until approved or until the review days
 * are over, then Approved (the product sends the report automatically).
 */
import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import {
  applyRemovals, autoApprovalAt, summarize, usageByOrganization, validateRemovals,
  type MonthlyReportLine, type ReportRemoval,
} from '../domain/vb365MonthlyReport.js';
import type { Vb365LicenseBody } from '../schemas/admin.js';
import { listOrganizations, type Organization } from '../store/entities.js';
import type { Database } from '../store/schema.js';
import { userHistoriesBetween } from '../store/vb365Histories.js';
import { formatInstant, parseRfc3339 } from '../time.js';
import { toVb365License } from './licenses.js';
import { monthBounds } from './monthlyReport.js';

/** What is frozen in `reports.content`. Instants are epoch ms. */
export interface FrozenVb365Report {
  product: 'vb365';
  reportId: number;
  month: string;
  timeZone: string;
  periodStart: number;
  /** Exclusive: the start of the next month. */
  periodEnd: number;
  generatedAt: number;
  license: { companyName: string; supportId: string; expirationDate: number };
  organizations: MonthlyReportLine[];
  approval: { approvedAt: number; removals: ReportRemoval[] } | null;
}

/** No such report (404). */
export class NoReportError extends Error {}
/** The report can no longer be approved (409). */
export class ReportApprovedError extends Error {}

/** The month a report generated at `now` covers: the previous calendar month in `zone`. */
export function reportMonthAt(now: number, zone: string): string {
  return DateTime.fromMillis(now, { zone }).startOf('month').minus({ months: 1 }).toFormat('yyyy-MM');
}

/** A report's id: yyyymm of its month (202610), stable and an int32 as v6 declares. */
export function reportIdOf(month: string): number {
  return Number(month.replace('-', ''));
}

function monthOfReportId(id: number): string | null {
  const year = Math.floor(id / 100);
  const month = id % 100;
  if (!Number.isInteger(id) || year < 1000 || year > 9999 || month < 1 || month > 12) return null;
  return `${year}-${String(month).padStart(2, '0')}`;
}

const bytewise = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Organizations by name, then id, compared byte-wise. */
export function byName(organizations: Organization[]): Organization[] {
  return [...organizations].sort((a, b) => bytewise(a.name, b.name) || bytewise(a.id, b.id));
}

async function frozen(db: Kysely<Database>, month: string): Promise<{ report: FrozenVb365Report; content: string } | undefined> {
  const row = await db.selectFrom('reports').select('content').where('product', '=', 'vb365').where('month', '=', month).executeTakeFirst();
  return row ? { report: JSON.parse(row.content) as FrozenVb365Report, content: row.content } : undefined;
}

async function generate(db: Kysely<Database>, month: string, now: number, zone: string, terms: Vb365LicenseBody): Promise<FrozenVb365Report> {
  const { start, end } = monthBounds(month, zone);
  const usage = usageByOrganization(await userHistoriesBetween(db, start, end), toVb365License(terms), start, end, zone);
  const byId = new Map(usage.map((u) => [u.organizationId, u]));
  // Registered organizations only (the face shows no other), by name compared byte-wise, the
  // same order on SQLite and PostgreSQL whatever the database's collation.
  const organizations = byName(await listOrganizations(db)).flatMap((org) => {
    const found = byId.get(org.id);
    return found ? [{ organizationId: org.id, organizationName: org.name, initialUsersCount: found.consumedUsers, newUsersCount: found.newUsers }] : [];
  });
  return {
    product: 'vb365',
    reportId: reportIdOf(month),
    month,
    timeZone: zone,
    periodStart: start,
    periodEnd: end,
    generatedAt: now,
    // The admin API accepts only expiration dates parseRfc3339 reads.
    license: { companyName: terms.licensedTo ?? '', supportId: terms.supportId ?? '', expirationDate: parseRfc3339(terms.expirationDate)! },
    organizations,
    approval: null,
  };
}

/**
 * The latest report (the previous month's) at `now`: the frozen one, or generated and frozen now.
 * Only a Rental license has monthly reports; without one (and nothing frozen) there is none.
 */
export async function latestVb365Report(db: Kysely<Database>, now: number, zone: string, terms: Vb365LicenseBody | undefined): Promise<FrozenVb365Report> {
  const month = reportMonthAt(now, zone);
  const stored = await frozen(db, month);
  if (stored) return stored.report;
  if (terms?.type !== 'Rental') {
    throw new NoReportError(`No license usage report is available: monthly usage reports exist for Rental licenses only, and the installed license is ${terms?.type ?? 'none (Community)'}.`);
  }
  const report = await generate(db, month, now, zone, terms);
  // Another node may freeze the same month at the same moment: the first one wins.
  await db
    .insertInto('reports')
    .values({ product: 'vb365', month, generated_at: now, content: JSON.stringify(report) })
    .onConflict((oc) => oc.columns(['product', 'month']).doNothing())
    .execute();
  return (await frozen(db, month))!.report;
}

/** When the report was approved: by the provider, or automatically once the review days are over; null while Draft. */
export function approvedAt(report: FrozenVb365Report, now: number): number | null {
  if (report.approval) return report.approval.approvedAt;
  const automatic = autoApprovalAt(report.periodEnd, report.timeZone);
  return now >= automatic ? automatic : null;
}

/**
 * When stored monthly reports were (or will be, without a new approval) approved or sent: the
 * latest instant at or before `now`, and the next one after it (a cached answer that depends on
 * the doubled allowance must not outlive it).
 */
export async function reportSendings(db: Kysely<Database>, now: number): Promise<{ last: number | null; next: number | null }> {
  return sendingsAround(await reportSendingInstants(db), now);
}

/** Every instant at which a stored monthly report was (or will be, without a new approval) approved or sent. */
export async function reportSendingInstants(db: Kysely<Database>): Promise<number[]> {
  const rows = await db.selectFrom('reports').select('content').where('product', '=', 'vb365').execute();
  return rows.map((row) => {
    const report = JSON.parse(row.content) as FrozenVb365Report;
    return report.approval ? report.approval.approvedAt : autoApprovalAt(report.periodEnd, report.timeZone);
  });
}

/** The latest of `instants` at or before `now`, and the first after it. */
export function sendingsAround(instants: readonly number[], now: number): { last: number | null; next: number | null } {
  let last: number | null = null;
  let next: number | null = null;
  for (const at of instants) {
    if (at <= now) last = last === null ? at : Math.max(last, at);
    else next = next === null ? at : Math.min(next, at);
  }
  return { last, next };
}

/** `RESTMonthlyReport`, properties in the v6 document's order. */
export function renderMonthlyReport(report: FrozenVb365Report, now: number) {
  const lines = applyRemovals(report.organizations, report.approval?.removals ?? []);
  return {
    reportParameters: {
      reportID: report.reportId,
      reportStatus: approvedAt(report, now) === null ? ('Draft' as const) : ('Approved' as const),
      companyName: report.license.companyName,
      licenseExpirationDate: formatInstant(report.license.expirationDate),
      supportID: report.license.supportId,
      reportGenerationDate: formatInstant(report.generatedAt),
      // The last millisecond of the month: the interval's end date is the month's last day.
      reportingInterval: { startOfInterval: formatInstant(report.periodStart), endOfInterval: formatInstant(report.periodEnd - 1) },
    },
    reportSummary: summarize(lines),
    organizations: lines.map((line) => ({
      organizationId: line.organizationId,
      organizationName: line.organizationName,
      removedUsersCount: line.removedUsersCount,
      removalReason: line.removalReason,
      reportedUsersCount: line.reportedUsersCount,
      newUsersCount: line.newUsersCount,
      initialUsersCount: line.initialUsersCount,
    })),
  };
}

/**
 * Approves (sends) the report `reportId` with the given removals. Throws NoReportError for an
 * unknown report, ReportApprovedError when it is no longer a Draft, RemovalError for removals that
 * do not fit the report; nothing is stored then.
 */
export async function approveVb365Report(
  db: Kysely<Database>,
  reportId: number,
  removals: readonly ReportRemoval[],
  now: number,
  zone: string,
  terms: Vb365LicenseBody | undefined,
): Promise<FrozenVb365Report> {
  const month = monthOfReportId(reportId);
  let stored = month ? await frozen(db, month) : undefined;
  if (!stored && month === reportMonthAt(now, zone)) {
    await latestVb365Report(db, now, zone, terms);
    stored = await frozen(db, month);
  }
  if (!stored) throw new NoReportError(`There is no license usage report with ID ${reportId}.`);
  const { report, content } = stored;
  const approved = approvedAt(report, now);
  if (approved !== null) {
    const how = report.approval ? 'approved' : 'sent automatically after the review period';
    throw new ReportApprovedError(`The license usage report ${reportId} was already ${how} (${formatInstant(approved)}); it cannot be approved again.`);
  }
  const updated: FrozenVb365Report = { ...report, approval: { approvedAt: now, removals: validateRemovals(report.organizations, removals) } };
  // Compare-and-set on the stored text: of two approvals at once (on any node) only one lands.
  const result = await db
    .updateTable('reports')
    .set({ content: JSON.stringify(updated) })
    .where('product', '=', 'vb365')
    .where('month', '=', report.month)
    .where('content', '=', content)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) {
    throw new ReportApprovedError(`The license usage report ${reportId} was approved by another request at the same time.`);
  }
  return updated;
}
