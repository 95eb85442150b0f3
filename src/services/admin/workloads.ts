/**
 * What is counted for a company or an organization at `now`: its managed agents with their mode
 * and license status, and the VB365 users of its organizations with their license state. The
 * statuses come from the engine's installation-wide classification (the pool and the FIFO ranking
 * are shared), so a listing reads the installation's agents or users, then keeps the object's.
 */
import { classifyAgents, overLimitSince, type AgentLicenseStatus, type AgentState } from '../../domain/vspc.js';
import type { AgentMode } from '../../domain/licenses.js';
import { agentStateAt } from '../../domain/vspc.js';
import { segmentsBefore } from '../../store/agentSegments.js';
import { managedAgentRows } from '../../store/agentCounts.js';
import { agentEvents } from '../../store/readModels.js';
import { formatInstant } from '../../time.js';
import { licensedUsers } from '../licensedUsers.js';
import type { ServiceContext } from '../context.js';

export interface AgentWorkload {
  agentUid: string;
  /** The name of the agent's latest activation; null when it is not known. */
  name: string | null;
  mode: AgentMode;
  status: AgentLicenseStatus;
  activatedAt: string;
}

export interface UserWorkload {
  organizationId: string;
  userId: string;
  name: string;
  /** The engine's license state: Licensed, TemporarilyAssigned, New, Unlicensed, … */
  state: string;
  lastBackupAt: string;
}

/** The managed agents of the given companies at `now`, with their status, oldest activation first. */
export async function agentsOf(ctx: ServiceContext, companyUids: ReadonlySet<string>, now: number): Promise<AgentWorkload[]> {
  const db = ctx.store.db;
  const { agents, replay } = await managedAgentRows(db, now);
  const states: AgentState[] = agents.map((a) => ({ ...a, name: '' }));
  if (replay.length > 0) {
    for (const [agentUid, events] of await agentEvents(db, replay)) {
      const state = agentStateAt(agentUid, events, now);
      if (state) states.push(state);
    }
  }
  const license = await ctx.licensing.vspcLicense();
  // The Rental allowance's clock runs from when demand first exceeded the license (one clock per license).
  const overSince = license ? overLimitSince(license, ctx.timeZone, await segmentsBefore(db, now + 1), now) : null;
  const mine = classifyAgents(states, license, now, ctx.timeZone, overSince).filter((a) => companyUids.has(a.companyUid));
  // Names only for the listed agents: the read model has none.
  const unnamed = mine.filter((a) => a.name === '').map((a) => a.agentUid);
  const names = new Map<string, string>();
  if (unnamed.length > 0) {
    for (const [agentUid, events] of await agentEvents(db, unnamed)) {
      const state = agentStateAt(agentUid, events, now);
      if (state) names.set(agentUid, state.name);
    }
  }
  return mine
    .sort((a, b) => a.activatedAt - b.activatedAt || (a.agentUid < b.agentUid ? -1 : a.agentUid > b.agentUid ? 1 : 0))
    .map((a) => ({
      agentUid: a.agentUid,
      name: a.name !== '' ? a.name : (names.get(a.agentUid) ?? null),
      mode: a.mode,
      status: a.status,
      activatedAt: formatInstant(a.activatedAt),
    }));
}

/** The VB365 users of the given organizations that hold or wait for a unit at `now`, by name. */
export async function usersOf(ctx: ServiceContext, organizationIds: ReadonlySet<string>, now: number): Promise<UserWorkload[]> {
  if (organizationIds.size === 0) return [];
  const license = await ctx.licensing.vb365License(now);
  const users = await licensedUsers(ctx.store.db, license, now, ctx.timeZone);
  return users
    .filter((u) => organizationIds.has(u.organizationId))
    .map((u) => ({ organizationId: u.organizationId, userId: u.userId, name: u.name, state: u.state, lastBackupAt: formatInstant(u.lastBackupAt) }));
}
