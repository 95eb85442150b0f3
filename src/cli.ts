#!/usr/bin/env node
/** The `tally` command line (contract §2). */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, resolveServeConfig, type ServeFlags } from './config.js';
import { migrateToPostgres } from './migrate.js';
import { startServer, StartupError } from './serve.js';
import { isValidTimeZone } from './time.js';
import { StoreError } from './store/database.js';

function fail(message: string): never {
  process.stderr.write(`tally: ${message}\n`);
  process.exit(1);
}

const program = new Command()
  .name('tally')
  .description('License-usage server that answers the Veeam VB365 v6 and VSPC v3 licensing APIs from a durable ledger')
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
  .action(async (flags: ServeFlags & { demo?: boolean }) => {
    // commander defaults a --no-X flag to true; only an explicit --no-demo counts as a flag.
    const given: ServeFlags = { ...flags };
    if (program.commands[0]!.getOptionValueSource('demo') !== 'cli') delete given.demo;
    const config = resolveServeConfig(given, process.env);
    const server = await startServer(config);
    let stopping = false;
    const stop = (signal: string) => {
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
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });

program
  .command('migrate')
  .description('copy an embedded SQLite database into an empty PostgreSQL database and verify every licensing answer')
  .requiredOption('--from <file>', 'the SQLite database file (e.g. data/tally.db; stop tally serve first)')
  .requiredOption('--to <url>', 'the PostgreSQL database, postgres://user@host:5432/name')
  .option('--time-zone <tz>', 'IANA time zone of month boundaries, as the server uses it', 'UTC')
  .action(async (options: { from: string; to: string; timeZone: string }) => {
    if (!isValidTimeZone(options.timeZone)) throw new ConfigError(`--time-zone must be an IANA time zone, not ${JSON.stringify(options.timeZone)}`);
    const report = await migrateToPostgres(options.from, options.to, options.timeZone, (line) => process.stdout.write(`tally: ${line}\n`));
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
  if (error instanceof ConfigError || error instanceof StartupError || error instanceof StoreError) fail(error.message);
  throw error;
}
