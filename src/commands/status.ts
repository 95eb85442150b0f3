/**
 * `tally status`: what an operator checks first — which database this is, at which schema
 * version, on which clock and time zone the server runs, the licenses and what they count.
 * Read-only: it never freezes a report or writes a setting.
 */
import { statSync } from 'node:fs';
import { sql } from 'kysely';
import { fixedClock, readInstallation } from '../clock.js';
import { LicensingService } from '../services/licensing.js';
import type { Store } from '../store/database.js';
import { countRows } from '../store/entities.js';
import { formatInstant } from '../time.js';

function fileSize(file: string): number {
  let total = 0;
  for (const suffix of ['', '-wal']) {
    try {
      total += statSync(`${file}${suffix}`).size;
    } catch {
      // No -wal beside a checkpointed database.
    }
  }
  return total;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export async function installationStatus(store: Store, version: string): Promise<string> {
  const installation = await readInstallation(store.db);
  const now = installation.fixedClock ?? Date.now();
  const zone = installation.timeZone ?? 'UTC';
  const migrations = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
  const schema = migrations.rows.at(-1)?.name ?? 'none';
  let size: string;
  if (store.dialect === 'sqlite') {
    size = bytes(fileSize(store.location));
  } else {
    const result = await sql<{ size: number }>`select pg_database_size(current_database())::bigint as size`.execute(store.db);
    size = bytes(Number(result.rows[0]?.size ?? 0));
  }
  const licensing = new LicensingService(store.db, fixedClock(now), zone, store.dialect);
  const vb365 = await licensing.vb365License(now);
  const vb365Usage = await licensing.vb365LicenseUsage(now, vb365);
  const vspc = await licensing.vspcLicense();
  const vspcStatus = await licensing.vspcLicenseStatus(now, vspc);
  const counts: [string, number][] = [];
  for (const table of ['events', 'companies', 'resellers', 'organizations', 'accounts', 'reports'] as const) {
    counts.push([table, await countRows(store.db, table)]);
  }
  const expiry = (at: number | null) => (at === null ? 'never expires' : `expires ${formatInstant(at)}`);
  const lines: [string, string][] = [
    ['version', version],
    ['database', `${store.location} (${store.dialect}, ${size})`],
    ['schema', `${schema} (${migrations.rows.length} migrations applied)`],
    ['clock', installation.fixedClock === undefined ? `system clock, now ${formatInstant(now)}` : `fixed at ${formatInstant(now)} (tally serve --clock)`],
    ['time zone', installation.timeZone ?? 'UTC (none recorded yet: tally serve records it when it starts)'],
    [
      'VB365 license',
      vb365
        ? `${vb365.type}, ${vb365.totalNumber} users, ${expiry(vb365.expirationDate)}; used ${vb365Usage.usedNumber}, new ${vb365Usage.newNumber}`
        : `none installed; used ${vb365Usage.usedNumber}, new ${vb365Usage.newNumber}`,
    ],
    [
      'VSPC license',
      vspc ? `${vspc.type}, ${vspc.units} units, ${expiry(vspc.expirationDate)}; ${vspcStatus.status}${vspcStatus.statusMessage ? `: ${vspcStatus.statusMessage}` : ''}` : `none installed (${vspcStatus.status})`,
    ],
    ['rows', counts.map(([table, n]) => `${n} ${table}`).join(', ')],
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`).join('\n') + '\n';
}
