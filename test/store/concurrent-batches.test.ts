/**
 * Batches ingested at the same time (on SQLite they are committed together, src/store/sqliteLedger.ts)
 * leave the ledger and every read model exactly as the same events ingested one batch after the
 * other, and each batch keeps its own outcome: a conflicting batch fails alone and leaves nothing.
 *
 * @stores sqlite postgres
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { IngestionService } from '../../src/services/ingestion.js';
import { openStoreAt, type Store } from '../../src/store/database.js';
import { EventConflictError } from '../../src/store/ledger.js';
import { createTestDatabase, TEST_STORE } from '../support/stores.js';

const SEED = Number(process.env.TALLY_FC_SEED ?? 24_112_027);
const RUNS = TEST_STORE === 'postgres' ? 8 : 15;

const ORG = '0a000000-0000-4000-8000-000000000001';
const COMPANIES = ['0c000000-0000-4000-8000-000000000001', '0c000000-0000-4000-8000-000000000002'];
const AGENTS = ['0d000000-0000-4000-8000-000000000001', '0d000000-0000-4000-8000-000000000002', '0d000000-0000-4000-8000-000000000003'];
const USERS = ['u1', 'u2', 'u3'];
const DAY = 86_400_000;
const BASE = Date.parse('2026-10-01T00:00:00Z');
const at = (day: number) => new Date(BASE + day * DAY).toISOString();

type RawEvent = Record<string, unknown> & { id: string };

const day = fc.integer({ min: 0, max: 40 });
const agentEvent = fc.oneof(
  fc.record({ agent: fc.constantFrom(...AGENTS), company: fc.constantFrom(...COMPANIES), mode: fc.constantFrom('server', 'workstation'), day }).map(
    ({ agent, company, mode, day: d }) => ({ type: 'vspc.agentActivated', at: at(d), companyUid: company, agent: { uid: agent, name: `n-${agent.slice(-1)}`, mode } }),
  ),
  fc.record({ agent: fc.constantFrom(...AGENTS), mode: fc.constantFrom('server', 'workstation'), day }).map(({ agent, mode, day: d }) => ({
    type: 'vspc.agentModeChanged', at: at(d), agentUid: agent, mode,
  })),
  fc.record({ agent: fc.constantFrom(...AGENTS), day }).map(({ agent, day: d }) => ({ type: 'vspc.agentDeactivated', at: at(d), agentUid: agent })),
);
const userEvent = fc.oneof(
  fc.record({ user: fc.constantFrom(...USERS), day, name: fc.constantFrom('a', 'b') }).map(({ user, day: d, name }) => ({
    type: 'vb365.backup', at: at(d), organizationId: ORG, user: { id: user, name },
  })),
  fc.record({ user: fc.constantFrom(...USERS), day }).map(({ user, day: d }) => ({ type: 'vb365.licenseRevoked', at: at(d), organizationId: ORG, userId: user })),
);
/** Events with unique ids, split into batches; some batches repeat an event of another. */
const scenario = fc
  .record({
    events: fc.array(fc.oneof(agentEvent, userEvent), { minLength: 1, maxLength: 30 }),
    batches: fc.integer({ min: 2, max: 5 }),
    repeats: fc.array(fc.nat(), { maxLength: 4 }),
  })
  .chain(({ events, batches, repeats }) =>
    fc.array(fc.integer({ min: 0, max: batches - 1 }), { minLength: events.length, maxLength: events.length }).map((slots) => {
      const all: RawEvent[] = events.map((e, i) => ({ id: `e${i}`, ...e }));
      const split: RawEvent[][] = Array.from({ length: batches }, () => []);
      all.forEach((e, i) => split[slots[i]!]!.push(e));
      repeats.forEach((r, i) => split[i % batches]!.push(all[r % all.length]!));
      return { all, split: split.filter((b) => b.length > 0) };
    }),
  );

async function withStore<T>(work: (store: Store, ingestion: IngestionService) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tally-concurrent-'));
  const database = await createTestDatabase();
  const store = await openStoreAt(database.url, dir);
  try {
    return await work(store, new IngestionService(store.db, () => 0));
  } finally {
    await store.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Everything ingestion writes, in key order, comparable across stores. */
async function snapshot(store: Store) {
  const db = store.db;
  return {
    events: await db.selectFrom('events').select(['id', 'type', 'at', 'scope_id', 'subject_id', 'content']).orderBy('id').execute(),
    users: await db.selectFrom('vb365_users').selectAll().orderBy('organization_id').orderBy('user_id').execute(),
    agents: await db.selectFrom('vspc_agents').selectAll().orderBy('agent_uid').execute(),
    agentCompanies: await db.selectFrom('vspc_agent_companies').selectAll().orderBy('company_uid').orderBy('agent_uid').execute(),
    segments: await db.selectFrom('vspc_agent_segments').selectAll().orderBy('agent_uid').orderBy('from_at').execute(),
  };
}

test('concurrent batches write what the same events written one batch at a time write', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async ({ all, split }) => {
      const together = await withStore(async (store, ingestion) => {
        // Started in the same tick: on SQLite they are committed as one group.
        const results = await Promise.all(split.map((batch) => ingestion.ingest(batch)));
        const accepted = results.reduce((sum, r) => sum + r.accepted, 0);
        const duplicates = results.reduce((sum, r) => sum + r.duplicates, 0);
        assert.equal(accepted, all.length);
        assert.equal(accepted + duplicates, split.reduce((sum, b) => sum + b.length, 0));
        return snapshot(store);
      });
      const oneByOne = await withStore(async (store, ingestion) => {
        for (const batch of split) await ingestion.ingest(batch);
        return snapshot(store);
      });
      assert.deepEqual(together, oneByOne);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('in a group, a conflicting batch fails alone and leaves nothing behind', async () => {
  await withStore(async (store, ingestion) => {
    const activation = (id: string, agent: string, company: string) => ({
      id, type: 'vspc.agentActivated', at: at(1), companyUid: company, agent: { uid: agent, name: 'srv', mode: 'server' },
    });
    await ingestion.ingest([activation('known', AGENTS[0]!, COMPANIES[0]!)]);
    const before = await snapshot(store);
    const outcomes = await Promise.allSettled([
      ingestion.ingest([{ id: 'later', type: 'vspc.agentDeactivated', at: at(5), agentUid: AGENTS[0] }]),
      // `known` again with another company: a conflict; its other event must not be stored.
      ingestion.ingest([activation('fresh', AGENTS[1]!, COMPANIES[0]!), activation('known', AGENTS[0]!, COMPANIES[1]!)]),
      ingestion.ingest([activation('other', AGENTS[2]!, COMPANIES[1]!), activation('known', AGENTS[0]!, COMPANIES[0]!)]),
    ]);
    assert.deepEqual(outcomes[0], { status: 'fulfilled', value: { accepted: 1, duplicates: 0 } });
    assert.equal(outcomes[1].status, 'rejected');
    const error = (outcomes[1] as PromiseRejectedResult).reason as EventConflictError;
    assert.ok(error instanceof EventConflictError);
    assert.equal(error.eventId, 'known');
    assert.equal(error.index, 1);
    assert.deepEqual(outcomes[2], { status: 'fulfilled', value: { accepted: 1, duplicates: 1 } });

    const after = await snapshot(store);
    assert.deepEqual(after.events.map((e) => e.id), ['known', 'later', 'other']);
    // The known agent was replayed with its recorded activation and the new deactivation.
    const agent = after.agents.find((a) => a.agent_uid === AGENTS[0]);
    assert.equal(agent?.active, 0);
    assert.equal(Number(agent?.last_event_at), Date.parse(at(5)));
    assert.equal(after.agents.some((a) => a.agent_uid === AGENTS[1]), false);
    assert.deepEqual(after.segments.map((s) => [s.agent_uid, Number(s.from_at), s.to_at === null ? null : Number(s.to_at)]), [
      [AGENTS[0], Date.parse(at(1)), Date.parse(at(5))],
      [AGENTS[2], Date.parse(at(1)), null],
    ]);
    assert.equal(before.events.length, 1);
  });
});
