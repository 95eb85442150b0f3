/**
 * What the operations of the services need, built once at start-up (the faces' AppContext holds
 * it). Operations take it with who asks and their input.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Store } from '../store/database.js';
import type { Database } from '../store/schema.js';
import type { AuthService } from './auth.js';
import type { IngestionService } from './ingestion.js';
import type { ComputeService } from './offload.js';
import type { LicensingService } from './licensing.js';
import type { LoginThrottle } from './throttle.js';

export interface ServiceContext {
  store: { db: Kysely<Database> };
  clock: Clock;
  timeZone: string;
  licensing: LicensingService;
  /** Runs heavy domain computations off the request thread under a time budget; in process when absent. */
  compute?: ComputeService | undefined;
}

export type VspcEnumStyle = 'camel' | 'pascal';

/**
 * Everything the faces need, built once at start-up by `createAppContext` (src/app/context.ts) and
 * shared by both listeners. The faces hand it to operations; they never reach the store through it
 * themselves (src/http imports nothing of src/store).
 */
export interface AppContext extends ServiceContext {
  store: Store;
  auth: AuthService;
  throttle: LoginThrottle;
  ingestion: IngestionService;
  /** Heavy domain computations of a request, off the request thread under a time budget (services/offload.ts). */
  compute: ComputeService;
  vspcEnumStyle: VspcEnumStyle;
}
