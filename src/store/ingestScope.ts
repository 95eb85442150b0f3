/**
 * What the scope check of a batch needs to know about the objects it names (services/batchScope.ts):
 * the company of each organization, the reseller of each company, the current company of each
 * agent. Objects not found are simply absent from the maps.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export interface ScopeFacts {
  /** organization id → the company it is mapped to (null: none). */
  organizations: Map<string, string | null>;
  /** company uid → its reseller (null: none). */
  companies: Map<string, string | null>;
  /** agent uid → the company it is managed by now (null: none, deactivated or never activated). */
  agents: Map<string, string | null>;
}

export async function scopeFacts(
  db: Kysely<Database>,
  organizationIds: readonly string[],
  companyUids: readonly string[],
  agentUids: readonly string[],
): Promise<ScopeFacts> {
  const facts: ScopeFacts = { organizations: new Map(), companies: new Map(), agents: new Map() };
  for (const ids of chunks(organizationIds)) {
    for (const row of await db.selectFrom('organizations').select(['id', 'company_uid']).where('id', 'in', ids).execute()) {
      facts.organizations.set(row.id, row.company_uid);
    }
  }
  for (const ids of chunks(agentUids)) {
    for (const row of await db.selectFrom('vspc_agents').select(['agent_uid', 'company_uid']).where('agent_uid', 'in', ids).execute()) {
      facts.agents.set(row.agent_uid, row.company_uid);
    }
  }
  const companies = new Set(companyUids);
  for (const company of [...facts.organizations.values(), ...facts.agents.values()]) if (company) companies.add(company);
  for (const uids of chunks([...companies])) {
    for (const row of await db.selectFrom('companies').select(['uid', 'reseller_uid']).where('uid', 'in', uids).execute()) {
      facts.companies.set(row.uid, row.reseller_uid);
    }
  }
  return facts;
}
