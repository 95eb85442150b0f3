/**
 * What the operations of the services need, built once at start-up (the faces' AppContext holds
 * it). Operations take it with who asks and their input.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../store/schema.js';
import type { LicensingService } from './licensing.js';

export interface ServiceContext {
  store: { db: Kysely<Database> };
  clock: Clock;
  timeZone: string;
  licensing: LicensingService;
}
