/**
 * The synthetic ledgers the bench measures, as a deterministic function of (kind, size): the same
 * arguments give the same entities and the same events, byte for byte, so a cached database is
 * valid for as long as GENERATOR_VERSION does not change.
 *
 * - `reads` ledgers hold `size` workloads, half VB365 users and half VSPC agents: the seed
 *   organization (100 users) and the seed company (2 server and 2 workstation agents activated this
 *   month) that make Tally answer the seed bodies, plus a pool of organizations of 500 users and
 *   companies of 100 agents. One event per workload: the answers read one read-model row per
 *   workload, whatever the number of events behind it.
 * - `report` ledgers hold `size` agents in companies of 100 (1M agents = 10,000 companies), with
 *   deactivations and mode changes, for the month-end report.
 */
import { SEED_COMPANY_UID, SEED_ORGANIZATION_ID, SEED_TENANT_UID } from './seed.js';

/** Bump when anything below changes what is generated, or Tally's database files change (2: 16 KiB pages): cached databases are keyed by it. */
export const GENERATOR_VERSION = 2;

/** The fixed instant every bench server answers at (`--clock`), so cached ledgers stay valid. */
export const CLOCK = '2026-11-20T12:00:00.000Z';
export const REPORT_MONTH = '2026-11';
export const ADMIN_PASSWORD = 'bench-admin-password';

const NOW = Date.parse(CLOCK);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONTH_START = Date.parse('2026-11-01T00:00:00Z');

export const USERS_PER_ORGANIZATION = 500;
export const AGENTS_PER_COMPANY = 100;
const SEED_USERS = 100;
const SEED_AGENTS = 4;

export type LedgerKind = 'reads' | 'report';

export interface LedgerPlan {
  kind: LedgerKind;
  size: number;
  users: number;
  agents: number;
  organizations: number;
  companies: number;
  events: number;
}

export function planLedger(kind: LedgerKind, size: number): LedgerPlan {
  if (kind === 'report') {
    const companies = Math.ceil(size / AGENTS_PER_COMPANY);
    const count = (mod: number, rest: number) => Math.floor(size / mod) + (size % mod > rest ? 1 : 0);
    const events = size + count(MODE_CHANGE_EVERY, MODE_CHANGE_AT) + count(DEACTIVATION_EVERY, DEACTIVATION_AT);
    return { kind, size, users: 0, agents: size, organizations: 0, companies, events };
  }
  if (size < 2 * (SEED_USERS + SEED_AGENTS)) throw new Error(`a reads ledger needs at least ${2 * (SEED_USERS + SEED_AGENTS)} workloads`);
  const users = Math.ceil(size / 2);
  const agents = size - users;
  return {
    kind,
    size,
    users,
    agents,
    organizations: 1 + Math.ceil((users - SEED_USERS) / USERS_PER_ORGANIZATION),
    companies: 1 + Math.ceil((agents - SEED_AGENTS) / AGENTS_PER_COMPANY),
    events: size,
  };
}

/** Parses `1k`, `100k`, `1M`, `10M` or a plain number. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text.trim());
  if (!m) throw new Error(`not a size: ${JSON.stringify(text)} (use e.g. 1k, 100k, 1M, 10M)`);
  const factor = m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1_000 : 1_000_000;
  return Math.round(Number(m[1]) * factor);
}

export function formatSize(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1_000 && n % 1_000 === 0) return `${n / 1_000}k`;
  return String(n);
}

// --- deterministic identifiers ------------------------------------------------------------------

function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex8 = (n: number) => HEX[n >>> 24]! + HEX[(n >>> 16) & 255]! + HEX[(n >>> 8) & 255]! + HEX[n & 255]!;
const hex4 = (n: number) => HEX[(n >>> 8) & 255]! + HEX[n & 255]!;

/**
 * A random-looking v4 UUID for item `i` of namespace `ns`: real Veeam identifiers are random
 * GUIDs, and random keys are what index inserts and look-ups face in production. Unique within a
 * namespace (mix32 is a bijection).
 */
export function uuidOf(ns: number, i: number): string {
  const a = mix32(i ^ Math.imul(ns + 1, 0x9e3779b9));
  const b = mix32(a ^ Math.imul(ns + 7, 0x85ebca6b));
  const c = mix32(b + i);
  const d = mix32(c ^ 0xc2b2ae35);
  // 8-4-4-4-12 with the version nibble 4 and the variant bits 10.
  return `${hex8(a)}-${hex4(b >>> 16)}-${hex4(0x4000 | (b & 0x0fff))}-${hex4(0x8000 | (c >>> 18))}-${hex4(c & 0xffff)}${hex8(d)}`;
}

const NS = { organization: 1, company: 2, tenant: 3, user: 4, agent: 5, reportCompany: 6, reportTenant: 7, reportAgent: 8 };

// --- entities -----------------------------------------------------------------------------------

export interface EntityRequest {
  path: string;
  body: Record<string, unknown>;
}

/** The admin API PUTs that precede the events: licenses, organizations, companies. */
export function* entityRequests(plan: LedgerPlan): Generator<EntityRequest> {
  yield {
    path: '/tally/v1/licenses/vb365',
    // Above the number of users: every user in the window is Licensed (the common case).
    body: { type: 'Subscription', totalNumber: 100_000_000, expirationDate: '2027-12-31T00:00:00Z', licensedTo: 'Bench Cloud' },
  };
  yield {
    path: '/tally/v1/licenses/vspc',
    body: { type: 'Rental', edition: 'Enterprise Plus', units: 1_000_000_000, expirationDate: '2027-12-31T00:00:00Z', weights: { server: 11, workstation: 4 } },
  };
  if (plan.kind === 'report') {
    for (let c = 0; c < plan.companies; c++) {
      yield { path: `/tally/v1/companies/${uuidOf(NS.reportCompany, c)}`, body: { name: `Report Company ${c}`, tenantUid: uuidOf(NS.reportTenant, c) } };
    }
    return;
  }
  yield { path: `/tally/v1/organizations/${SEED_ORGANIZATION_ID}`, body: { name: 'seed.onmicrosoft.com' } };
  for (let o = 0; o < plan.organizations - 1; o++) {
    yield { path: `/tally/v1/organizations/${uuidOf(NS.organization, o)}`, body: { name: `org${o}.onmicrosoft.com` } };
  }
  yield { path: `/tally/v1/companies/${SEED_COMPANY_UID}`, body: { name: 'Alpine Dental Group', tenantUid: SEED_TENANT_UID } };
  for (let c = 0; c < plan.companies - 1; c++) {
    yield { path: `/tally/v1/companies/${uuidOf(NS.company, c)}`, body: { name: `Company ${c}`, tenantUid: uuidOf(NS.tenant, c) } };
  }
}

// --- events -------------------------------------------------------------------------------------

const iso = (ms: number) => new Date(ms).toISOString();

// Template strings rather than JSON.stringify (every value here is plain ASCII without quotes):
// generating 10 million lines must stay far cheaper than ingesting them.
function backup(id: string, at: number, organizationId: string, userId: string, name: string): string {
  return `{"id":"${id}","type":"vb365.backup","at":"${iso(at)}","organizationId":"${organizationId}","user":{"id":"${userId}","name":"${name}"}}`;
}

function activation(id: string, at: number, companyUid: string, agentUid: string, name: string, mode: string): string {
  return `{"id":"${id}","type":"vspc.agentActivated","at":"${iso(at)}","companyUid":"${companyUid}","agent":{"uid":"${agentUid}","name":"${name}","mode":"${mode}"}}`;
}

function userEvent(u: number): string {
  if (u < SEED_USERS) {
    // Backed up within the last 31 days, first backup before this month: 100 licensed, 0 new.
    const at = MONTH_START - (1 + (u % 20)) * HOUR;
    return backup(`bench:seed-user:${u}`, at, SEED_ORGANIZATION_ID, uuidOf(NS.user, 0xfff00000 + u), `seed${u}@seed.onmicrosoft.com`);
  }
  const p = u - SEED_USERS;
  const o = Math.floor(p / USERS_PER_ORGANIZATION);
  // Last backups spread over 40 days: about a fifth of the users are outside the 31-day window.
  const at = NOW - ((p * 7919) % (40 * 24)) * HOUR - (p % 3600) * 1000;
  return backup(`bench:user:${p}`, at, uuidOf(NS.organization, o), uuidOf(NS.user, p), `user${p}@org${o}.onmicrosoft.com`);
}

function agentEvent(a: number): string {
  if (a < SEED_AGENTS) {
    const mode = a < 2 ? 'server' : 'workstation';
    return activation(`bench:seed-agent:${a}`, MONTH_START + (2 + 4 * a) * DAY, SEED_COMPANY_UID, uuidOf(NS.agent, 0xfff00000 + a), `seed-${mode}-${a}.alpine.local`, mode);
  }
  const p = a - SEED_AGENTS;
  const c = Math.floor(p / AGENTS_PER_COMPANY);
  const mode = p % 10 < 3 ? 'server' : 'workstation';
  // Activated over the last year: most are used, a few new this month.
  const at = NOW - ((p * 104_729) % (365 * 24)) * HOUR - (p % 3600) * 1000;
  return activation(`bench:agent:${p}`, at, uuidOf(NS.company, c), uuidOf(NS.agent, p), `${mode === 'server' ? 'srv' : 'ws'}-${p}.company${c}.local`, mode);
}

const MODE_CHANGE_EVERY = 50;
const MODE_CHANGE_AT = 7;
const DEACTIVATION_EVERY = 33;
const DEACTIVATION_AT = 5;

/** A report-ledger agent's events: activation, and for some a mode change or a deactivation. */
function reportAgentEvents(a: number): string[] {
  const c = Math.floor(a / AGENTS_PER_COMPANY);
  const uid = uuidOf(NS.reportAgent, a);
  const mode = a % 10 < 3 ? 'server' : 'workstation';
  const activated = NOW - ((a * 104_729) % (400 * 24)) * HOUR - (a % 3600) * 1000;
  const out = [activation(`bench:report:${a}:on`, activated, uuidOf(NS.reportCompany, c), uid, `${mode === 'server' ? 'srv' : 'ws'}-${a}.company${c}.local`, mode)];
  const later = (days: number) => Math.min(NOW - HOUR, activated + days * DAY);
  if (a % MODE_CHANGE_EVERY === MODE_CHANGE_AT) out.push(JSON.stringify({ id: `bench:report:${a}:mode`, type: 'vspc.agentModeChanged', at: iso(later(3 + (a % 40))), agentUid: uid, mode: mode === 'server' ? 'workstation' : 'server' }));
  if (a % DEACTIVATION_EVERY === DEACTIVATION_AT) out.push(JSON.stringify({ id: `bench:report:${a}:off`, type: 'vspc.agentDeactivated', at: iso(later(20 + (a % 90))), agentUid: uid }));
  return out;
}

/**
 * Events as NDJSON lines, in the order they are sent. A `reads` ledger interleaves users and
 * agents so that every batch mixes both faces, as a real feed would.
 */
export function* eventLines(plan: LedgerPlan): Generator<string> {
  if (plan.kind === 'report') {
    for (let a = 0; a < plan.agents; a++) yield* reportAgentEvents(a);
    return;
  }
  for (let i = 0; i < Math.max(plan.users, plan.agents); i++) {
    if (i < plan.users) yield userEvent(i);
    if (i < plan.agents) yield agentEvent(i);
  }
}
