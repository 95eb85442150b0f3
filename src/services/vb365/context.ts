/**
 * What the operations of the VB365 face need: who asks, and the pieces of the application they
 * work with. Operations take (caller, input) and return a typed result or throw one of the
 * domain errors of `services/errors.ts`; the face translates those once, in its dialect.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.js';
import type { Generations } from '../../store/generation.js';
import type { Database } from '../../store/schema.js';
import type { Principal } from '../auth.js';
import type { IngestionService } from '../ingestion.js';
import type { LicensingService } from '../licensing.js';

/** Who asks: the authenticated principal (roles and scope), its address (for the audit log), and the counters its request read. */
export interface Caller {
  principal: Principal;
  ip?: string | undefined;
  log?: { error(details: object, message: string): void };
  /** The change counters read when the request was authenticated; answers are checked against them. */
  generations?: Generations | undefined;
}

/** The application pieces the VB365 operations use (the application context satisfies it). */
export interface Vb365Services {
  store: { db: Kysely<Database> };
  clock: Clock;
  timeZone: string;
  licensing: LicensingService;
  ingestion: IngestionService;
}
