/**
 * Row types of every table, for Kysely. Instants are epoch milliseconds stored as 64-bit integers;
 * structured values (roles, license terms, event content) are JSON text, which both SQLite and
 * PostgreSQL store without a dialect-specific type.
 */
import type { Generated } from 'kysely';

export interface ResellerRow {
  uid: string;
  name: string;
}

export interface CompanyRow {
  uid: string;
  name: string;
  reseller_uid: string | null;
  tenant_uid: string | null;
}

export interface OrganizationRow {
  id: string;
  name: string;
  office_name: string | null;
  type: string;
  region: string;
  company_uid: string | null;
}

export interface LicenseRow {
  product: 'vb365' | 'vspc';
  terms: string;
}

/** The ledger: every accepted event, forever. `content` is the canonical JSON used for idempotency. */
export interface EventRow {
  seq: Generated<number>;
  id: string;
  type: string;
  at: number;
  /** organizationId or companyUid, when the event names one. */
  scope_id: string | null;
  /** The workload: VB365 user id or VSPC agent uid. */
  subject_id: string;
  content: string;
  ingested_at: number;
}

/**
 * Read model: one row per (organization, user) with counting backups or a license revocation,
 * kept by ingestion: first and last counting backup, latest name, latest revocation.
 */
export interface Vb365UserRow {
  organization_id: string;
  user_id: string;
  name: string;
  first_backup_at: number | null;
  last_backup_at: number | null;
  revoked_at: number | null;
}

/** Read model: every company an agent was ever activated in, so a company's agents are found by index. */
export interface VspcAgentCompanyRow {
  agent_uid: string;
  company_uid: string;
}

/** Read model: each agent's state after all its events. */
export interface VspcAgentRow {
  agent_uid: string;
  company_uid: string | null;
  mode: string | null;
  activated_at: number | null;
  active: number;
  last_event_at: number;
}

export interface AccountRow {
  username: string;
  /** Stable UUID of the account (VSPC `userUid`); null only between migration 0005's column and its backfill. */
  uid: string | null;
  password_hash: string;
  roles: string;
  scope_uid: string | null;
  disabled: number;
  created_at: number;
}

export interface TokenRow {
  token_hash: string;
  kind: 'access' | 'refresh';
  username: string;
  issued_at: number;
  expires_at: number;
  /** The login a token descends from (every refresh stays in its family); null for tokens older than migration 0005. */
  family_id: string | null;
  /** When a refresh token was used; a spent token is kept until it expires so that its reuse is recognised. */
  spent_at: number | null;
}

/** A long-lived API key of an account (VSPC "simple key"), stored only as its SHA-256. */
export interface ApiKeyRow {
  id: string;
  username: string;
  name: string;
  key_hash: string;
  read_only: number;
  created_at: number;
}

/** One recorded change: who (actor), when (server wall clock), from where, what. Never secrets. */
export interface AuditRow {
  id: Generated<number>;
  at: number;
  actor: string;
  actor_uid: string | null;
  client_address: string | null;
  action: string;
  target: string;
  details: string;
}

/** A frozen monthly report (JSON), one per product and month. */
export interface ReportRow {
  product: 'vspc' | 'vb365';
  month: string;
  generated_at: number;
  content: string;
}

/** Failed logins of one account or client address within the current window. */
export interface LoginAttemptRow {
  key: string;
  window_start: number;
  failures: number;
}

/** `X-Request-id` idempotency (VSPC face): one answer per account and request id, for five minutes. */
export interface RequestIdRow {
  account: string;
  request_id: string;
  fingerprint: string;
  state: 'pending' | 'done';
  status: number | null;
  /** JSON object of the answer's replayed headers (content type, caching, Allow, Retry-After, …). */
  headers: string | null;
  body: string | null;
  created_at: number;
  expires_at: number;
}

export interface SettingRow {
  key: string;
  value: string;
}

/** Read model for the month-end report: one row per stretch an agent was managed by one company in one mode. */
export interface VspcAgentSegmentRow {
  agent_uid: string;
  from_at: number;
  /** Exclusive; null while the stretch lasts. */
  to_at: number | null;
  company_uid: string;
  mode: string;
  activated_at: number;
}

/** Change counters read by every node to validate its caches (`generation.ts`). */
export interface GenerationRow {
  name: string;
  value: number;
}

export interface Database {
  resellers: ResellerRow;
  companies: CompanyRow;
  organizations: OrganizationRow;
  licenses: LicenseRow;
  events: EventRow;
  vb365_users: Vb365UserRow;
  vspc_agent_companies: VspcAgentCompanyRow;
  vspc_agents: VspcAgentRow;
  vspc_agent_segments: VspcAgentSegmentRow;
  generations: GenerationRow;
  accounts: AccountRow;
  tokens: TokenRow;
  api_keys: ApiKeyRow;
  audit_log: AuditRow;
  settings: SettingRow;
  reports: ReportRow;
  login_attempts: LoginAttemptRow;
  request_ids: RequestIdRow;
}
