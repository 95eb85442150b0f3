/** Everything a route needs, built once at start-up and shared by both listeners. */
import type { Clock } from '../clock.js';
import type { AuthService } from '../services/auth.js';
import type { LoginThrottle } from '../services/throttle.js';
import type { IngestionService } from '../services/ingestion.js';
import type { LicensingService } from '../services/licensing.js';
import type { ComputeService } from '../services/offload.js';
import type { Store } from '../store/database.js';

export type VspcEnumStyle = 'camel' | 'pascal';

export interface AppContext {
  store: Store;
  clock: Clock;
  timeZone: string;
  auth: AuthService;
  throttle: LoginThrottle;
  licensing: LicensingService;
  ingestion: IngestionService;
  /** Heavy domain computations of a request, off the request thread under a time budget (services/offload.ts). */
  compute: ComputeService;
  vspcEnumStyle: VspcEnumStyle;
}
