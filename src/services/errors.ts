/**
 * The closed set of errors an operation may answer besides its result. Operations throw them
 * (never an HTTP status, never a face's wording of a status); each face translates them once, in
 * its own dialect, in its error handler (`src/http/<face>/errors.ts`). Anything else thrown by an
 * operation is a fault of the server and is answered as such.
 *
 * Kept generic on purpose: the kinds say what went wrong from the caller's point of view, not
 * which face or resource is involved. The message is written for the person reading the answer
 * and must name what the caller gave (an uid, a user name), never internals.
 *
 * - NotFound  — the object does not exist, or lies outside the caller's scope (answered alike, so
 *               that no answer reveals that a foreign object exists).
 * - Forbidden — the caller may not do this (role, read-only key, scope rule of the operation).
 * - Conflict  — the request is valid but clashes with the current state (a referenced object is
 *               missing, something still depends on the object, the last administrator, …).
 * - Invalid   — the input breaks a rule the schema could not express; `fields` says where.
 * - Unavailable — the database cannot be reached; the caller may retry.
 */
import { isStoreUnavailable } from '../store/errors.js';

export type DomainErrorKind = 'NotFound' | 'Forbidden' | 'Conflict' | 'Invalid' | 'Unavailable';

/** One offending input field: its name as the caller sent it (`scopeUid`, `password`) and why. */
export interface FieldProblem {
  field: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
}

export class NotFound extends DomainError {
  readonly kind = 'NotFound' as const;
}

export class Forbidden extends DomainError {
  readonly kind = 'Forbidden' as const;
}

export class Conflict extends DomainError {
  readonly kind = 'Conflict' as const;
}

export class Invalid extends DomainError {
  readonly kind = 'Invalid' as const;
  constructor(message: string, readonly fields: readonly FieldProblem[] = []) {
    super(message);
  }
}

export class Unavailable extends DomainError {
  readonly kind = 'Unavailable' as const;
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/**
 * The domain error an unknown failure stands for, if any: a DomainError as is, a lost database
 * connection as Unavailable, anything else undefined (a fault of the server). Faces call this in
 * their error handler instead of knowing the store's error codes.
 */
export function asDomainError(error: unknown): DomainError | undefined {
  if (isDomainError(error)) return error;
  if (isStoreUnavailable(error)) return new Unavailable('The database is unavailable; try again later.');
  return undefined;
}
