/**
 * Who asks for an operation: the principal the faces' guard authenticated, with what the audit log
 * records beside it (the client address) and where a failure to record is logged. Faces build it
 * from the request (`callerOf` in each face); commands pass their own.
 */
import type { Principal } from './auth.js';

export interface Caller {
  principal: Principal;
  ip?: string | undefined;
  log?: { error(details: object, message: string): void };
}

/** The change counters a request read when it was authenticated (answers are checked against them). */
export type { Generations } from '../store/generation.js';
