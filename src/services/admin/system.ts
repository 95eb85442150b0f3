/** The installation's clock and its audit log, as the admin API reads and moves them. */
import { queryAudit, type AuditEntry } from '../../store/audit.js';
import { formatInstant } from '../../time.js';
import * as audit from '../audit.js';
import type { Caller } from '../caller.js';
import type { ServiceContext } from '../context.js';
import { Conflict } from '../errors.js';

export interface ClockView {
  now: string;
  fixed: boolean;
}

export async function readClock(ctx: ServiceContext): Promise<ClockView> {
  return { now: formatInstant(await ctx.clock.now()), fixed: ctx.clock.fixed };
}

/** Moves a fixed (time-travel) clock; Conflict on a clock that follows the system time. */
export async function setClock(ctx: ServiceContext, caller: Caller, at: number): Promise<ClockView> {
  if (!ctx.clock.fixed) throw new Conflict('The clock follows the system time; start the server with --clock to travel in time.');
  const before = await ctx.clock.now();
  await ctx.clock.set(at);
  await audit.recordCommitted(ctx.store.db, caller, { action: 'clock.set', target: 'clock', details: { from: formatInstant(before), to: formatInstant(at) } });
  return readClock(ctx);
}

export interface AuditQuery {
  limit: number;
  offset: number;
  action?: string | undefined;
  actor?: string | undefined;
  since?: number | undefined;
}

/** A page of the audit log, newest first. */
export async function auditPage(ctx: ServiceContext, _caller: Caller, query: AuditQuery): Promise<{ total: number; entries: (Omit<AuditEntry, 'at'> & { at: string })[] }> {
  const page = await queryAudit(ctx.store.db, query);
  return { total: page.total, entries: page.entries.map((e) => ({ ...e, at: formatInstant(e.at) })) };
}
