/**
 * The VSPC month-end report through the admin API, as the caller may see it: a Portal
 * Administrator (or any unconfined account) the whole report; an account confined to a reseller
 * the companies of that reseller, one confined to a company that company, corrections included.
 * The frozen report itself is always the whole installation's: scope filters the answer, never
 * what is stored.
 */
import { listCompanies } from '../../store/entities.js';
import type { Role } from '../auth.js';
import type { Caller } from '../caller.js';
import type { ServiceContext } from '../context.js';
import { Conflict } from '../errors.js';
import { ReportMonthError, vspcMonthlyReport, type MonthlyReport } from '../monthlyReport.js';
import { companyVisibleTo, unconfined } from '../scope.js';

/** Who may read month-end reports: the provider, and the invoice-minded roles of resellers and companies (scoped). */
export const REPORT_READERS: readonly Role[] = ['PortalAdministrator'];

export async function vspcReport(ctx: ServiceContext, caller: Caller, month: string): Promise<MonthlyReport> {
  let report: MonthlyReport;
  try {
    report = await vspcMonthlyReport(ctx.store.db, month, await ctx.clock.now(), ctx.timeZone, await ctx.licensing.vspcLicense());
  } catch (error) {
    if (error instanceof ReportMonthError) throw new Conflict(error.message);
    throw error;
  }
  if (unconfined(caller.principal)) return report;
  const principal = caller.principal;
  const visible = new Set<string>();
  for (const company of await listCompanies(ctx.store.db)) if (companyVisibleTo(principal, company)) visible.add(company.uid);
  // As the report names them (a frozen report keeps the reseller the company had then).
  for (const company of report.companies) {
    if (companyVisibleTo(principal, { uid: company.companyUid, name: company.companyName, resellerUid: company.resellerUid, tenantUid: company.tenantUid })) {
      visible.add(company.companyUid);
    }
  }
  return {
    ...report,
    companies: report.companies.filter((c) => visible.has(c.companyUid)),
    corrections: report.corrections && { ...report.corrections, companies: report.corrections.companies.filter((c) => visible.has(c.companyUid)) },
  };
}
