/**
 * `GET /v6/ServiceInstance` (`RESTServiceInstance`): what collectors read first, to learn the
 * server's version before they call the licensing routes. `version` is the Veeam Backup for
 * Microsoft 365 release whose REST API v6 Tally answers (6.1, build 438, the release public v6
 * clients were written against); `installationId` identifies this installation, stable across
 * restarts and nodes (services/installationIds.ts).
 */
import type { Store } from '../../store/database.js';
import { installationId } from '../installationIds.js';

export const VB365_VERSION = '6.1.0.438';

export interface ServiceInstance {
  version: string;
  installationId: string;
}

export async function serviceInstance(deps: { store: Store }): Promise<ServiceInstance> {
  return { version: VB365_VERSION, installationId: await installationId(deps.store, 'vb365.installationId') };
}
