/**
 * `GET /api/v3/about`: the server's version as the client negotiated it. VSPC serves every REST
 * v3 minor version on `/api/v3` and a client declares the one it speaks in `X-Client-Version`
 * (reference §1, §7); clients read `serverVersion` to pick their API version (Cenvora's
 * discovery maps 8.1 → 3.5.1, 9.0 → 3.6, 9.1 → 3.6.1). Tally answers the VSPC release of the
 * negotiated version, so a client written for 3.2 sees a VSPC 6.0 and keeps to what 6.0 had; a
 * client that sends no version sees the newest release Tally follows, 9.1 (REST 3.6.1). The
 * build number is 0: Tally is no particular Veeam build. `installationId` is this installation's,
 * kept in the database (services/installationIds.ts).
 */
import type { Store } from '../../store/database.js';
import { installationId } from '../installationIds.js';

/** VSPC release by REST v3 minor version (3.4 ↔ 8.0 is unconfirmed, reference §1). */
const RELEASE_BY_MINOR = ['4.0', '5.0', '6.0', '7.0', '8.0', '8.1', '9.0'] as const;
const NEWEST = '9.1';
const VERSION = /^3\.(\d+)(?:\.(\d+))?$/;

/** The VSPC release for a client version the face already accepted (3.0–3.6, or none). */
export function vspcRelease(clientVersion: string | undefined): string {
  const match = clientVersion === undefined ? null : VERSION.exec(clientVersion.trim());
  if (!match) return NEWEST;
  const minor = Number(match[1]);
  const patch = Number(match[2] ?? 0);
  if (minor === 6 && patch >= 1) return NEWEST;
  return RELEASE_BY_MINOR[Math.min(minor, RELEASE_BY_MINOR.length - 1)]!;
}

export interface AboutInformation {
  serverVersion: string;
  installationId: string;
}

export async function about(deps: { store: Store }, clientVersion: string | undefined): Promise<AboutInformation> {
  return { serverVersion: `${vspcRelease(clientVersion)}.0.0`, installationId: await installationId(deps.store, 'vspc.installationId') };
}
