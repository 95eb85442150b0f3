/**
 * The shared-memory view addon (packages/shm-view): the mapping shows the file's bytes as they are
 * now, written by any descriptor or process, and is refused where reading it could fault.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SKIP_WITHOUT_SHM_VIEW } from '../support/shmView.js';

type ShmView = { mapShared(fd: number, length: number): ArrayBuffer };
/** Loaded in the tests: where the addon is missing they are skipped, or fail if it is required. */
const { mapShared } = (SKIP_WITHOUT_SHM_VIEW === false ? createRequire(import.meta.url)('tally-shm-view') : {}) as ShmView;

test('the mapping shows what another descriptor and another process write afterwards', { skip: SKIP_WITHOUT_SHM_VIEW }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tally-shm-view-'));
  const file = path.join(dir, 'shared');
  try {
    writeFileSync(file, Buffer.alloc(4096, 0));
    const fd = openSync(file, 'r');
    try {
      const view = new Uint8Array(mapShared(fd, 96));
      assert.equal(view.length, 96);
      assert.ok(view.every((b) => b === 0));
      const writer = openSync(file, 'r+');
      writeSync(writer, Buffer.from([1, 2, 3]), 0, 3, 10);
      closeSync(writer);
      assert.deepEqual([...view.subarray(10, 13)], [1, 2, 3]);
      const child = spawnSync(process.execPath, ['-e', `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(file)},'r+');fs.writeSync(fd,Buffer.from([9]),0,1,95);`]);
      assert.equal(child.status, 0, String(child.stderr));
      assert.equal(view[95], 9);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a length past the end of the file, or no open descriptor, is refused rather than mapped', { skip: SKIP_WITHOUT_SHM_VIEW }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tally-shm-view-'));
  const file = path.join(dir, 'short');
  try {
    writeFileSync(file, Buffer.alloc(50));
    const fd = openSync(file, 'r');
    try {
      assert.throws(() => mapShared(fd, 96), /shorter than the length/);
      assert.equal(mapShared(fd, 50).byteLength, 50);
    } finally {
      closeSync(fd);
    }
    assert.throws(() => mapShared(-1, 96), TypeError);
    assert.throws(() => mapShared(0, 0), TypeError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
