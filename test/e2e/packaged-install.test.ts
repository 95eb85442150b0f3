/**
 * The package as a user gets it (issue 18, item 6): `npm pack`, install the tarball into an empty
 * folder, start `npx tally serve` there, and get both seed answers byte for byte.
 *
 * The machine that runs the tests has no network. `npm install TARBALL --offline` needs the
 * registry's metadata of every dependency, which npm's cache does not hold (the repository was
 * installed with `npm ci` from its lockfile, which fetches tarballs only). So the empty folder is
 * given a lockfile made from the repository's own: the tarball as its one dependency, and every
 * production entry of package-lock.json as it is (resolved URL and integrity). `npm ci --offline`
 * then takes every tarball from the cache by its integrity. better-sqlite3 builds from source
 * with node-gyp against the installed Node's headers (`nodedir`, /usr here) when its prebuilt
 * binary cannot be downloaded. docs/operations.md ("Installing from the package") says the same.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { passwordToken, request, ROOT } from '../support/server.js';
import { CLOCK, SEED_VB365_BODY, SEED_VB365_PATH, SEED_VSPC_BODY, SEED_VSPC_PATH } from './helpers.js';

const PASSWORD = 'packaged-admin-password';
const scratch = mkdtempSync(path.join(tmpdir(), 'tally-e2e-package-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function npm(args: string[], cwd: string): string {
  const run = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  assert.equal(run.status, 0, `npm ${args.join(' ')}\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

/** A lockfile for a folder that depends on the tarball only, from the repository's lockfile. */
function lockfileFor(tarball: string): unknown {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const packages: Record<string, unknown> = {
    '': { name: 'tally-install', dependencies: { tally: `file:${tarball}` } },
    'node_modules/tally': {
      version: manifest.version,
      resolved: `file:${tarball}`,
      license: manifest.license,
      dependencies: manifest.dependencies,
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  for (const [key, entry] of Object.entries(lock.packages as Record<string, { dev?: boolean; link?: boolean; resolved?: string; version?: string }>)) {
    if (!key.startsWith('node_modules/') || entry.dev || entry.link) continue;
    // Entries added without `resolved` (prom-client's) would need the registry's metadata: name
    // the registry's tarball URL, which is the key of the tarball in npm's cache.
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const resolved = entry.resolved ?? `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${entry.version}.tgz`;
    packages[key] = { ...entry, resolved };
  }
  return { name: 'tally-install', lockfileVersion: 3, requires: true, packages };
}

test('npm pack → npm ci of the tarball into an empty folder, offline → npx tally serve answers both seeds', { timeout: 600_000 }, async () => {
  const packed = path.join(scratch, 'packed');
  mkdirSync(packed);
  npm(['pack', '--pack-destination', packed, '--silent'], ROOT);
  const [tarball] = readdirSync(packed).filter((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'a tarball');
  const listing = spawnSync('tar', ['-tzf', path.join(packed, tarball)], { encoding: 'utf8' }).stdout.split('\n');
  assert.ok(listing.includes('package/dist/cli.js'), 'the built command is in the package');
  assert.ok(listing.some((f) => f.startsWith('package/packaging/')), 'the systemd unit and Dockerfile are in the package');
  assert.ok(!listing.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/')), 'no sources or tests');

  const app = path.join(scratch, 'app');
  mkdirSync(app);
  const tgz = path.join(packed, tarball);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'tally-install', private: true, dependencies: { tally: `file:${tgz}` } }));
  writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(lockfileFor(tgz), null, 2));
  npm(['ci', '--offline', '--no-audit', '--no-fund', '--loglevel', 'error'], app);

  const data = path.join(app, 'data');
  // In a process group of its own, stopped as a terminal's Ctrl-C would: npx runs the command
  // through a shell, and a signal to npx alone would leave the server running.
  const server = spawn('npx', ['--offline', 'tally', 'serve', '--data', data, '--http', '--vb365-port', '0', '--vspc-port', '0', '--clock', CLOCK, '--admin-password', PASSWORD], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  server.stdout!.on('data', (chunk) => (out += chunk));
  server.stderr!.on('data', (chunk) => (err += chunk));
  const closed = new Promise<void>((resolve) => server.on('close', () => resolve()));
  try {
    const [vb365, vspc] = await new Promise<[string, string]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line\n${out}\n${err}`)), 120_000);
      server.stdout!.on('data', () => {
        const m = /tally listening vb365=(\S+) vspc=(\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve([m[1]!, m[2]!]);
        }
      });
      server.on('exit', (code) => reject(new Error(`tally exited with ${code}\n${out}\n${err}`)));
    });
    const vbToken = await passwordToken(vb365, 'vb365', 'admin', PASSWORD);
    const vb = await request('GET', `${vb365}${SEED_VB365_PATH}`, { headers: { authorization: `Bearer ${vbToken}` } });
    assert.equal(vb.status, 200);
    assert.equal(vb.text, SEED_VB365_BODY);
    const vsToken = await passwordToken(vspc, 'vspc', 'admin', PASSWORD);
    const vs = await request('GET', `${vspc}${SEED_VSPC_PATH}`, { headers: { authorization: `Bearer ${vsToken}` } });
    assert.equal(vs.status, 200);
    assert.equal(vs.text, SEED_VSPC_BODY);
    const version = spawnSync('npx', ['--offline', 'tally', '--version'], { cwd: app, encoding: 'utf8' });
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  } finally {
    process.kill(-server.pid!, 'SIGTERM');
    await closed;
  }
});
