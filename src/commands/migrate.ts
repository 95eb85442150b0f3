/**
 * `tally migrate --from FILE --to postgres://…`: copies an embedded SQLite database into an empty
 * PostgreSQL database in one transaction, then verifies that every licensing answer (each
 * organization's LicensingInformation, each tenant's console usage) is identical on both.
 */
import { existsSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import { fixedClock, readInstallation } from '../clock.js';
import { LicensingService } from '../services/licensing.js';
import { countRows, listCompanies, listOrganizations } from '../store/entities.js';
import { openPostgresStore, openSqliteStore, StoreError, type Store } from '../store/database.js';
import { isPostgresUrl } from '../store/dialect.js';
import type { Database } from '../store/schema.js';

/** Copied in this order; tokens are not copied (sessions end, users log in again). */
/** Every table with data that outlives a restart; `migrate` copies them all. */
export const TABLES = [
  'resellers', 'companies', 'organizations', 'licenses', 'accounts', 'api_keys', 'settings', 'reports', 'audit_log', 'events',
  'vb365_users', 'vspc_agent_companies', 'vspc_agents', 'vspc_agent_segments',
] as const;
type Table = (typeof TABLES)[number];

/** Tables `migrate` leaves behind: sessions (users log in again), login throttling counters, idempotency records and cache generations, all short-lived. */
export const NOT_COPIED = ['tokens', 'login_attempts', 'request_ids', 'generations'] as const;

const ORDER_BY: Record<Table, string[]> = {
  resellers: ['uid'],
  companies: ['uid'],
  organizations: ['id'],
  licenses: ['product'],
  accounts: ['username'],
  api_keys: ['id'],
  settings: ['key'],
  reports: ['product', 'month'],
  audit_log: ['id'],
  events: ['seq'],
  vb365_users: ['organization_id', 'user_id'],
  vspc_agent_companies: ['company_uid', 'agent_uid'],
  vspc_agents: ['agent_uid'],
  vspc_agent_segments: ['agent_uid', 'from_at'],
};

const PAGE = 2_000;

/** The next page of a table in key order, after the row `after` (keyset paging: no OFFSET scans). */
async function page(db: Kysely<Database>, table: Table, after: Record<string, unknown> | undefined): Promise<Record<string, unknown>[]> {
  const keys = ORDER_BY[table];
  let query = db.selectFrom(table).selectAll();
  if (after) {
    // (k1, k2) > (a1, a2), spelled out: k1 > a1 or (k1 = a1 and k2 > a2).
    const [k1, k2] = keys as [string, string | undefined];
    query = query.where(
      k2 === undefined
        ? sql<boolean>`${sql.ref(k1)} > ${after[k1]}`
        : sql<boolean>`(${sql.ref(k1)} > ${after[k1]} or (${sql.ref(k1)} = ${after[k1]} and ${sql.ref(k2)} > ${after[k2]}))`,
    );
  }
  for (const key of keys) query = query.orderBy(key as never);
  return (await query.limit(PAGE).execute()) as Record<string, unknown>[];
}

export interface MigrationReport {
  copied: Record<string, number>;
  organizationsVerified: number;
  tenantsVerified: number;
  mismatches: string[];
}


export async function migrateToPostgres(
  fromFile: string,
  toUrl: string,
  /** The zone to verify in, given the one `tally serve` recorded in the SQLite database (if any). */
  timeZoneOf: (recorded: string | undefined) => string,
  progress: (line: string) => void = () => {},
  onRows: (copied: number, total: number) => void = () => {},
): Promise<MigrationReport> {
  if (!existsSync(fromFile)) throw new StoreError(`no SQLite database at ${fromFile}`);
  if (!isPostgresUrl(toUrl)) throw new StoreError('--to must be a postgres:// URL');
  const source = await openSqliteStore(fromFile, { mustExist: true });
  let target: Store | undefined;
  try {
    const installation = await readInstallation(source.db);
    const timeZone = timeZoneOf(installation.timeZone);
    let total = 0;
    for (const table of TABLES) total += await countRows(source.db, table);
    let copiedAll = 0;
    target = await openPostgresStore(toUrl);
    for (const table of [...TABLES, 'tokens'] as const) {
      if ((await countRows(target.db, table)) > 0) {
        throw new StoreError(`the target database is not empty (table ${table} has rows); migrate into a new database`);
      }
    }
    const copied: Record<string, number> = {};
    await target.db.transaction().execute(async (trx) => {
      for (const table of TABLES) {
        let copiedRows = 0;
        let after: Record<string, unknown> | undefined;
        for (;;) {
          const rows = await page(source.db, table, after);
          if (rows.length === 0) break;
          await trx.insertInto(table).values(rows as never).execute();
          copiedRows += rows.length;
          copiedAll += rows.length;
          onRows(copiedAll, total);
          after = rows[rows.length - 1];
        }
        copied[table] = copiedRows;
        progress(`copied ${copiedRows} rows of ${table}`);
      }
      // The copied events keep their sequence numbers; new ones continue after them.
      await sql`select setval(pg_get_serial_sequence('events', 'seq'), greatest((select max(seq) from events), 1))`.execute(trx);
      await sql`select setval(pg_get_serial_sequence('audit_log', 'id'), greatest((select max(id) from audit_log), 1))`.execute(trx);
    });

    const mismatches: string[] = [];
    for (const table of TABLES) {
      const [a, b] = [await countRows(source.db, table), await countRows(target.db, table)];
      if (a !== b) mismatches.push(`${table}: ${a} rows in SQLite, ${b} in PostgreSQL`);
    }
    // The answers are compared at the server's instant: its fixed clock, if it had one.
    const clock = fixedClock(installation.fixedClock ?? Date.now());
    const before = new LicensingService(source.db, clock, timeZone, source.dialect);
    const after = new LicensingService(target.db, clock, timeZone, target.dialect);
    const organizations = await listOrganizations(source.db);
    for (const org of organizations) {
      const [a, b] = [await before.organizationLicensingInformation(org.id), await after.organizationLicensingInformation(org.id)];
      if (JSON.stringify(a) !== JSON.stringify(b)) mismatches.push(`organization ${org.id}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
    const tenants = (await listCompanies(source.db)).filter((c) => c.tenantUid !== null);
    for (const company of tenants) {
      const [a, b] = [await before.consoleUsageByTenant(company.tenantUid!), await after.consoleUsageByTenant(company.tenantUid!)];
      if (JSON.stringify(a) !== JSON.stringify(b)) mismatches.push(`tenant ${company.tenantUid}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
    return { copied, organizationsVerified: organizations.length, tenantsVerified: tenants.length, mismatches };
  } finally {
    await source.close();
    await target?.close();
  }
}
