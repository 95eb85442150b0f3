/**
 * Services consumed by companies, day by day (VSPC `GET /organizations/companies/usage` and
 * `/organizations/companies/{companyUid}/usage`, "Get Services Usage"): one `CompanyUsage` per
 * company and day of the asked range, each with the counters Tally knows at the end of that day
 * (or at `now` for today): `ManagedServerAgents` and `ManagedWorkstationAgents`, the company's
 * managed agents by job mode whatever their license state. Counters of resources Tally does not
 * track (cloud repositories, VMs, Microsoft 365 sizes) are left out rather than reported as zero.
 *
 * The range follows the VSPC help page: `fromDate`/`toDate` are calendar dates (RFC 3339
 * full-date) in the installation's time zone, and the range must be shorter than 31 days. Without
 * dates the range is today; with `toDate` only, that day; with `fromDate` only, from it to today.
 * Days after today have no usage yet and are left out.
 *
 * Errors: NotFound for a company that does not exist or lies outside the caller's scope; Invalid
 * (naming `fromDate` or `toDate`) for a malformed date or range.
 */
import { DateTime } from 'luxon';
import type { Clock } from '../../clock.js';
import type { AgentMode } from '../../domain/licenses.js';
import { emptyBuckets } from '../../domain/vspc.js';
import { getCompany, listCompanies, type Company } from '../../store/entities.js';
import type { Store } from '../../store/database.js';
import { formatInstant } from '../../time.js';
import type { Principal } from '../auth.js';
import type { LicensingService } from '../licensing.js';
import { Invalid, NotFound } from '../errors.js';
import { companyVisibleTo } from '../scope.js';
import { scopeRefusal } from '../audit.js';

export interface CompaniesUsageDeps {
  store: Store;
  clock: Clock;
  timeZone: string;
  licensing: LicensingService;
}

export interface CompanyUsageCounter {
  value: number;
  type: 'ManagedServerAgents' | 'ManagedWorkstationAgents';
}

export interface CompanyUsage {
  companyUid: string;
  /** The day, as its first instant in the installation's time zone (ISO 8601, UTC). */
  date: string;
  counters: CompanyUsageCounter[];
}

export interface CompaniesUsageInput {
  /** One company; every company the caller may see when absent. */
  companyUid?: string;
  fromDate?: string;
  toDate?: string;
}

/** Shorter than 31 days, as VSPC requires ("Total time range must be less than 31 day"). */
const MAX_DAYS = 30;
const FULL_DATE = /^\d{4}-\d{2}-\d{2}$/;

const COUNTERS: readonly [CompanyUsageCounter['type'], AgentMode][] = [
  ['ManagedServerAgents', 'server'],
  ['ManagedWorkstationAgents', 'workstation'],
];

function parseDay(text: string, zone: string): DateTime | null {
  if (!FULL_DATE.test(text)) return null;
  const day = DateTime.fromISO(text, { zone });
  return day.isValid ? day.startOf('day') : null;
}

function invalid(field: 'fromDate' | 'toDate', message: string): Invalid {
  return new Invalid(message, [{ field, message }]);
}

export async function companiesUsage(deps: CompaniesUsageDeps, principal: Principal, input: CompaniesUsageInput): Promise<CompanyUsage[]> {
  const zone = deps.timeZone;
  const days: Partial<Record<'fromDate' | 'toDate', DateTime>> = {};
  for (const parameter of ['fromDate', 'toDate'] as const) {
    const text = input[parameter];
    if (text === undefined) continue;
    const day = parseDay(text, zone);
    if (!day) throw invalid(parameter, `The value '${text}' is not valid for ${parameter}: it must be a date (YYYY-MM-DD).`);
    days[parameter] = day;
  }

  let companies: Company[];
  if (input.companyUid !== undefined) {
    const company = await getCompany(deps.store.db, input.companyUid.toLowerCase());
    // A company the caller may not see answers as a missing one.
    const missing = new NotFound(`Company with UID ${input.companyUid} does not exist.`);
    if (!company) throw missing;
    if (!companyVisibleTo(principal, company)) throw await scopeRefusal(deps.store.db, { principal }, `company/${company.uid}`, missing);
    companies = [company];
  } else {
    companies = (await listCompanies(deps.store.db)).filter((c) => companyVisibleTo(principal, c));
  }

  const now = await deps.clock.now();
  const today = DateTime.fromMillis(now, { zone }).startOf('day');
  const to = days.toDate ?? today;
  const from = days.fromDate ?? (days.toDate ?? today);
  if (from > to) throw invalid('fromDate', 'The value of fromDate must not be after toDate.');
  if (to.diff(from, 'days').days >= MAX_DAYS + 1) throw invalid('toDate', 'The time range must be less than 31 days.');

  const usage: CompanyUsage[] = [];
  const perDay: { date: string; counts: Map<string, Record<AgentMode, number>> }[] = [];
  for (let day = from; day <= to && day <= today; day = day.plus({ days: 1 })) {
    // The end of the day, or now for today: managed agents whatever their license (no license applied).
    const at = Math.min(day.plus({ days: 1 }).toMillis() - 1, now);
    const pool = await deps.licensing.agentPool(at, null);
    const counts = new Map<string, Record<AgentMode, number>>();
    for (const company of companies) {
      const buckets = pool.byCompany.get(company.uid) ?? emptyBuckets();
      counts.set(company.uid, { server: buckets.server.used + buckets.server.new, workstation: buckets.workstation.used + buckets.workstation.new });
    }
    perDay.push({ date: formatInstant(day.toMillis()), counts });
  }
  for (const company of companies) {
    for (const { date, counts } of perDay) {
      const count = counts.get(company.uid)!;
      usage.push({ companyUid: company.uid, date, counters: COUNTERS.map(([type, mode]) => ({ value: count[mode], type })) });
    }
  }
  return usage;
}
