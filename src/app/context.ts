/**
 * The one place that assembles the application context (store, clock, services) that both
 * listeners share. `tally serve` and the test harness both build it here, so the tests run the
 * services with the wiring that ships (issue 15, item 6). This module sits above the faces and the
 * services (it is the composition root): nothing under src/http, src/services or src/store
 * imports it.
 */
import { sharedFixedClock, systemClock, type Clock } from '../clock.js';
import type { AppContext, VspcEnumStyle } from '../http/context.js';
import { AuthService, DEFAULT_AUTH_OPTIONS } from '../services/auth.js';
import { IngestionService } from '../services/ingestion.js';
import { LicensingService } from '../services/licensing.js';
import { LoginThrottle } from '../services/throttle.js';
import type { Store } from '../store/database.js';
import type { Instant } from '../time.js';

export interface AppContextOptions {
  /** Start a fixed (time-travel) clock at this instant, kept in the database; the system clock when omitted. */
  clock?: Instant | undefined;
  /** IANA time zone of month boundaries; UTC when omitted. */
  timeZone?: string | undefined;
  /** Lifetime of access tokens; DEFAULT_AUTH_OPTIONS' when omitted. */
  accessTokenSeconds?: number | undefined;
  vspcEnumStyle?: VspcEnumStyle | undefined;
  /**
   * Write batches in a worker thread with its own connections (`tally serve`), so that reads keep
   * their latency while batches arrive. An in-memory database cannot be opened twice: it is always
   * written in process.
   */
  ingestionWorker?: boolean | undefined;
}

export async function createAppContext(store: Store, options: AppContextOptions = {}): Promise<AppContext> {
  const clock: Clock = options.clock !== undefined ? await sharedFixedClock(store.db, options.clock) : systemClock();
  const timeZone = options.timeZone ?? 'UTC';
  const ingestion = new IngestionService(store.db);
  if (options.ingestionWorker && store.location !== ':memory:') await ingestion.startWorker(store.source);
  const licensing = new LicensingService(store.db, clock, timeZone, store.dialect);
  // A batch committed here keeps the cached answers of the product family it cannot change.
  ingestion.onLedgerChange = (change) => licensing.ledgerAdvanced(change);
  return {
    store,
    clock,
    timeZone,
    auth: new AuthService(store.db, { ...DEFAULT_AUTH_OPTIONS, accessTokenSeconds: options.accessTokenSeconds ?? DEFAULT_AUTH_OPTIONS.accessTokenSeconds }),
    throttle: new LoginThrottle(store.db),
    licensing,
    ingestion,
    vspcEnumStyle: options.vspcEnumStyle ?? 'camel',
  };
}
