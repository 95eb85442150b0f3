/**
 * Operations on the VB365 license reports: the latest monthly usage report and its approval
 * (`/v6/licensing/reports/…`), and the License Overview file (`POST /v6/Reports/GenerateLicenseOverview`).
 *
 * Scope: a confined caller sees the report lines of its organizations only (the summary adds up
 * those lines), and the overview's rows of its organizations only. Approving sends the whole
 * installation's report to Veeam, so only an unconfined caller may approve.
 */
import { RemovalError } from '../../domain/vb365MonthlyReport.js';
import type { Vb365LicenseBody } from '../../schemas/admin.js';
import { getLicenseTerms } from '../../store/entities.js';
import * as audit from '../audit.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors.js';
import {
  licenseOverview, OverviewRequestError, overviewCsv, overviewFileName, overviewInstant, overviewZone, type LicenseOverview,
} from '../licenseOverview.js';
import { licenseOverviewPdf } from '../licenseOverviewPdf.js';
import { approveVb365Report, latestVb365Report, NoReportError, ReportApprovedError, type FrozenVb365Report } from '../vb365MonthlyReport.js';
import type { Caller, Vb365Services } from './context.js';
import { seesEverything, visibleOrganizationIds } from './scope.js';

async function licenseTerms(services: Vb365Services): Promise<Vb365LicenseBody | undefined> {
  return (await getLicenseTerms(services.store.db, 'vb365')) as Vb365LicenseBody | undefined;
}

/** The report's failures as domain errors (their messages are written for the client). */
function asDomainError(error: unknown): unknown {
  if (error instanceof NoReportError) return new NotFound(error.message);
  if (error instanceof ReportApprovedError) return new Conflict(error.message);
  if (error instanceof RemovalError || error instanceof OverviewRequestError) return new Invalid(error.message);
  return error;
}

/** `GET /v6/licensing/reports/latest`: the report (the caller's lines of it) and the instant it is read at. */
export async function latestMonthlyReport(services: Vb365Services, caller: Caller): Promise<{ report: FrozenVb365Report; now: number }> {
  const now = await services.clock.now();
  let report: FrozenVb365Report;
  try {
    report = await latestVb365Report(services.store.db, now, services.timeZone, await licenseTerms(services));
  } catch (error) {
    throw asDomainError(error);
  }
  if (seesEverything(caller)) return { report, now };
  const visible = await visibleOrganizationIds(services, caller);
  const own = (organizationId: string) => visible(organizationId.toLowerCase());
  return {
    report: {
      ...report,
      organizations: report.organizations.filter((line) => own(line.organizationId)),
      approval: report.approval && { ...report.approval, removals: report.approval.removals.filter((removal) => own(removal.organizationId)) },
    },
    now,
  };
}

export interface ReportRemovalInput {
  organizationId: string;
  removedUsersCount: number;
  removalReason: string;
}

/** `POST /v6/licensing/reports/{reportId}/approve`, audited. */
export async function approveMonthlyReport(
  services: Vb365Services,
  caller: Caller,
  input: { reportId: number; removals: readonly ReportRemovalInput[] },
): Promise<void> {
  if (!seesEverything(caller)) {
    throw new Forbidden('Access is denied: approving sends the whole installation\'s usage report, which an account confined to a scope may not do.');
  }
  const now = await services.clock.now();
  let approved: FrozenVb365Report;
  try {
    approved = await approveVb365Report(services.store.db, input.reportId, input.removals, now, services.timeZone, await licenseTerms(services));
  } catch (error) {
    throw asDomainError(error);
  }
  await audit.recordCommitted(services.store.db, caller, {
    action: 'report.approve',
    target: `vb365-report/${approved.reportId}`,
    details: { month: approved.month, removals: approved.approval?.removals ?? [] },
  });
}

export interface LicenseOverviewInput {
  startTime: string;
  endTime: string;
  format: 'PDF' | 'CSV';
  timezone?: string | undefined;
}

/** `POST /v6/Reports/GenerateLicenseOverview`: the file and its name. Intervals over a year are Invalid (licenseOverview.ts). */
export async function generateLicenseOverview(services: Vb365Services, caller: Caller, input: LicenseOverviewInput): Promise<{ fileName: string; content: Buffer }> {
  const now = await services.clock.now();
  const terms = await licenseTerms(services);
  let overview: LicenseOverview;
  try {
    const zone = overviewZone(input.timezone, services.timeZone);
    const start = overviewInstant('startTime', input.startTime, zone);
    const end = overviewInstant('endTime', input.endTime, zone);
    overview = await licenseOverview(services.store.db, { start, end, zone }, now, services.timeZone, await services.licensing.vb365License(now), terms?.licensedTo ?? '');
  } catch (error) {
    throw asDomainError(error);
  }
  if (!seesEverything(caller)) {
    const visible = await visibleOrganizationIds(services, caller);
    const organizations = overview.organizations.filter((line) => visible(line.organizationId));
    overview = {
      ...overview,
      organizations,
      totals: organizations.reduce((t, o) => ({ usersInUse: t.usersInUse + o.usersInUse, newUsers: t.newUsers + o.newUsers }), { usersInUse: 0, newUsers: 0 }),
    };
  }
  const pdf = input.format === 'PDF';
  return {
    fileName: overviewFileName(overview, pdf ? 'pdf' : 'csv'),
    content: pdf ? await licenseOverviewPdf(overview) : Buffer.from(overviewCsv(overview), 'utf8'),
  };
}
