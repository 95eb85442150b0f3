/**
 * Instants are epoch milliseconds (UTC) everywhere inside Tally; this module converts at the edges
 * and answers calendar questions (month boundaries) in a configured IANA time zone.
 */
import { DateTime, IANAZone, type Zone } from 'luxon';

export type Instant = number;

export const DAY_MS = 86_400_000;

// RFC 3339 date-time with a mandatory offset (Z or ±hh:mm); up to 9 fractional digits.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 timestamp with offset; returns epoch ms (sub-millisecond digits truncated) or
 * null. The one date-time parser of Tally: requests, the ledger's stored events, configuration.
 */
export function parseRfc3339(text: string): Instant | null {
  return canonicalInstant(text) ?? parseAnyRfc3339(text);
}

function parseAnyRfc3339(text: string): Instant | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, offset] = m as unknown as string[];
  const month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return null;
  const daysInMonth = new Date(utcDate(Number(y), month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  const ms = frac ? Number(frac.slice(1, 4).padEnd(3, '0')) : 0;
  let offsetMin = 0;
  if (offset && offset !== 'Z' && offset !== 'z') {
    const sign = offset[0] === '-' ? -1 : 1;
    const oh = Number(offset.slice(1, 3)), om = Number(offset.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offsetMin = sign * (oh * 60 + om);
  }
  // A leap second (:60) is folded onto the next second, as most systems do.
  const utc = utcDate(Number(y), month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
  return Number.isFinite(utc) ? utc : null;
}

function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The instant of a date-time in the canonical form (`2026-11-01T08:00:00.000Z`, what
 * `formatInstant` writes, what the ledger stores and most clients send), read without a regular
 * expression: ingestion reads one per event. Null for any other form, which the general parser
 * reads; years before 1000 and leap seconds are left to it too. Gives what the general parser
 * gives wherever it answers (test/time.test.ts).
 */
export function canonicalInstant(text: string): Instant | null {
  if (text.length !== 24 || text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':' || text[19] !== '.' || text[23] !== 'Z') {
    return null;
  }
  const year = digits(text, 0, 4), month = digits(text, 5, 7), day = digits(text, 8, 10);
  const hour = digits(text, 11, 13), minute = digits(text, 14, 16), second = digits(text, 17, 19), ms = digits(text, 20, 23);
  // NaN fails every comparison below.
  if (!(year >= 1000 && month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59 && ms >= 0)) return null;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days ? Date.UTC(year, month - 1, day, hour, minute, second, ms) : null;
}

/**
 * `Date.UTC` with the year taken as written: `Date.UTC` reads years 0–99 as 1900–1999, so an
 * event dated `0050-01-01` would silently land in 1950.
 */
function utcDate(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const date = new Date(Date.UTC(2000, month, day, hour, minute, second, ms));
  date.setUTCFullYear(year, month, day);
  return date.getTime();
}

// The same date-time without an offset.
const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/;

/**
 * A date-time without an offset (as .NET clients send UTC dates) read as a wall-clock time in
 * `zone`; null for any other text or a time that does not exist there.
 */
export function parseLocalDateTime(text: string, zone: string | Zone): Instant | null {
  if (!LOCAL_DATE_TIME.test(text)) return null;
  const local = DateTime.fromISO(text, { zone });
  return local.isValid ? local.toMillis() : null;
}

/** For tests: the general parser alone, without the canonical form's shortcut. */
export const parseRfc3339Generally = parseAnyRfc3339;

/** ISO-8601 in UTC with milliseconds: 2026-11-23T10:00:00.000Z. */
export function formatInstant(at: Instant): string {
  return new Date(at).toISOString();
}

export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** 00:00 on the first day of the calendar month that contains `at`, in `zone`. */
export function startOfMonth(at: Instant, zone: string): Instant {
  return DateTime.fromMillis(at, { zone }).startOf('month').toMillis();
}

/** The same wall-clock time one calendar month earlier, in `zone` (clamped to the month's last day). */
export function oneMonthBefore(at: Instant, zone: string): Instant {
  return DateTime.fromMillis(at, { zone }).minus({ months: 1 }).toMillis();
}

/** The same wall-clock time `months` calendar months later, in `zone` (clamped to the month's last day). */
export function plusMonths(at: Instant, months: number, zone: string): Instant {
  return DateTime.fromMillis(at, { zone }).plus({ months }).toMillis();
}

/** 00:00 on the first day of the calendar month after the one that contains `at`, in `zone`. */
export function startOfNextMonth(at: Instant, zone: string): Instant {
  return DateTime.fromMillis(at, { zone }).startOf('month').plus({ months: 1 }).toMillis();
}

/**
 * The first instant in (after, limit] at which `condition` holds, for a condition that, once it
 * holds, keeps holding (found by bisection); `limit` when it never does before.
 */
export function firstInstantWhen(condition: (at: Instant) => boolean, after: Instant, limit: Instant): Instant {
  let low = after; // condition false (or not asked) here
  let high = limit;
  if (!condition(high)) return high;
  while (high - low > 1) {
    const middle = low + Math.floor((high - low) / 2);
    if (condition(middle)) high = middle;
    else low = middle;
  }
  return high;
}
