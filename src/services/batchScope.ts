/**
 * Ingestion within a scope (issue 19, item 2): an account confined to a reseller or a company may
 * write events only for what its scope holds: organizations mapped to a company in its scope,
 * agents activated in such a company, and agents such a company manages now (or that the same
 * batch activates in one). Anything else, foreign or missing, is refused the same way, so that the
 * answer does not reveal what exists; the whole batch is refused (all or nothing). Unconfined
 * accounts write as before, also for objects not registered yet.
 */
import type { Kysely } from 'kysely';
import type { FieldError } from '../ingest/events.js';
import { scopeFacts } from '../store/ingestScope.js';
import type { PreparedEvent } from '../store/ledgerRows.js';
import type { Database } from '../store/schema.js';
import type { Principal, Role } from './auth.js';
import { companyVisibleTo, unconfined } from './scope.js';

/** The part of a principal the check needs (plain data: it is handed to the ingestion worker). */
export interface IngestScope {
  roles: Role[];
  scopeUid: string | null;
}

export function ingestScopeOf(principal: Pick<Principal, 'roles' | 'scopeUid'>): IngestScope | undefined {
  const scope = { roles: [...principal.roles], scopeUid: principal.scopeUid };
  return unconfined(scope as Principal) ? undefined : scope;
}

/** The events of the batch outside the scope (at most `limit`), each with the field that names the foreign object. */
export async function eventsOutOfScope(db: Kysely<Database>, scope: IngestScope, events: readonly PreparedEvent[], limit = 100): Promise<FieldError[]> {
  const principal = scope as Principal;
  const organizationIds = new Set<string>();
  const companyUids = new Set<string>();
  const agentUids = new Set<string>();
  for (const { event } of events) {
    if (event.type === 'vspc.agentActivated') companyUids.add(event.companyUid);
    else if (event.type === 'vspc.agentModeChanged' || event.type === 'vspc.agentDeactivated') agentUids.add(event.agentUid);
    else organizationIds.add(event.organizationId);
  }
  const facts = await scopeFacts(db, [...organizationIds], [...companyUids], [...agentUids]);
  const inScope = (companyUid: string | null | undefined): boolean => {
    if (!companyUid || !facts.companies.has(companyUid)) return false;
    return companyVisibleTo(principal, { uid: companyUid, resellerUid: facts.companies.get(companyUid) ?? null } as Parameters<typeof companyVisibleTo>[1]);
  };
  // Agents this batch activates in a company of the scope may be changed by the same batch.
  const activatedHere = new Set<string>();
  for (const { event } of events) {
    if (event.type === 'vspc.agentActivated' && inScope(event.companyUid)) activatedHere.add(event.agent.uid);
  }
  const errors: FieldError[] = [];
  events.forEach(({ event }, index) => {
    if (errors.length >= limit) return;
    if (event.type === 'vspc.agentActivated') {
      if (!inScope(event.companyUid)) errors.push({ index, field: 'companyUid', message: `no company ${event.companyUid} in this account's scope` });
    } else if (event.type === 'vspc.agentModeChanged' || event.type === 'vspc.agentDeactivated') {
      if (!activatedHere.has(event.agentUid) && !inScope(facts.agents.get(event.agentUid))) {
        errors.push({ index, field: 'agentUid', message: `no agent ${event.agentUid} in this account's scope` });
      }
    } else if (!inScope(facts.organizations.get(event.organizationId))) {
      errors.push({ index, field: 'organizationId', message: `no organization ${event.organizationId} in this account's scope` });
    }
  });
  return errors;
}
