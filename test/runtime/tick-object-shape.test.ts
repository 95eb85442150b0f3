/**
 * src/runtime/tickObjectShape.ts holds one `process.nextTick` object so that V8 keeps the maps of
 * those objects across full garbage collections (without them the literal in Node's `nextTick`
 * goes megamorphic for good: see the module). Checked on V8's own map log: a child process queues
 * ticks, collects all garbage and queues ticks again; the chain of maps a tick object takes
 * (async id, trigger id, callback, args) must be built once with the keeper, and is built again
 * without it, which shows the test can tell the two apart.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { keptTickObjects } from '../../src/runtime/tickObjectShape.js';

const CHILD = path.join(import.meta.dirname, 'tick-maps-child.ts');

interface Transition {
  from: string;
  key: string;
}

/** How many distinct chains of maps tick objects took in the child, as V8's map log shows them. */
function tickObjectMapChains(mode: 'keep' | 'none'): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'tally-tick-maps-'));
  try {
    const log = path.join(dir, 'maps.log');
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--expose-gc', '--log-maps', `--logfile=${log}`, '--no-logfile-per-isolate', CHILD, mode],
      { encoding: 'utf8' },
    );
    assert.equal(child.status, 0, child.stderr);
    // map,Transition,time,from,to,pc,line,column,reason,key (the key may hold commas: the rest).
    const transitions = new Map<string, Transition>();
    for (const line of readFileSync(log, 'latin1').split('\n')) {
      if (!line.startsWith('map,Transition,')) continue;
      const fields = line.split(',');
      transitions.set(fields[4]!, { from: fields[3]!, key: fields.slice(9).join(',') });
    }
    // A chain ends in `args` and holds both async-id symbols and `callback` on its way back to the
    // root (other keys may sit between them: later Node versions add one).
    let chains = 0;
    for (const [map, { key }] of transitions) {
      if (key !== 'args') continue;
      const keys: string[] = [];
      for (let at: string | undefined = map; at !== undefined && keys.length < 16; at = transitions.get(at)?.from) {
        const step = transitions.get(at);
        if (step) keys.push(step.key);
        else break;
      }
      if (
        keys.includes('callback') &&
        keys.some((k) => k.startsWith('symbol("async_id_symbol"')) &&
        keys.some((k) => k.startsWith('symbol("trigger_async_id_symbol"'))
      ) {
        chains++;
      }
    }
    return chains;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the command line imports the keeper before anything else', () => {
  const source = readFileSync(path.join(import.meta.dirname, '..', '..', 'src', 'cli.ts'), 'utf8');
  const imports = [...source.matchAll(/^import\s[^;]*?['"]([^'"]+)['"];/gms)].map((m) => m[1]);
  assert.equal(imports[0], './runtime/tickObjectShape.js');
});

test('the keeper holds a tick object of the shape nextTick builds', () => {
  const kept = keptTickObjects();
  assert.ok(kept.length >= 1);
  assert.ok(kept.every((tick) => Object.hasOwn(tick, 'callback') && Object.hasOwn(tick, 'args')));
});

test('with the keeper, tick objects keep their maps across a full collection', () => {
  assert.equal(tickObjectMapChains('keep'), 1);
});

test('without it, the collection frees the maps and the next tick objects get new ones', () => {
  assert.equal(tickObjectMapChains('none'), 2);
});
