/**
 * The vocabulary of a Microsoft 365 organization as VB365 names it (the v6 document's
 * `OrganizationType` and `Region` enums): what the admin API accepts and the VB365 face answers.
 */
export const ORGANIZATION_TYPES = ['Office365', 'OnPremises', 'Hybrid'] as const;
export const ORGANIZATION_REGIONS = ['Worldwide', 'Germany', 'China', 'USDefence', 'USGovernment'] as const;

export type OrganizationType = (typeof ORGANIZATION_TYPES)[number];
export type OrganizationRegion = (typeof ORGANIZATION_REGIONS)[number];
