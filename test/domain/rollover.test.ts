/**
 * Month rollover as a property (fast-check): crossing the first instant of a month, in any time
 * zone, moves exactly the previous month's new VB365 users and VSPC agents to used, and nothing
 * else changes state.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { defaultAgentWeights, type Vb365License, type VspcLicense } from '../../src/domain/licenses.js';
import { activityAt, classifyUsers, type ClassifiedUser } from '../../src/domain/vb365.js';
import { agentStateAt, isNewAgent, type AgentEvent, type AgentState } from '../../src/domain/vspc.js';
import { startOfMonth } from '../../src/time.js';

const DAY = 86_400_000;
const SEED = Number(process.env.TALLY_FC_SEED ?? 20_261_123);
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu'] as const;

/** A month boundary in 2026–2027 in one of the zones, and offsets around it. */
const boundary = fc.record({ month: fc.integer({ min: 0, max: 23 }), zone: fc.constantFrom(...ZONES) }).map(({ month, zone }) => {
  const somewhere = Date.UTC(2026, month, 15);
  return { zone, at: startOfMonth(somewhere, zone) };
});
/** Offsets that stress the boundary: exactly on it, a millisecond either side, and anywhere within 70 days before. */
const offset = fc.oneof(fc.constantFrom(0, -1, 1, -DAY, -31 * DAY), fc.integer({ min: -70 * DAY, max: 0 }));

const rental: Vb365License = { type: 'Rental', totalNumber: 1000, expirationDate: null, autoUpdate: false, lastReportSentAt: null };

test('VB365: at the month start exactly the users New a millisecond before (and still holding) become consuming; only users backed up at that instant are New', () => {
  fc.assert(
    fc.property(boundary, fc.array(fc.array(offset, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 25 }), ({ zone, at }, users) => {
      const classify = (now: number) =>
        classifyUsers(
          users.map((offsets, i) => activityAt('org', `u${i}`, offsets.map((o) => at + o), now)).filter((a) => a !== null),
          rental,
          now,
          zone,
        );
      const before = new Map(classify(at - 1).map((u) => [u.userId, u]));
      const after = new Map(classify(at).map((u) => [u.userId, u]));
      const isNew = (u: ClassifiedUser | undefined) => u?.state === 'New';
      for (const [id, u] of after) {
        const was = before.get(id);
        if (isNew(u) || u.firstBackupAt === at) {
          // New at the boundary exactly when first backed up at it.
          assert.equal(u.firstBackupAt, at, `${id} is New at the month start`);
          assert.equal(u.state, 'New', `${id} first backed up at the month start`);
        } else if (isNew(was)) {
          // New a millisecond before and still holding: now consuming (Licensed with this license).
          assert.equal(u.state, 'Licensed', `${id} moved from New to ${u.state}`);
        } else if (was) {
          assert.equal(u.state, was.state, `${id} changed from ${was.state} to ${u.state}`);
        }
      }
      // Nobody consuming before stops consuming because of the boundary unless its 31-day window ended exactly there.
      for (const [id, u] of before) {
        if (!after.has(id)) assert.equal(u.lastBackupAt + 31 * DAY, at, `${id} disappeared at the boundary`);
      }
    }),
    { numRuns: 300, seed: SEED },
  );
});

test('VSPC: at the month start exactly the agents new a millisecond before (and still managed) become used; only agents activated at that instant are new', () => {
  const license: VspcLicense = { type: 'Rental', edition: null, units: 0, expirationDate: null, weights: defaultAgentWeights('Rental') };
  const agentArb = fc.record({ activated: offset, deactivated: fc.option(fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: -70 * DAY, max: DAY })), { nil: null }) });
  fc.assert(
    fc.property(boundary, fc.array(agentArb, { minLength: 1, maxLength: 25 }), ({ zone, at }, agents) => {
      const states = (now: number) => {
        const out = new Map<string, AgentState>();
        agents.forEach((agent, i) => {
          const events: AgentEvent[] = [{ id: `a${i}`, at: at + agent.activated, type: 'activated', companyUid: 'c', mode: i % 2 ? 'server' : 'workstation', name: `agent${i}` }];
          if (agent.deactivated !== null) events.push({ id: `d${i}`, at: at + agent.deactivated, type: 'deactivated' });
          const state = agentStateAt(`agent${i}`, events, now);
          if (state) out.set(state.agentUid, state);
        });
        return out;
      };
      const before = states(at - 1);
      const after = states(at);
      for (const [uid, agent] of after) {
        const wasNew = before.has(uid) && isNewAgent(before.get(uid)!, license, at - 1, zone);
        assert.equal(isNewAgent(agent, license, at, zone), agent.activatedAt === at, `${uid}: new at the month start exactly when activated at it`);
        if (wasNew) assert.ok(agent.activatedAt >= startOfMonth(at - 1, zone) && agent.activatedAt < at, `${uid} was new in the previous month`);
      }
      // Every agent new a millisecond before that is still managed is used now.
      for (const [uid, agent] of before) {
        if (isNewAgent(agent, license, at - 1, zone) && after.has(uid)) assert.equal(isNewAgent(after.get(uid)!, license, at, zone), false, `${uid} still new`);
      }
    }),
    { numRuns: 300, seed: SEED },
  );
});
