/**
 * Keeps one of the objects Node's `process.nextTick` queues alive for the life of the process, so
 * that V8 keeps their hidden class (map) and the object literal that builds them stays on its fast
 * path. The command line imports it first: in the bundle only the bodies of a few shared chunks
 * (library code that queues no tick) run before it, and it runs before the first full collection.
 *
 * Why: `nextTick` builds each queued callback as `{ [async_id_symbol]: …, [trigger_async_id_symbol]:
 * …, callback, args }`. V8 defines those properties through an inline cache that, once it has seen
 * one map, goes megamorphic the first time it sees any other, and never recovers; a megamorphic
 * site calls into the runtime on every property (`Runtime_DefineKeyedOwnPropertyInLiteral`).
 * Maps reached only through transitions and inline caches are weak: when a full collection finds
 * no tick object alive (as happens while the server starts: a few ticks, then a collection of the
 * start-up garbage), the maps are freed, the next tick object gets new ones, and the cache goes
 * megamorphic for good. Node's HTTP and stream machinery queues about four ticks per request, so
 * under load this was about a tenth of the server's CPU (`perf record`, bench/README.md). One
 * tick object held here holds its map, and through its back pointers every map of the chain.
 *
 * test/runtime/tick-object-shape.test.ts checks that the maps survive a full collection with the
 * object held, that they are replaced without it, and that the command line imports this first.
 */
import { createHook } from 'node:async_hooks';

const kept: object[] = [];

/** Queues one no-op tick while an init hook listens, and keeps the tick object it reports. */
function keepTickObject(): void {
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject') kept.push(resource);
    },
  });
  hook.enable();
  try {
    process.nextTick(() => {});
  } finally {
    hook.disable();
  }
}

keepTickObject();

/** The tick objects held (for tests). */
export function keptTickObjects(): readonly object[] {
  return kept;
}
