/**
 * The tally-shm-view addon (packages/shm-view) is an optional dependency: where it could not be
 * built, Tally reads the WAL-index header with pread(2). Its tests are skipped there, saying so,
 * unless TALLY_REQUIRE_SHM_VIEW=1 (as CI runs them), which makes a missing addon a failure.
 */
import { createRequire } from 'node:module';

const available = (() => {
  try {
    createRequire(import.meta.url)('tally-shm-view');
    return true;
  } catch {
    return false;
  }
})();

const required = ['1', 'true', 'yes'].includes(String(process.env.TALLY_REQUIRE_SHM_VIEW ?? '').toLowerCase());

/** `skip` option of a test that needs the addon: false where it must run. */
export const SKIP_WITHOUT_SHM_VIEW: false | string =
  available || required ? false : 'the tally-shm-view addon is not built (TALLY_REQUIRE_SHM_VIEW=1 fails instead of skipping)';
