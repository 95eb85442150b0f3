/**
 * The VB365 License Overview report (`POST /v6/Reports/GenerateLicenseOverview`): license usage
 * per organization over a reporting interval, as a CSV or PDF file.
 *
 * Decisions (the product's report: "includes all organizations that consumed the license within
 * the specified period"; its "in use" includes new users; under Rental it shows new users per
 * organization):
 * - `usersInUse`: users that held a unit at some instant of the interval, New or not;
 * - `newUsers`: users that had the New status at some instant of it (always 0 unless Rental);
 * - registered organizations with at least one user in use, by name;
 * - the New status follows the server's month boundaries (`--time-zone`); the request's time zone
 *   reads offset-less times and renders the dates of the file;
 * - an interval reaching past the clock is computed up to now (events after now have not happened).
 */
import { csvRows } from './csv.js';
import type { Kysely } from 'kysely';
import { DateTime, FixedOffsetZone, IANAZone, type Zone } from 'luxon';
import { COMMUNITY_LICENSE, type Vb365License } from '../domain/licenses.js';
import { licensedUnits } from '../domain/vb365.js';
import { usageByOrganization } from '../domain/vb365MonthlyReport.js';
import { listOrganizations } from '../store/entities.js';
import type { Database } from '../store/schema.js';
import { userHistoriesBetween } from '../store/vb365Histories.js';
import { byName } from './vb365MonthlyReport.js';
import { parseLocalDateTime, parseRfc3339 } from '../time.js';

export class OverviewRequestError extends Error {}

const OFFSET_ZONE = /^UTC([+-])(\d{1,2})(?::(\d{2}))?$/i;

/**
 * The request's `timezone`: omitted or `UTC` → UTC; `Local` → the server's configured zone;
 * `UTC+05:00` / `UTC-11:30` (the forms the v6 documentation lists) → a fixed offset; otherwise an
 * IANA name (`Europe/Berlin`). Anything else is refused.
 */
export function overviewZone(text: string | undefined, serverZone: string): Zone {
  if (text === undefined || text.toUpperCase() === 'UTC') return FixedOffsetZone.utcInstance;
  if (text.toLowerCase() === 'local') return IANAZone.create(serverZone);
  const offset = OFFSET_ZONE.exec(text);
  if (offset) {
    const hours = Number(offset[2]);
    const minutes = Number(offset[3] ?? 0);
    if (hours <= 14 && minutes < 60) return FixedOffsetZone.instance((offset[1] === '-' ? -1 : 1) * (hours * 60 + minutes));
  } else if (IANAZone.isValidZone(text)) {
    return IANAZone.create(text);
  }
  throw new OverviewRequestError(`The time zone '${text}' is not known: use UTC, Local, UTC+hh:mm, UTC-hh:mm or an IANA name such as Europe/Berlin.`);
}

/** A date-time with an offset is an instant; one without (as .NET clients send UTC dates) is a wall-clock time in `zone`. */
export function overviewInstant(field: string, text: string, zone: Zone): number {
  const exact = parseRfc3339(text);
  if (exact !== null) return exact;
  const local = parseLocalDateTime(text, zone);
  if (local !== null) return local;
  throw new OverviewRequestError(`The value '${text}' is not valid for ${field}: it must be a date-time such as 2026-10-01T00:00:00Z.`);
}

/**
 * The longest reporting interval: Veeam documents a default of 30 days and no maximum, so Tally
 * takes one year (issue 19: an interval from the year 1000 kept the server busy for minutes).
 * A year is counted in the request's zone, so a leap day or a DST shift does not refuse an
 * interval from one date to the same date a year later.
 */
export const MAX_OVERVIEW_YEARS = 1;

export function maxOverviewEnd(start: number, zone: Zone): number {
  return DateTime.fromMillis(start, { zone }).plus({ years: MAX_OVERVIEW_YEARS }).toMillis();
}

export interface LicenseOverviewLine {
  organizationId: string;
  organizationName: string;
  usersInUse: number;
  newUsers: number;
}

export interface LicenseOverview {
  periodStart: number;
  /** Exclusive; the requested end, or now when that lies ahead. */
  periodEnd: number;
  zone: Zone;
  generatedAt: number;
  licenseType: Vb365License['type'];
  licensedTo: string;
  totalUnits: number;
  organizations: LicenseOverviewLine[];
  totals: { usersInUse: number; newUsers: number };
}

export async function licenseOverview(
  db: Kysely<Database>,
  request: { start: number; end: number; zone: Zone },
  now: number,
  serverZone: string,
  license: Vb365License | null,
  licensedTo: string,
): Promise<LicenseOverview> {
  if (request.start >= request.end) throw new OverviewRequestError('startTime must be before endTime.');
  if (request.start > now) throw new OverviewRequestError('The reporting interval lies in the future: startTime is after the current time.');
  if (request.end > maxOverviewEnd(request.start, request.zone)) {
    throw new OverviewRequestError(`The reporting interval is longer than ${MAX_OVERVIEW_YEARS} year: endTime must be at most ${MAX_OVERVIEW_YEARS} year after startTime.`);
  }
  // [start, end) up to and including now.
  const end = Math.min(request.end, now + 1);
  const terms = license ?? COMMUNITY_LICENSE;
  const usage = usageByOrganization(await userHistoriesBetween(db, request.start, end), terms, request.start, end, serverZone);
  const byId = new Map(usage.map((u) => [u.organizationId, u]));
  const organizations = byName(await listOrganizations(db)).flatMap((org) => {
    const found = byId.get(org.id);
    return found ? [{ organizationId: org.id, organizationName: org.name, usersInUse: found.usersInUse, newUsers: found.newUsers }] : [];
  });
  return {
    periodStart: request.start,
    periodEnd: Math.min(request.end, now),
    zone: request.zone,
    generatedAt: now,
    licenseType: terms.type,
    licensedTo,
    totalUnits: licensedUnits(terms),
    organizations,
    totals: organizations.reduce((t, o) => ({ usersInUse: t.usersInUse + o.usersInUse, newUsers: t.newUsers + o.newUsers }), { usersInUse: 0, newUsers: 0 }),
  };
}

/** An instant in the report's zone, ISO-8601 with its offset (`Z` where the offset is zero, whichever zone says so). */
export function inZone(at: number, zone: Zone): string {
  const local = DateTime.fromMillis(at, { zone });
  return (local.offset === 0 ? local.toUTC() : local).toISO()!;
}

/** `LicenseOverview_2026-10-01_2026-11-01.csv`: the interval's dates in the report's zone. */
export function overviewFileName(overview: LicenseOverview, extension: 'csv' | 'pdf'): string {
  const day = (at: number) => DateTime.fromMillis(at, { zone: overview.zone }).toFormat('yyyy-MM-dd');
  return `LicenseOverview_${day(overview.periodStart)}_${day(overview.periodEnd)}.${extension}`;
}

/** One row per organization: periodStart, periodEnd, organizationId, organizationName, usersInUse, newUsers. */
export function overviewCsv(overview: LicenseOverview): string {
  const header = ['periodStart', 'periodEnd', 'organizationId', 'organizationName', 'usersInUse', 'newUsers'];
  const start = inZone(overview.periodStart, overview.zone);
  const end = inZone(overview.periodEnd, overview.zone);
  const rows = overview.organizations.map((o) => [start, end, o.organizationId, o.organizationName, o.usersInUse, o.newUsers]);
  return csvRows([header, ...rows]);
}
