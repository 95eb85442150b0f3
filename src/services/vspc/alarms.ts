/**
 * VSPC alarms Tally can know: the license alarms of the console license, computed from the
 * licensing services at `now` (nothing is stored, nothing to acknowledge).
 *
 * Templates (`GET /alarms/templates`), fixed uids, all predefined and enabled:
 * - License expiration: active from 30 days before the VSPC license expires (Warning), Error once
 *   it has expired; activated at the start of that window (or at the expiry).
 * - License usage exceeded: active while consuming agents are beyond the license's units (rule 17:
 *   Licensed by exceed or Unlicensed), Warning; activated when the rental over-limit period began
 *   (60 days before the exceed allowance ends) where the pool says so, else at `now`.
 * - Unlicensed agents: active while agents are Unlicensed (beyond the allowance, or the license
 *   lapsed), Error; activated like the previous one, or at the end of the allowance once it has
 *   passed.
 * With no license installed nothing is licensed and no alarm applies (VSPC without a license is
 * not in use). Active alarms concern the whole installation: portal-wide accounts see them;
 * accounts confined to a reseller or company see none. An active alarm's uid is derived from its
 * template and activation instant, so it is the same on every call while the condition lasts.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { DAY_MS, formatInstant } from '../../time.js';
import type { Store } from '../../store/database.js';
import { hasAnyRole, type Principal } from '../auth.js';
import { installationId } from '../installationIds.js';
import type { LicensingService } from '../licensing.js';

export interface AlarmDeps {
  store: Store;
  clock: Clock;
  licensing: LicensingService;
}

export interface AlarmTemplate {
  instanceUid: string;
  name: string;
  description: string;
  organizationUid: string;
  isPredefined: true;
  isEnabled: true;
}

export type AlarmStatus = 'Warning' | 'Error';

export interface ActiveAlarm {
  instanceUid: string;
  alarmTemplateUid: string;
  repeatCount: number;
  object: { organizationUid: string; objectUid: string; objectName: string };
  lastActivation: { instanceUid: string; time: string; status: AlarmStatus; message: string; remark: string };
}

export const EXPIRATION_TEMPLATE = '7a11e000-0000-4000-8000-000000000001';
export const OVER_LICENSE_TEMPLATE = '7a11e000-0000-4000-8000-000000000002';
export const UNLICENSED_TEMPLATE = '7a11e000-0000-4000-8000-000000000003';
export const EXPIRATION_WARNING_MS = 30 * DAY_MS;
/** Rental exceed allowance (rule 17): the over-limit period began this long before it ends. */
const EXCEED_ALLOWANCE_MS = 60 * DAY_MS;

const TEMPLATES: readonly Omit<AlarmTemplate, 'organizationUid'>[] = [
  { instanceUid: EXPIRATION_TEMPLATE, name: 'License expiration', description: 'The Veeam Service Provider Console license expires within 30 days or has expired.', isPredefined: true, isEnabled: true },
  { instanceUid: OVER_LICENSE_TEMPLATE, name: 'License usage exceeded', description: 'Managed backup agents consume more units than the license provides.', isPredefined: true, isEnabled: true },
  { instanceUid: UNLICENSED_TEMPLATE, name: 'Unlicensed backup agents', description: 'Managed backup agents are not licensed.', isPredefined: true, isEnabled: true },
];

const providerWide = (principal: Principal) => hasAnyRole(principal, ['PortalAdministrator']) || principal.scopeUid === null;

/** A UUID (version 5 layout) from a name: the same condition keeps the same uid. */
function nameUuid(name: string): string {
  const hex = createHash('sha1').update(name).digest('hex').slice(0, 32).split('');
  hex[12] = '5';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export async function alarmTemplates(deps: AlarmDeps): Promise<AlarmTemplate[]> {
  // The provider's organization: Tally has no provider entity, so its uid is the installation's.
  const organizationUid = await installationId(deps.store, 'vspc.installationId');
  return TEMPLATES.map((t) => ({ ...t, organizationUid }));
}

export async function activeAlarms(deps: AlarmDeps, principal: Principal): Promise<ActiveAlarm[]> {
  if (!providerWide(principal)) return [];
  const license = await deps.licensing.vspcLicense();
  if (!license) return [];
  const now = await deps.clock.now();
  const organizationUid = await installationId(deps.store, 'vspc.installationId');
  const object = { organizationUid, objectUid: organizationUid, objectName: 'Veeam Service Provider Console license' };
  const alarms: ActiveAlarm[] = [];
  const raise = (templateUid: string, since: number, status: AlarmStatus, message: string) => {
    const instanceUid = nameUuid(`${templateUid}:${since}`);
    alarms.push({
      instanceUid,
      alarmTemplateUid: templateUid,
      repeatCount: 1,
      object,
      lastActivation: { instanceUid: nameUuid(`${templateUid}:${since}:${status}`), time: formatInstant(since), status, message, remark: '' },
    });
  };

  const expires = license.expirationDate;
  if (expires !== null && now >= expires - EXPIRATION_WARNING_MS) {
    if (now > expires) raise(EXPIRATION_TEMPLATE, expires, 'Error', `The license expired on ${formatInstant(expires)}.`);
    else raise(EXPIRATION_TEMPLATE, expires - EXPIRATION_WARNING_MS, 'Warning', `The license expires on ${formatInstant(expires)}.`);
  }

  const pool = await deps.licensing.agentPool(now, license);
  const overSince = pool.exceedEndsAt !== null ? pool.exceedEndsAt - EXCEED_ALLOWANCE_MS : now;
  if (pool.licensedByExceed + pool.unlicensed > 0 && !pool.lapsed) {
    raise(OVER_LICENSE_TEMPLATE, overSince, 'Warning',
      `Managed agents exceed the license: ${pool.licensedByExceed} agent(s) licensed by exceed, ${pool.unlicensed} agent(s) unlicensed.`);
  }
  if (pool.unlicensed > 0) {
    const since = pool.lapsed && expires !== null ? expires : pool.exceedEndsAt !== null && pool.exceedEndsAt <= now ? pool.exceedEndsAt : overSince;
    raise(UNLICENSED_TEMPLATE, since, 'Error', `${pool.unlicensed} managed agent(s) are not licensed.`);
  }
  return alarms;
}
