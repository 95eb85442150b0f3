/**
 * The two seed endpoints and their exact answers (vendored from the design contract §3 so that the
 * bench needs nothing outside the repository). The bench ledgers contain the seed organization and
 * company with exactly the workloads that make Tally answer these bytes, so Tally, the bare
 * node:http reference and the Prism mock all serve the same body.
 */
export const SEED_ORGANIZATION_ID = '92460656-7a85-4a04-b1af-1ea903c0bc2e';
export const SEED_COMPANY_UID = 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e';
export const SEED_TENANT_UID = 'b4971992-84ac-4dee-b837-95c8db275f28';

export type Endpoint = 'vb365' | 'vspc';
export const ENDPOINTS: readonly Endpoint[] = ['vb365', 'vspc'];

export const SEED_PATHS: Record<Endpoint, string> = {
  vb365: `/v6/Organizations/${SEED_ORGANIZATION_ID}/LicensingInformation`,
  vspc: `/api/v3/licensing/console/usage/companies/vcc/${SEED_TENANT_UID}`,
};

export const SEED_BODIES: Record<Endpoint, string> = {
  vb365: '{"licensedUsers":100,"newUsers":0}',
  vspc:
    '{"data":{"companyUid":"f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e","tenantUid":"b4971992-84ac-4dee-b837-95c8db275f28","counters":[' +
    '{"type":"vaC_Server_Agent","unitType":"points","usedUnits":0.0,"usedCount":0,"newUnits":22.0,"newCount":2},' +
    '{"type":"vaC_Workstation_Agent","unitType":"points","usedUnits":0.0,"usedCount":0,"newUnits":8.0,"newCount":2}]}}',
};

export const SEED_CONTENT_TYPE = 'application/json; charset=utf-8';
