#!/usr/bin/env node
/** The `tally` command line (contract §2). */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { readInstallation } from './clock.js';
import { ConfigError, resolveServeConfig, resolveStoreConfig, type ServeFlags } from './config.js';
import { formatInstant, isValidTimeZone, parseRfc3339, type Instant } from './time.js';
import { openStoreAt, sqliteFileFromUrl, StoreError, type Store } from './store/database.js';
import { isPostgresUrl } from './store/dialect.js';
import { backupDatabase, restoreDatabase } from './commands/backup.js';
import { progressLine } from './commands/progress.js';
import { addUser, changePassword, listUsers, parseRoles, readPassword, removeUser, unlockUser } from './commands/user.js';
import type { VspcLicenseBody } from './schemas/admin.js';
import { toVspcLicense } from './services/licenses.js';
import { ReportMonthError, reportCsv, vspcMonthlyReport } from './services/monthlyReport.js';
import { reportPdf } from './services/reportPdf.js';
import { getLicenseTerms, listCompanies } from './store/entities.js';

/**
 * The command modules are loaded by the commands that run them: the server's (Fastify, both faces,
 * the ingestion schemas) takes most of a second to load, which `tally report` must not pay. Their
 * error classes join those whose message is the whole story.
 */
const expectedErrors: (abstract new (...args: never[]) => Error)[] = [ConfigError, StoreError];
async function serveModule() {
  const module = await import('./commands/serve.js');
  expectedErrors.push(module.StartupError);
  return module;
}
async function importModule() {
  const module = await import('./commands/import.js');
  expectedErrors.push(module.ImportError);
  return module;
}

function fail(message: string): never {
  process.stderr.write(`tally: ${message}\n`);
  process.exit(1);
}

/** The package's version: package.json sits one level above both src/cli.ts and dist/cli.js. */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const program = new Command()
  .name('tally')
  .description('License-usage server that answers the Veeam VB365 v6 and VSPC v3 licensing APIs from a durable ledger')
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

program
  .command('serve')
  .description('run the server: the VB365 face, the VSPC face and the admin API')
  .addOption(new Option('--data <dir>', 'data directory [env TALLY_DATA] (default: ./data)'))
  .addOption(new Option('--database <url>', 'database: a SQLite file or sqlite:FILE [env TALLY_DATABASE_URL] (default: DATA/tally.db)'))
  .addOption(new Option('--host <host>', 'address to listen on [env TALLY_HOST] (default: 127.0.0.1)'))
  .addOption(new Option('--vb365-port <port>', 'VB365 face port, 0 = free port [env TALLY_VB365_PORT] (default: 4443)'))
  .addOption(new Option('--vspc-port <port>', 'VSPC face port, 0 = free port [env TALLY_VSPC_PORT] (default: 1280)'))
  .addOption(new Option('--http', 'serve plain HTTP instead of HTTPS [env TALLY_HTTP=1]'))
  .addOption(new Option('--cert <file>', 'TLS certificate (PEM) [env TALLY_CERT] (default: self-signed, made in DATA/tls)'))
  .addOption(new Option('--key <file>', 'TLS private key (PEM) [env TALLY_KEY]'))
  .addOption(new Option('--no-demo', 'do not load the demo scenario into an empty database [env TALLY_DEMO=0]'))
  .addOption(new Option('--clock <iso>', 'fixed clock for time travel, e.g. 2026-11-23T12:00:00Z [env TALLY_CLOCK]'))
  .addOption(new Option('--time-zone <tz>', 'IANA time zone of month boundaries [env TALLY_TIME_ZONE] (default: UTC)'))
  .addOption(new Option('--admin-password <password>', 'password of the admin account made on first start [env TALLY_ADMIN_PASSWORD]'))
  .addOption(new Option('--vspc-enum-style <style>', 'VSPC legacy counter enums: camel (vaC_Server_Agent) or pascal [env TALLY_VSPC_ENUM_STYLE]'))
  .addOption(new Option('--log-level <level>', 'log level on stderr [env TALLY_LOG_LEVEL] (default: info)'))
  .addOption(new Option('--trust-proxy <addresses>', 'reverse proxies (addresses, CIDRs, loopback…) whose X-Forwarded-For gives the client address [env TALLY_TRUST_PROXY] (default: none)'))
  .addOption(new Option('--token-lifetime <seconds>', 'how long an access token is valid, 60 to 86400 [env TALLY_TOKEN_LIFETIME] (default: 3600)'))
  .addOption(new Option('--request-timeout <seconds>', 'time a client has to send a whole request; headers within min(10, this) [env TALLY_REQUEST_TIMEOUT] (default: 30)'))
  .addOption(new Option('--metrics-open', 'serve GET /metrics without a token (default: a PortalAdministrator\'s token) [env TALLY_METRICS_OPEN=1]'))
  .addOption(new Option('--max-connections <n>', 'open connections per listener; more are refused [env TALLY_MAX_CONNECTIONS] (default: 1000)'))
  .action(async (flags: ServeFlags & { demo?: boolean }) => {
    // commander defaults a --no-X flag to true; only an explicit --no-demo counts as a flag.
    const given: ServeFlags = { ...flags };
    if (program.commands[0]!.getOptionValueSource('demo') !== 'cli') delete given.demo;
    const config = resolveServeConfig(given, process.env);
    // SIGHUP is caught before the listening line appears: a script that reloads as soon as it sees
    // the line must not kill the server with the signal's default action.
    let reloadTls = () => {};
    process.on('SIGHUP', () => reloadTls());
    // SIGINT/SIGTERM are caught before the listening line appears too: a supervisor (or npm) that
    // stops the server as soon as it sees the line gets a graceful stop, not the default death.
    // A signal during start-up is acted on once the server is up.
    let requested: string | undefined;
    let stop = (signal: string) => {
      if (requested) {
        process.stderr.write(`tally: ${signal} again, exiting at once\n`);
        process.exit(130);
      }
      requested = signal;
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    const server = await (await serveModule()).startServer(config);
    let stopping = false;
    stop = (signal: string) => {
      if (stopping) {
        process.stderr.write(`tally: ${signal} again, exiting at once\n`);
        process.exit(130);
      }
      stopping = true;
      process.stderr.write(`tally: ${signal} received, finishing requests and closing the database\n`);
      server.close().then(
        () => process.exit(0),
        (error: unknown) => fail(`shutdown failed: ${(error as Error).message}`),
      );
    };
    if (requested) stop(requested);
    // The conventional "reload your files" signal: a renewed certificate without a restart.
    reloadTls = () => {
      if (!stopping) server.reloadTls();
    };
  });

/** `--data`/`--database` for the commands that only need the store (same resolution as serve). */
function storeOptions(command: Command): Command {
  return command
    .addOption(new Option('--data <dir>', 'data directory [env TALLY_DATA] (default: ./data)'))
    .addOption(new Option('--database <url>', 'database: SQLite file or postgres://… [env TALLY_DATABASE_URL]'));
}

function storeConfig(flags: { data?: string; database?: string }) {
  return resolveStoreConfig(flags, process.env);
}

/**
 * The database of an existing installation. Every command but `tally serve` refuses a
 * `--data`/`--database` that holds no Tally database (a typo must not create an empty one and
 * report, back up or import into it) and never creates the data directory.
 */
/** Runs `work` on the installation's existing database and closes it afterwards, whatever happens. */
async function withExisting<T>(flags: { data?: string; database?: string }, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openExisting(flags);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function openExisting(flags: { data?: string; database?: string }): Promise<Store> {
  const { dataDir, databaseUrl } = storeConfig(flags);
  return openStoreAt(databaseUrl, dataDir, { mustExist: true });
}

/**
 * The time zone a command works in: the one `tally serve` recorded in the database. A
 * `--time-zone` (or TALLY_TIME_ZONE) that disagrees is refused rather than warned about: a report
 * frozen in another zone than the server's cannot be taken back. A database no recent server
 * started on records none; then the flag, the variable or UTC, with a note on stderr.
 */
function installationZone(recorded: string | undefined, given: string | undefined, flag: string): string {
  if (given !== undefined && !isValidTimeZone(given)) {
    throw new ConfigError(`${flag} must be an IANA time zone such as UTC or Europe/Berlin, not ${JSON.stringify(given)}`);
  }
  if (recorded === undefined) {
    process.stderr.write(`tally: note: the database records no time zone (tally serve records it when it starts); using ${given ?? 'UTC'}\n`);
    return given ?? 'UTC';
  }
  if (given !== undefined && given !== recorded) {
    throw new ConfigError(`${flag} ${given} disagrees with the installation's time zone ${recorded} (recorded by tally serve); leave it out, or restart tally serve with --time-zone ${given}`);
  }
  return recorded;
}

/** The instant a command works at: the server's fixed clock, or the system clock when it has none. */
function installationNow(fixed: Instant | undefined): Instant {
  return fixed ?? Date.now();
}

storeOptions(
  program
    .command('import')
    .argument('<file>', 'events as NDJSON (one a line) or JSON ({"events":[…]} or an array)')
    .description('ingest events from a file through the regular ingestion path, 10,000 a batch'),
).action(async (file: string, flags: { data?: string; database?: string }) => {
  const { importEvents } = await importModule();
  await withExisting(flags, async (store) => {
    const progress = progressLine('import', 'events');
    const report = await importEvents(store, file, (done, _accepted, _duplicates, fraction) => progress.update(done, fraction));
    progress.finish();
    process.stdout.write(`tally: imported ${report.accepted} events (${report.duplicates} duplicates ignored)\n`);
  });
});

storeOptions(
  program.command('backup').argument('<file>', 'the new backup file').description('consistent online copy of the embedded database (safe while serving)'),
).action(async (file: string, flags: { data?: string; database?: string }) => {
  const location = await withExisting(flags, async (store) => {
    const progress = progressLine('backup', 'pages');
    let pages = 0;
    await backupDatabase(store, file, (done, total) => progress.update(done, (pages = total) === 0 ? 1 : done / total));
    // SQLite reports before each step, never after the last one.
    progress.update(pages, 1);
    progress.finish();
    return store.location;
  });
  process.stdout.write(`tally: backed up ${location} to ${file}\n`);
});

storeOptions(
  program.command('restore').argument('<file>', 'a file made by tally backup').description('replace the embedded database with a backup (stop tally serve first)'),
).action(async (file: string, flags: { data?: string; database?: string }) => {
  const config = storeConfig(flags);
  if (isPostgresUrl(config.databaseUrl)) throw new StoreError('tally restore writes the embedded SQLite database; for PostgreSQL use pg_restore');
  const target = sqliteFileFromUrl(config.databaseUrl, config.dataDir);
  const progress = progressLine('restore', 'pages');
  let pages = 0;
  const { events } = await restoreDatabase(file, target, (done, total) => progress.update(done, (pages = total) === 0 ? 1 : done / total));
  progress.update(pages, 1);
  progress.finish();
  process.stdout.write(`tally: restored ${file} into ${target} (${events} events)\n`);
});

storeOptions(
  program
    .command('report')
    .description('the VSPC month-end report: frozen once the month is over at the server\'s clock, a draft before')
    .requiredOption('--month <YYYY-MM>', 'the calendar month')
    .addOption(new Option('--format <format>', 'json, csv or pdf (PDF to standard output: redirect it to a file)').choices(['json', 'csv', 'pdf']).default('json'))
    .addOption(new Option('--time-zone <tz>', 'only as a check: refused unless it is the zone tally serve recorded [env TALLY_TIME_ZONE]'))
    .addOption(new Option('--clock <iso>', 'report at an earlier instant than the server\'s clock (default: the server\'s clock) [env TALLY_CLOCK]')),
).action(async (flags: { month: string; format: 'json' | 'csv' | 'pdf'; timeZone?: string; clock?: string; data?: string; database?: string }) => {
  const givenZone = flags.timeZone ?? (process.env.TALLY_TIME_ZONE || undefined);
  const clockRaw = flags.clock ?? (process.env.TALLY_CLOCK || undefined);
  const clockFlag = flags.clock !== undefined ? '--clock' : 'TALLY_CLOCK';
  const askedAt = clockRaw === undefined ? undefined : parseRfc3339(clockRaw);
  if (askedAt === null) throw new ConfigError(`${clockFlag} must be an RFC 3339 instant with an offset, e.g. 2026-11-23T12:00:00Z, not ${JSON.stringify(clockRaw)}`);
  const store = await openExisting(flags);
  try {
    const installation = await readInstallation(store.db);
    const zone = installationZone(installation.timeZone, givenZone, flags.timeZone !== undefined ? '--time-zone' : 'TALLY_TIME_ZONE');
    // The report freezes a month once it is over at the instant it runs at: never later than the
    // server's clock, or a month still open on the server would be frozen (issue 18).
    const serverNow = installationNow(installation.fixedClock);
    if (askedAt !== undefined && askedAt > serverNow) {
      throw new ConfigError(
        `${clockFlag} ${formatInstant(askedAt)} is later than the installation's clock ${formatInstant(serverNow)}${installation.fixedClock === undefined ? ' (the system clock)' : ' (the fixed clock of tally serve --clock)'}; a report cannot run ahead of the server`,
      );
    }
    const terms = await getLicenseTerms(store.db, 'vspc');
    const license = terms ? toVspcLicense(terms as VspcLicenseBody) : null;
    const report = await vspcMonthlyReport(store.db, flags.month, askedAt ?? serverNow, zone, license);
    const names = new Map((await listCompanies(store.db)).map((c) => [c.uid, c.name]));
    if (flags.format === 'pdf') process.stdout.write(await reportPdf(report, names));
    else process.stdout.write(flags.format === 'csv' ? reportCsv(report, names) : `${JSON.stringify(report, null, 2)}\n`);
  } catch (error) {
    if (error instanceof ReportMonthError) throw new ConfigError(error.message);
    throw error;
  } finally {
    await store.close();
  }
});

const user = program.command('user').description('operator accounts');
storeOptions(
  user
    .command('add')
    .argument('<name>', 'the user name')
    .description('create an account, or replace its roles and password; the password is read from standard input')
    .addOption(new Option('--role <role>', 'a role (repeat for several)').argParser((value: string, previous: string[] = []) => [...previous, value]))
    .addOption(new Option('--scope <uid>', 'the reseller or company the account is confined to')),
).action(async (name: string, flags: { role?: string[]; scope?: string; data?: string; database?: string }) => {
  const roles = parseRoles(flags.role ?? []);
  await withExisting(flags, async (store) => {
    if (process.stdin.isTTY) process.stderr.write(`password for ${name}: `);
    const password = await readPassword(process.stdin);
    const { created } = await addUser(store, name, roles, flags.scope, password);
    process.stdout.write(`tally: ${created ? 'created' : 'updated'} the account ${name} (${roles.join(', ')})\n`);
  });
});

storeOptions(
  user
    .command('unlock')
    .argument('<name>', 'the user name')
    .description('lift the login locks of an account (after failed logins); needs no login, so it always works for the last administrator'),
).action(async (name: string, flags: { data?: string; database?: string }) => {
  await withExisting(flags, async (store) => {
    const { username, cleared } = await unlockUser(store, name);
    process.stdout.write(`tally: unlocked the account ${username} (${cleared} failure counter${cleared === 1 ? '' : 's'} cleared)\n`);
  });
});

storeOptions(user.command('list').description('the accounts: name, roles, scope, disabled')).action(async (flags: { data?: string; database?: string }) => {
  await withExisting(flags, async (store) => {
    process.stdout.write(await listUsers(store));
  });
});

storeOptions(
  user.command('remove').argument('<name>', 'the user name').description('delete an account with its sessions and API keys (never the last Portal Administrator)'),
).action(async (name: string, flags: { data?: string; database?: string }) => {
  await withExisting(flags, async (store) => {
    await removeUser(store, name);
    process.stdout.write(`tally: removed the account ${name}\n`);
  });
});

storeOptions(
  user.command('passwd').argument('<name>', 'the user name').description('set an account\'s password (read from standard input) and end its sessions'),
).action(async (name: string, flags: { data?: string; database?: string }) => {
  await withExisting(flags, async (store) => {
    if (process.stdin.isTTY) process.stderr.write(`new password for ${name}: `);
    const password = await readPassword(process.stdin);
    await changePassword(store, name, password);
    process.stdout.write(`tally: changed the password of ${name}; its sessions were ended\n`);
  });
});

storeOptions(
  program.command('status').description('the installation: version, database, schema, clock, time zone, licenses and usage totals'),
).action(async (flags: { data?: string; database?: string }) => {
  await withExisting(flags, async (store) => {
    const { installationStatus } = await import('./commands/status.js');
    process.stdout.write(await installationStatus(store, packageVersion()));
  });
});

program
  .command('migrate')
  .description('copy an embedded SQLite database into an empty PostgreSQL database and verify every licensing answer')
  .requiredOption('--from <file>', 'the SQLite database file (e.g. data/tally.db; stop tally serve first)')
  .requiredOption('--to <url>', 'the PostgreSQL database, postgres://user@host:5432/name')
  .option('--time-zone <tz>', 'only as a check: refused unless it is the zone tally serve recorded in the SQLite database')
  .action(async (options: { from: string; to: string; timeZone?: string }) => {
    const { migrateToPostgres } = await import('./commands/migrate.js');
    const progress = progressLine('migrate', 'rows');
    const report = await migrateToPostgres(
      options.from,
      options.to,
      (recorded) => installationZone(recorded, options.timeZone, '--time-zone'),
      (line) => {
        progress.finish();
        process.stdout.write(`tally: ${line}\n`);
      },
      (done, total) => progress.update(done, total === 0 ? 1 : done / total),
    );
    progress.finish();
    if (report.mismatches.length > 0) {
      for (const line of report.mismatches) process.stderr.write(`tally: MISMATCH ${line}\n`);
      fail(`migration copied the data but ${report.mismatches.length} answer(s) differ; do not switch over`);
    }
    process.stdout.write(
      `tally: migrated ${report.copied.events ?? 0} events; verified ${report.organizationsVerified} organizations and ${report.tenantsVerified} tenants: identical answers\n`,
    );
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander already printed its message (unknown option, missing argument, help).
    process.exit(error.exitCode);
  }
  if (expectedErrors.some((kind) => error instanceof kind)) fail((error as Error).message);
  // Anything else is still one line (the brief: never a stack trace); TALLY_DEBUG=1 shows the stack.
  if (process.env.TALLY_DEBUG === '1') process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  const code = (error as NodeJS.ErrnoException)?.code;
  fail(`${error instanceof Error ? error.message : String(error)}${code && !String((error as Error).message).includes(code) ? ` (${code})` : ''}`);
}
