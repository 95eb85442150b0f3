/**
 * The licenses Tally knows about, as the engine sees them. One VB365 license and one VSPC console
 * license per installation, as in the products; either may be absent.
 */
import { DAY_MS, type Instant } from '../time.js';

export const VB365_LICENSE_TYPES = ['Subscription', 'Rental', 'Evaluation', 'NFR', 'Community'] as const;
export type Vb365LicenseType = (typeof VB365_LICENSE_TYPES)[number];

export interface Vb365License {
  type: Vb365LicenseType;
  /** Units in the license (users). */
  totalNumber: number;
  expirationDate: Instant | null;
  /** Automatic license update enabled: with a recent usage report it doubles the exceed allowance (rule 9). */
  autoUpdate: boolean;
  lastReportSentAt: Instant | null;
}

/** What the product does without an installed license: Community edition, 10 users, no allowance. */
export const COMMUNITY_LICENSE: Vb365License = {
  type: 'Community',
  totalNumber: 10,
  expirationDate: null,
  autoUpdate: false,
  lastReportSentAt: null,
};

export const VSPC_LICENSE_TYPES = ['Rental', 'Subscription', 'Evaluation', 'NFR', 'Perpetual'] as const;
export type VspcLicenseType = (typeof VSPC_LICENSE_TYPES)[number];

export const AGENT_MODES = ['server', 'workstation'] as const;
export type AgentMode = (typeof AGENT_MODES)[number];

export interface AgentWeights {
  server: number;
  workstation: number;
}

export interface VspcLicense {
  type: VspcLicenseType;
  edition: string | null;
  /** The pool (rule 17): points under Rental, instances otherwise. */
  units: number;
  expirationDate: Instant | null;
  weights: AgentWeights;
  /** Automatic license update enabled: with a usage report submitted in the last 30 days it doubles the exceed allowance (rule 17). */
  autoUpdate?: boolean;
  lastReportSentAt?: Instant | null;
}

/**
 * Default weights (units per agent). Rental counts points: 11 per server agent and 4 per
 * workstation agent, the values the seed example implies (rule 16). Other license types count
 * instances, one per agent. A license may override both.
 */
export function defaultAgentWeights(type: VspcLicenseType): AgentWeights {
  return type === 'Rental' ? { server: 11, workstation: 4 } : { server: 1, workstation: 1 };
}

/** Without an installed console license Tally counts as a rental license with default weights. */
export const DEFAULT_VSPC_LICENSE: VspcLicense = {
  type: 'Rental',
  edition: null,
  units: 0,
  expirationDate: null,
  weights: defaultAgentWeights('Rental'),
};

/**
 * How long a VSPC license keeps licensing agents after its expiration date (reference §2.5):
 * Rental 60 days, Subscription and NFR 30, Evaluation none. A Perpetual license does not lapse
 * (its date is taken as the end of support). Days are 24 hours.
 */
export function vspcExpiryGraceMs(type: VspcLicenseType): number {
  switch (type) {
    case 'Rental':
      return 60 * DAY_MS;
    case 'Subscription':
    case 'NFR':
      return 30 * DAY_MS;
    case 'Evaluation':
      return 0;
    case 'Perpetual':
      return Number.POSITIVE_INFINITY;
  }
}

/** The last instant at which the license still licenses agents; null when it never lapses. */
export function vspcLicensingEndsAt(license: VspcLicense): Instant | null {
  const grace = vspcExpiryGraceMs(license.type);
  return license.expirationDate === null || !Number.isFinite(grace) ? null : license.expirationDate + grace;
}

/** Past the expiry grace the console manages no agent any more: nothing consumes, nothing is new. */
export function vspcLicenseLapsed(license: VspcLicense | null, now: Instant): boolean {
  const end = license ? vspcLicensingEndsAt(license) : null;
  return end !== null && now > end;
}

/** Past its expiration date (the grace may still run); a Perpetual license never expires. */
export function vspcLicenseExpired(license: VspcLicense | null, now: Instant): boolean {
  return license !== null && license.type !== 'Perpetual' && license.expirationDate !== null && now > license.expirationDate;
}

/**
 * The next instant after `now` at which the license's own state changes with no new event: just
 * past its expiration date (it becomes Expired) and just past the end of its expiry grace (it
 * lapses); null when neither lies ahead.
 */
export function vspcLicenseChangesAt(license: VspcLicense, now: Instant): Instant | null {
  const candidates = [license.expirationDate, vspcLicensingEndsAt(license)]
    .filter((at): at is Instant => at !== null && at + 1 > now)
    .map((at) => at + 1);
  return candidates.length === 0 ? null : Math.min(...candidates);
}
