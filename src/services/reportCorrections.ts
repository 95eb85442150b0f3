/**
 * The corrections of a month-end report as rows a person can read, shared by the CSV and the PDF:
 * one row per company and agent type whose numbers changed after the previous month was frozen,
 * with the company's name, every column before and after, and the counters paired by agent type
 * (not by position: a company can gain or lose a type).
 */
import type { ReportCounter } from '../domain/monthlyReport.js';
import type { MonthlyReport } from './monthlyReport.js';

export const COUNTER_FIELDS = ['reportedCount', 'reportedUnits', 'newCount', 'newUnits'] as const;
export type CounterField = (typeof COUNTER_FIELDS)[number];

export interface CorrectionRow {
  month: string;
  companyUid: string;
  companyName: string;
  tenantUid: string | null;
  type: string;
  unitType: string;
  /** What the frozen report said (zeros for a type it did not list). */
  was: Record<CounterField, number>;
  /** What the ledger says now. */
  is: Record<CounterField, number>;
}

const zero = (): Record<CounterField, number> => ({ reportedCount: 0, reportedUnits: 0, newCount: 0, newUnits: 0 });
const values = (counter: ReportCounter | undefined) => (counter ? { reportedCount: counter.reportedCount, reportedUnits: counter.reportedUnits, newCount: counter.newCount, newUnits: counter.newUnits } : zero());

/**
 * `names`: company names known to the caller (the store's companies), for a company the report's
 * own month no longer lists; the report's companies and a name carried by the correction come first.
 */
export function correctionRows(report: MonthlyReport, names: ReadonlyMap<string, string> = new Map()): CorrectionRow[] {
  if (!report.corrections) return [];
  const known = new Map(report.companies.map((c) => [c.companyUid, c]));
  return report.corrections.companies.flatMap((change) => {
    const company = known.get(change.companyUid);
    const carried = (change as { companyName?: string }).companyName;
    const companyName = carried ?? company?.companyName ?? names.get(change.companyUid) ?? change.companyUid;
    const types = [...new Set([...change.reported.map((c) => c.type), ...change.actual.map((c) => c.type)])];
    return types.flatMap((type) => {
      const before = change.reported.find((c) => c.type === type);
      const after = change.actual.find((c) => c.type === type);
      const was = values(before);
      const is = values(after);
      if (COUNTER_FIELDS.every((field) => was[field] === is[field])) return [];
      return [{
        month: report.corrections!.month,
        companyUid: change.companyUid,
        companyName,
        tenantUid: company?.tenantUid ?? null,
        type,
        unitType: (after ?? before)!.unitType,
        was,
        is,
      }];
    });
  });
}
