/**
 * Identities of this Tally installation that clients see as a server's (VB365 `installationId`,
 * VSPC `installationId`): made once, on first use, and kept in the database's settings, so that
 * every node and every restart answers the same value.
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/database.js';
import { claimSetting, getSetting } from '../store/settings.js';

export type InstallationKey = 'vb365.installationId' | 'vspc.installationId';

export async function installationId(store: Store, key: InstallationKey): Promise<string> {
  const existing = await getSetting(store.db, key);
  if (existing) return existing;
  await claimSetting(store.db, key, randomUUID());
  // Whoever won the claim (this node or another), the stored value is the one.
  return (await getSetting(store.db, key))!;
}
