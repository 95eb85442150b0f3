/**
 * The command line cannot act on the wrong data (issue 18): commands read the installation's
 * clock and time zone from the database, refuse a `--data`/`--database` that holds no Tally
 * database, fail with one `tally: …` line, draw progress only on a terminal; and the operator
 * commands `--version`, `user list|remove|passwd`, `status`.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { ROOT, spawnTally } from '../support/server.js';
import { createTestDatabase, TEST_STORE, type TestDatabase } from '../support/stores.js';

const CLI = path.join(ROOT, 'dist', 'cli.js');
/** The server's fixed clock: the first instant of November in Berlin is still October in UTC's eyes. */
const SERVER_CLOCK = '2026-11-01T00:00:00Z';
const ZONE = 'Europe/Berlin';
const PASSWORD = 'operator-admin-password';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function tally(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Run {
  const env = { ...process.env, ...options.env };
  // The developer's own variables must not leak into what the test checks.
  for (const name of ['TALLY_TIME_ZONE', 'TALLY_CLOCK', 'TALLY_DATA', 'TALLY_DATABASE_URL']) if (!options.env?.[name]) delete env[name];
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, env, input: options.input ?? '' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Non-zero exit, nothing on stdout, exactly one line on stderr: `tally: …` matching `message`. */
function assertOneLineFailure(run: Run, message: RegExp): void {
  assert.notEqual(run.status, 0, `exit ${run.status}; stdout: ${run.stdout}`);
  assert.equal(run.stdout, '', 'nothing on stdout');
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^tally: /);
  assert.match(lines[0]!, message);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

/** Runs `tally ARGS` with its standard streams on a pseudo-terminal (util-linux `script`). */
function onTerminal(args: string[]): Run {
  const command = [process.execPath, CLI, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  const run = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, TERM: 'dumb' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

let scratch: string;
let dataDir: string;
let database: TestDatabase;
let where: string[];

before(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'tally-e2e-operator-'));
  const server = await spawnTally({ keepData: true, args: ['--clock', SERVER_CLOCK, '--time-zone', ZONE, '--admin-password', PASSWORD] });
  await server.stop();
  dataDir = server.dataDir;
  database = server.database;
  where = ['--data', dataDir, ...(database.url ? ['--database', database.url] : [])];
});

after(async () => {
  await database?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The months frozen in the installation's database (read with the report command's own JSON). */
function frozenStatus(month: string): string {
  const run = tally(['report', '--month', month, ...where]);
  assert.equal(run.status, 0, run.stderr);
  return (JSON.parse(run.stdout) as { status: string }).status;
}

describe('tally report works at the installation\'s clock and in its time zone', () => {
  test('November is a draft at the server\'s fixed clock (1 November), not frozen by the system clock of December', () => {
    const run = tally(['report', '--month', '2026-11', ...where]);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.status, 'Draft');
    assert.equal(report.generatedAt, '2026-11-01T00:00:00.000Z');
    assert.equal(report.timeZone, ZONE, 'the zone tally serve recorded');
  });

  test('October is over in Berlin at the server\'s clock: frozen as Final in Berlin time', () => {
    const run = tally(['report', '--month', '2026-10', ...where]);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.status, 'Final');
    assert.equal(report.timeZone, ZONE);
    assert.equal(report.periodEnd, '2026-10-31T23:00:00.000Z');
  });

  test('a --clock later than the server\'s is refused in one line, and November stays open', () => {
    assertOneLineFailure(
      tally(['report', '--month', '2026-11', '--clock', '2026-12-05T00:00:00Z', ...where]),
      /--clock 2026-12-05T00:00:00.000Z is later than the installation's clock 2026-11-01T00:00:00.000Z .*a report cannot run ahead of the server/,
    );
    assertOneLineFailure(
      tally(['report', '--month', '2026-11', ...where], { env: { TALLY_CLOCK: '2026-12-05T00:00:00Z' } }),
      /^tally: TALLY_CLOCK 2026-12-05T00:00:00.000Z is later than the installation's clock/,
    );
    assert.equal(frozenStatus('2026-11'), 'Draft');
  });

  test('an earlier --clock is allowed: the report as it stood then', () => {
    const run = tally(['report', '--month', '2026-11', '--clock', '2026-10-31T23:30:00Z', ...where]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).generatedAt, '2026-10-31T23:30:00.000Z');
  });

  test('a --time-zone (or TALLY_TIME_ZONE) other than the server\'s is refused in one line; nothing is frozen', () => {
    assertOneLineFailure(
      tally(['report', '--month', '2026-11', '--time-zone', 'UTC', ...where]),
      /^tally: --time-zone UTC disagrees with the installation's time zone Europe\/Berlin \(recorded by tally serve\)/,
    );
    assertOneLineFailure(tally(['report', '--month', '2026-11', ...where], { env: { TALLY_TIME_ZONE: 'UTC' } }), /^tally: TALLY_TIME_ZONE UTC disagrees/);
    const same = tally(['report', '--month', '2026-11', '--time-zone', ZONE, ...where]);
    assert.equal(same.status, 0, 'the same zone is accepted');
    assert.equal(frozenStatus('2026-11'), 'Draft');
  });

  test('tally status shows the fixed clock, the zone, the database and its schema', () => {
    const run = tally(['status', ...where]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^version: +\d+\.\d+\.\d+/m);
    assert.match(run.stdout, /^clock: +fixed at 2026-11-01T00:00:00.000Z/m);
    assert.match(run.stdout, /^time zone: +Europe\/Berlin$/m);
    assert.match(run.stdout, /^database: +.+\((sqlite|postgres), [\d.]+ (B|KiB|MiB|GiB|TiB)\)$/m);
    assert.match(run.stdout, /^schema: +00\d\d_\w+ \(\d+ migrations applied\)$/m);
    assert.match(run.stdout, /^VSPC license: +Rental, 5000 units/m);
    assert.match(run.stdout, /^rows: +\d+ events, \d+ companies/m);
  });
});

describe('a --data or --database that holds no Tally database changes nothing and says so', () => {
  const commands: [string, string[], string?][] = [
    ['report', ['report', '--month', '2026-10']],
    ['backup', ['backup', 'BACKUP']],
    ['import', ['import', 'EVENTS']],
    ['user add', ['user', 'add', 'someone', '--role', 'ReadOnlyUser'], 'a-long-password\n'],
    ['user list', ['user', 'list']],
    ['user remove', ['user', 'remove', 'admin']],
    ['user passwd', ['user', 'passwd', 'admin'], 'a-long-password\n'],
    ['status', ['status']],
  ];
  for (const [name, args, input] of commands) {
    test(`tally ${name} with a mistyped --data: refused, and no directory or database is created`, () => {
      const missing = path.join(scratch, `typo-${name.replace(' ', '-')}`);
      const events = path.join(scratch, 'one-event.ndjson');
      writeFileSync(events, '{}\n');
      const resolved = args.map((arg) => (arg === 'BACKUP' ? path.join(scratch, `unused-${name}.db`) : arg === 'EVENTS' ? events : arg));
      assertOneLineFailure(
        tally([...resolved, '--data', missing], input ? { input } : {}),
        /^tally: no Tally database at .*typo-.*tally\.db \(the file does not exist\); check --data\/--database \(only tally serve creates one\)$/,
      );
      assert.equal(existsSync(missing), false, 'the data directory was not created');
    });
  }

  test('a file that is not a Tally database (an empty SQLite file, a text file) is refused and left as it was', () => {
    const empty = path.join(scratch, 'empty.db');
    new SQLite(empty).close();
    const text = path.join(scratch, 'notes.txt');
    writeFileSync(text, 'not a database\n');
    assertOneLineFailure(tally(['report', '--month', '2026-10', '--database', empty]), /no Tally database at .*empty\.db \(the file holds no Tally tables\)/);
    assertOneLineFailure(tally(['status', '--database', text]), /no Tally database at .*notes\.txt \(file is not a database\)/);
    assert.equal(readFileSync(text, 'utf8'), 'not a database\n');
    const probe = new SQLite(empty, { readonly: true });
    try {
      assert.equal((probe.prepare(`select count(*) as n from sqlite_master`).get() as { n: number }).n, 0, 'no tables were created');
    } finally {
      probe.close();
    }
  });

  test('an empty PostgreSQL schema is refused and left empty', { skip: TEST_STORE !== 'postgres' && 'PostgreSQL runs only with TALLY_TEST_STORE=postgres' }, async () => {
    const empty = await createTestDatabase('postgres');
    try {
      assertOneLineFailure(tally(['report', '--month', '2026-10', '--database', empty.url!]), /no Tally database at postgres:.*\(the schema holds no Tally tables\)/);
      const again = tally(['status', '--database', empty.url!]);
      assert.match(again.stderr, /the schema holds no Tally tables/, 'still empty: nothing was migrated');
    } finally {
      await empty.drop();
    }
  });
});

describe('every failure is one tally: line and a non-zero exit', () => {
  test('tally backup /missing/dir/x.db names the missing directory, no stack trace', () => {
    assertOneLineFailure(
      tally(['backup', '/missing/dir/x.db', ...where]),
      TEST_STORE === 'postgres' ? /^tally: tally backup copies the embedded SQLite database; for PostgreSQL use pg_dump/ : /^tally: cannot write \/missing\/dir\/x\.db: the directory \/missing\/dir does not exist$/,
    );
  });

  test('tally restore of a file that is no backup', () => {
    assertOneLineFailure(tally(['restore', path.join(scratch, 'nothing-here.db'), '--data', path.join(scratch, 'restore-target')]), /^tally: no backup at /);
  });

  test('tally user remove of an unknown account; the last Portal Administrator is kept', () => {
    assertOneLineFailure(tally(['user', 'remove', 'nobody', ...where]), /^tally: no account named nobody/);
    assertOneLineFailure(tally(['user', 'remove', 'admin', ...where]), /^tally: admin is the last active PortalAdministrator/);
  });
});

describe('operator commands', () => {
  test('tally --version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const run = tally(['--version']);
    assert.equal(run.status, 0);
    assert.equal(run.stdout, `${version}\n`);
  });

  test('tally user add, list, passwd and remove', () => {
    assert.equal(tally(['user', 'add', 'auditor', '--role', 'ReadOnlyUser', ...where], { input: 'first-password\n' }).status, 0);
    const list = tally(['user', 'list', ...where]);
    assert.equal(list.status, 0, list.stderr);
    const lines = list.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME +ROLES +SCOPE +STATE$/);
    assert.ok(lines.some((line) => /^admin +PortalAdministrator,Vb365Administrator +- +active$/.test(line)), list.stdout);
    assert.ok(lines.some((line) => /^auditor +ReadOnlyUser +- +active$/.test(line)), list.stdout);
    assertOneLineFailure(tally(['user', 'passwd', 'auditor', ...where], { input: 'short\n' }), /at least 8 characters/);
    const passwd = tally(['user', 'passwd', 'auditor', ...where], { input: 'second-password\n' });
    assert.equal(passwd.stdout, 'tally: changed the password of auditor; its sessions were ended\n', passwd.stderr);
    const removed = tally(['user', 'remove', 'auditor', ...where]);
    assert.equal(removed.stdout, 'tally: removed the account auditor\n', removed.stderr);
    assert.doesNotMatch(tally(['user', 'list', ...where]).stdout, /auditor/);
  });
});

describe('progress with rate and time left on a terminal, nothing in a pipe', { skip: TEST_STORE === 'postgres' && 'backup and restore copy the embedded SQLite database' }, () => {
  const eventsFile = () => {
    const file = path.join(scratch, 'progress.ndjson');
    const lines = Array.from({ length: 25_000 }, (_, i) =>
      JSON.stringify({
        id: `progress-${i}`,
        type: 'vspc.agentActivated',
        at: '2026-10-02T08:00:00Z',
        companyUid: 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e',
        agent: { uid: `0e000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, name: `agent-${i}`, mode: 'workstation' },
      }),
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };
  const PROGRESS = /\rtally: (import|backup|restore) +\[[#.]{20}\] \d+% +[\d,]+ (events|pages) +[\d,]+ (events|pages)\/s/;

  test('import, backup and restore draw a progress line on a terminal', () => {
    const { dir } = { dir: mkdtempSync(path.join(scratch, 'tty-')) };
    const copy = path.join(dir, 'copy.db');
    assert.equal(tally(['backup', copy, ...where]).status, 0, 'a copy to import into');
    const target = ['--database', copy];
    const imported = onTerminal(['import', eventsFile(), ...target]);
    assert.equal(imported.status, 0, imported.stdout);
    assert.match(imported.stdout, PROGRESS);
    assert.match(imported.stdout, /\rtally: import +\[#{20}\] 100% +25,000 events/);
    assert.match(imported.stdout, /left/);
    assert.match(imported.stdout, /tally: imported 25000 events/);
    const backup = onTerminal(['backup', path.join(dir, 'second.db'), ...target]);
    assert.equal(backup.status, 0, backup.stdout);
    assert.match(backup.stdout, /\rtally: backup +\[#{20}\] 100% +[\d,]+ pages/);
    const restore = onTerminal(['restore', path.join(dir, 'second.db'), '--data', path.join(dir, 'restored')]);
    assert.equal(restore.status, 0, restore.stdout);
    assert.match(restore.stdout, /\rtally: restore +\[#{20}\] 100% +[\d,]+ pages/);
  });

  test('in a pipe, import, backup and restore print only their result line', () => {
    const dir = mkdtempSync(path.join(scratch, 'pipe-'));
    const copy = path.join(dir, 'copy.db');
    assert.equal(tally(['backup', copy, ...where]).status, 0);
    const imported = tally(['import', eventsFile(), '--database', copy]);
    assert.equal(imported.status, 0, imported.stderr);
    assert.equal(imported.stderr, '', 'nothing on stderr in a pipe');
    assert.match(imported.stdout, /^tally: imported \d+ events \(\d+ duplicates ignored\)\n$/);
    const backup = tally(['backup', path.join(dir, 'second.db'), '--database', copy]);
    assert.equal(backup.stderr, '');
    const restore = tally(['restore', path.join(dir, 'second.db'), '--data', path.join(dir, 'restored')]);
    assert.equal(restore.stderr, '');
    assert.match(restore.stdout, /^tally: restored .* events\)\n$/);
  });
});

describe('npm start', { skip: TEST_STORE === 'postgres' && 'the start script is the same on either store' }, () => {
  test('SIGTERM to npm\'s process stops the server: no orphan keeps the port', async () => {
    const { spawn } = await import('node:child_process');
    const net = await import('node:net');
    const data = mkdtempSync(path.join(scratch, 'npm-start-'));
    const npm = spawn('npm', ['start', '--silent', '--', '--data', data, '--http', '--vb365-port', '0', '--vspc-port', '0', '--no-demo', '--admin-password', PASSWORD], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout!.on('data', (chunk) => (out += chunk));
    let err = '';
    npm.stderr!.on('data', (chunk) => (err += chunk));
    // 'close': npm's standard streams, which the server inherited, are closed by both processes.
    const exited = new Promise<void>((resolve) => npm.on('close', () => resolve()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 60_000);
      npm.stdout!.on('data', () => {
        const m = /tally listening vb365=http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    npm.kill('SIGTERM');
    // npm passes the signal on and ends itself by it; the server closes gracefully.
    const closed = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000))]);
    if (!closed) {
      // The server outlived npm (the bug): stop it through the port's owner before failing.
      spawnSync('fuser', ['-k', '-TERM', `${port}/tcp`]);
      assert.fail(`the server kept running after npm ended; stderr: ${err}`);
    }
    assert.match(err, /tally: SIGTERM received, finishing requests and closing the database/, `the server itself got the signal; stderr: ${err}`);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    assert.ok(refused, `port ${port} is closed: the server exited with npm`);
  });
});

describe('tally migrate draws its progress on a terminal', { skip: TEST_STORE !== 'postgres' && 'PostgreSQL runs only with TALLY_TEST_STORE=postgres' }, () => {
  test('rows copied with rate and time left, then its result lines', async () => {
    const { openStoreAt } = await import('../../src/store/database.js');
    const source = path.join(mkdtempSync(path.join(scratch, 'migrate-')), 'tally.db');
    await (await openStoreAt(source, path.dirname(source))).close();
    const events = path.join(path.dirname(source), 'events.ndjson');
    writeFileSync(events, Array.from({ length: 3000 }, (_, i) => JSON.stringify({
      id: `migrate-${i}`, type: 'vspc.agentActivated', at: '2026-10-02T08:00:00Z', companyUid: 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e',
      agent: { uid: `0e000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, name: `agent-${i}`, mode: 'server' },
    })).join('\n'));
    assert.equal(tally(['import', events, '--database', source]).status, 0);
    const target = await createTestDatabase('postgres');
    try {
      const run = onTerminal(['migrate', '--from', source, '--to', target.url!]);
      assert.equal(run.status, 0, run.stdout);
      assert.match(run.stdout, /\rtally: migrate +\[[#.]{20}\] \d+% +[\d,]+ rows +[\d,]+ rows\/s/);
      assert.match(run.stdout, /tally: migrated 3000 events; verified 0 organizations and 0 tenants: identical answers/);
    } finally {
      await target.drop();
    }
  });
});
