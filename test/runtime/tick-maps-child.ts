/**
 * Child process of tick-object-shape.test.ts, run with --expose-gc and --log-maps: queues a few
 * ticks, lets them run, collects all garbage, and queues ticks again. With `keep` the keeper
 * module is loaded first, as the command line loads it.
 */
const keep = process.argv[2] === 'keep';
if (keep) await import('../../src/runtime/tickObjectShape.js');

const noop = () => {};
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

for (let i = 0; i < 10; i++) process.nextTick(noop);
await settle();
(globalThis as { gc?: () => void }).gc!();
await settle();
for (let i = 0; i < 10; i++) process.nextTick(noop);
await settle();
