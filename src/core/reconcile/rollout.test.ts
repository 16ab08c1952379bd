import { describe, expect, it } from 'vitest';
import type { Action, DesiredReplica, ObservedReplica, UpdatePolicy } from '../model.ts';
import { reconcile } from './reconcile.ts';
import { applyRollout, type RolloutState } from './rollout.ts';

const nodes = ['n1', 'n2', 'n3'].map((name) => ({ name, address: '10.0.0.1', enginePort: 2376, state: 'up' as const }));

function want(slot: number, rev: string, node = `n${slot + 1}`): DesiredReplica {
  return { app: 'web', node, image: `r/cloud/web:${rev}`, hostPort: null, containerPort: 8080, id: `web.${slot}`, revision: rev };
}
function seen(slot: number, rev: string, state: ObservedReplica['state'] = 'running', node = `n${slot + 1}`): ObservedReplica {
  return { containerId: `c-${slot}-${rev}`, node, app: 'web', id: `web.${slot}`, revision: rev, state, hostPort: 30000 + slot, containerPort: 8080 };
}
const policy =
  (p: Partial<UpdatePolicy> = {}) =>
  () => ({ parallelism: 1, delayS: 0, order: 'start-first' as const, drainS: 2, monitorS: 30, ...p });
function state(s: Partial<RolloutState> = {}): RolloutState {
  return { now: 100_000, draining: new Map(), firstSeen: new Map(), lastBatchDone: new Map(), healthy: new Set(), ...s };
}
function step(desired: DesiredReplica[], observed: ObservedReplica[], p: ReturnType<typeof policy>, st: RolloutState) {
  const r = reconcile(desired, observed, nodes);
  return applyRollout(r.actions, desired, observed, p, st);
}
const kinds = (as: Action[]) => as.map((a) => `${a.kind} ${a.kind === 'start' ? `${a.replica.id}@${a.replica.revision}` : a.containerId}`);

describe('applyRollout', () => {
  const v2 = [0, 1, 2].map((i) => want(i, 'v2'));
  const v1Running = [0, 1, 2].map((i) => seen(i, 'v1'));
  const allHealthy = (obs: ObservedReplica[]) => new Set(obs.map((o) => o.containerId));

  it('start-first, parallelism 1: starts one new replica and keeps every old one', () => {
    const r = step(v2, v1Running, policy(), state({ healthy: allHealthy(v1Running) }));
    expect(kinds(r.actions)).toEqual(['start web.0@v2']);
    expect(r.waiting.map((w) => w.reason)).toContain('rolling update: waiting for its batch');
    expect(r.failing).toEqual([]);
  });

  it('keeps the old replica while the new one is not healthy yet', () => {
    const obs = [...v1Running, seen(0, 'v2')];
    const r = step(v2, obs, policy(), state({ healthy: allHealthy(v1Running) }));
    expect(kinds(r.actions)).toEqual([]);
    expect(r.waiting.map((w) => w.reason)).toContain('rolling update: new replica not healthy yet');
  });

  it('drains the old replica once the new one is healthy, then stops it after the drain time', () => {
    const obs = [...v1Running, seen(0, 'v2')];
    const healthy = allHealthy(obs);
    const first = step(v2, obs, policy(), state({ healthy }));
    expect(kinds(first.actions)).toEqual(['drain c-0-v1']);
    const during = step(v2, obs, policy(), state({ healthy, draining: new Map([['c-0-v1', 99_000]]) }));
    expect(kinds(during.actions).filter((k) => k.includes('c-0-v1'))).toEqual([]);
    expect(during.waiting.map((w) => w.reason)).toContain('draining in-flight requests');
    const after = step(v2, obs, policy(), state({ healthy, draining: new Map([['c-0-v1', 98_000]]) }));
    expect(kinds(after.actions).filter((k) => k.includes('c-0-v1'))).toEqual(['stop c-0-v1']);
  });

  it('starts the next batch while the last one drains: a slot whose new replica serves and whose old one left the ingress is done', () => {
    const obs = [...v1Running, seen(0, 'v2')];
    const healthy = allHealthy(obs);
    const draining = new Map([['c-0-v1', 99_000]]);
    expect(kinds(step(v2, obs, policy(), state({ healthy, draining })).actions)).toEqual(['start web.1@v2']);
    // the delay counts from that moment (the manager records the batch done when the drain starts)
    const rested = policy({ delayS: 5 });
    expect(kinds(step(v2, obs, rested, state({ healthy, draining, lastBatchDone: new Map([['web', 99_000]]) })).actions)).toEqual([]);
    expect(kinds(step(v2, obs, rested, state({ healthy, draining, lastBatchDone: new Map([['web', 94_000]]) })).actions)).toEqual(['start web.1@v2']);
    // not while the new one is not healthy yet: the old one is not even drained then
    expect(kinds(step(v2, obs, policy(), state({ healthy: allHealthy(v1Running) })).actions)).toEqual([]);
  });

  it('moves to the next batch only after the delay since the last batch completed', () => {
    const obs = [seen(0, 'v2'), seen(1, 'v1'), seen(2, 'v1')];
    const healthy = allHealthy(obs);
    const early = step(v2, obs, policy({ delayS: 5 }), state({ healthy, lastBatchDone: new Map([['web', 97_000]]) }));
    expect(kinds(early.actions)).toEqual([]);
    const later = step(v2, obs, policy({ delayS: 5 }), state({ healthy, lastBatchDone: new Map([['web', 94_000]]) }));
    expect(kinds(later.actions)).toEqual(['start web.1@v2']);
  });

  it('replaces `parallelism` replicas at a time', () => {
    const r = step(v2, v1Running, policy({ parallelism: 2 }), state({ healthy: allHealthy(v1Running) }));
    expect(kinds(r.actions)).toEqual(['start web.0@v2', 'start web.1@v2']);
  });

  it('stop-first drains and stops the old replica before the new one starts', () => {
    const healthy = allHealthy(v1Running);
    const first = step(v2, v1Running, policy({ order: 'stop-first' }), state({ healthy }));
    expect(kinds(first.actions)).toEqual(['drain c-0-v1']);
    const stop = step(v2, v1Running, policy({ order: 'stop-first' }), state({ healthy, draining: new Map([['c-0-v1', 0]]) }));
    expect(kinds(stop.actions)).toEqual(['stop c-0-v1']);
    const gone = v1Running.slice(1);
    const start = step(v2, gone, policy({ order: 'stop-first' }), state({ healthy }));
    expect(kinds(start.actions)).toEqual(['start web.0@v2']);
  });

  it('falls back to stop-first when the new replica needs the host port the old one holds', () => {
    const fixed = [0, 1, 2].map((i) => ({ ...want(i, 'v2'), hostPort: 5050 }));
    const old = [0, 1, 2].map((i) => ({ ...seen(i, 'v1'), hostPort: 5050 }));
    const r = step(fixed, old, policy(), state({ healthy: allHealthy(old) }));
    expect(kinds(r.actions)).toEqual(['drain c-0-v1']);
  });

  it('goes stop-first for an app with volumes whatever its policy says: one writer on the data at a time', () => {
    const withData = [0, 1, 2].map((i) => ({ ...want(i, 'v2'), volumes: [{ name: 'data', target: '/data', readOnly: false }] }));
    const r = step(withData, v1Running, policy({ order: 'start-first' }), state({ healthy: allHealthy(v1Running) }));
    expect(kinds(r.actions)).toEqual(['drain c-0-v1']);
  });

  it('fails the rollout when a new replica dies or is not healthy within the monitor time', () => {
    const died = step(v2, [...v1Running, seen(0, 'v2', 'exited')], policy(), state({ healthy: allHealthy(v1Running) }));
    expect(died.failing).toEqual([{ app: 'web', reason: 'new replica web.0 exited during the update' }]);
    const obs = [...v1Running, seen(0, 'v2')];
    const slow = step(v2, obs, policy({ monitorS: 10 }), state({ healthy: allHealthy(v1Running), firstSeen: new Map([['c-0-v2', 80_000]]) }));
    expect(slow.failing).toEqual([{ app: 'web', reason: 'new replica web.0 not healthy after 10s' }]);
    const young = step(v2, obs, policy({ monitorS: 30 }), state({ healthy: allHealthy(v1Running), firstSeen: new Map([['c-0-v2', 80_000]]) }));
    expect(young.failing).toEqual([]);
  });

  describe('a move (same revision, another node: the scheduler rebalanced the slot)', () => {
    // web.0 runs v1 on n1 and is now wanted on n2, still v1
    const moved = [want(0, 'v1', 'n2'), want(1, 'v1'), want(2, 'v1')];
    const v1 = [0, 1, 2].map((i) => seen(i, 'v1'));
    const healthy = allHealthy(v1);
    const onN2 = (st: ObservedReplica['state'] = 'running'): ObservedReplica => ({ ...seen(0, 'v1', st, 'n2'), containerId: 'c-0-v1-n2' });

    it('is paced like an update: start-first, the old replica drained only once the new one is healthy', () => {
      const start = step(moved, v1, policy(), state({ healthy }));
      expect(kinds(start.actions)).toEqual(['start web.0@v1']);
      expect(start.actions[0]).toMatchObject({ replica: { node: 'n2' } });
      const up = [...v1, onN2()];
      const waiting = step(moved, up, policy(), state({ healthy }));
      expect(kinds(waiting.actions)).toEqual([]);
      expect(waiting.waiting.map((w) => w.reason)).toEqual(['rolling update: new replica not healthy yet']);
      const ready = step(moved, up, policy(), state({ healthy: allHealthy(up) }));
      expect(kinds(ready.actions)).toEqual(['drain c-0-v1']);
    });

    it('a new replica that dies never fails the rollout: it is replaced and the old one keeps serving', () => {
      const obs = [...v1, onN2('exited')];
      const r = step(moved, obs, policy(), state({ healthy }));
      expect(r.failing).toEqual([]);
      expect(kinds(r.actions)).toEqual(['stop c-0-v1-n2', 'start web.0@v1']);
      expect(r.waiting.map((w) => [w.id, w.reason])).toEqual([['web.0', 'rolling update: new replica not healthy yet']]);
    });

    it('a new replica not healthy within the monitor time never fails the rollout: it is stopped, the old one stays', () => {
      const obs = [...v1, onN2()];
      const r = step(moved, obs, policy({ monitorS: 10 }), state({ healthy, firstSeen: new Map([['c-0-v1-n2', 0]]) }));
      expect(r.failing).toEqual([]);
      // the old replica stays until a new one is healthy; this one will not be: a fresh one follows
      expect(kinds(r.actions)).toEqual(['stop c-0-v1-n2']);
      expect(r.actions[0]).toMatchObject({ reason: 'moved replica not healthy after 10s: a fresh one replaces it' });
      // within the monitor time it is only waited for
      const early = step(moved, obs, policy({ monitorS: 10 }), state({ healthy, firstSeen: new Map([['c-0-v1-n2', 95_000]]) }));
      expect(kinds(early.actions)).toEqual([]);
      // and once it is gone the slot starts a fresh one beside the old one
      expect(kinds(step(moved, v1, policy({ monitorS: 10 }), state({ healthy })).actions)).toEqual(['start web.0@v1']);
    });

    it('a move that is also a new revision still fails the rollout', () => {
      const both = [want(0, 'v2', 'n2'), want(1, 'v1'), want(2, 'v1')];
      const died = step(both, [...v1, seen(0, 'v2', 'exited', 'n2')], policy(), state({ healthy }));
      expect(died.failing).toEqual([{ app: 'web', reason: 'new replica web.0 exited during the update' }]);
      const obs = [...v1, seen(0, 'v2', 'running', 'n2')];
      const slow = step(both, obs, policy({ monitorS: 10 }), state({ healthy, firstSeen: new Map([['c-0-v2', 0]]) }));
      expect(slow.failing).toEqual([{ app: 'web', reason: 'new replica web.0 not healthy after 10s' }]);
    });
  });

  it('hands back a draining container the plan wants again, and no other', () => {
    // web.0@v2 drains (scaled away, say), then is wanted again: nothing stops it any more
    const obs = [seen(0, 'v2'), seen(1, 'v2'), seen(2, 'v2')];
    const draining = new Map([
      ['c-0-v2', 99_000],
      ['c-9-v2', 99_000], // gone meanwhile: nothing to hand back
    ]);
    const again = step(v2, obs, policy(), state({ healthy: allHealthy(obs), draining }));
    expect(again.undrain).toEqual(['c-0-v2']);
    expect(kinds(again.actions)).toEqual([]);
    // still scaled away: it stays draining
    const away = step(v2.slice(1), obs, policy(), state({ healthy: allHealthy(obs), draining }));
    expect(away.undrain).toEqual([]);
  });

  it('passes fresh replicas and dead-container replacements straight through', () => {
    const r = step(v2, [seen(0, 'v2')], policy(), state({ healthy: new Set(['c-0-v2']) }));
    expect(kinds(r.actions)).toEqual(['start web.1@v2', 'start web.2@v2']);
    const exited = step(v2.slice(0, 1), [seen(0, 'v2', 'exited')], policy(), state());
    expect(kinds(exited.actions)).toEqual(['stop c-0-v2', 'start web.0@v2']);
  });

  it('drains replicas that are scaled away before stopping them', () => {
    const obs = [seen(0, 'v1'), seen(1, 'v1')];
    const r = step([want(0, 'v1')], obs, policy(), state({ healthy: allHealthy(obs) }));
    expect(kinds(r.actions)).toEqual(['drain c-1-v1']);
  });

  it('is idempotent once the rollout is complete', () => {
    const obs = [0, 1, 2].map((i) => seen(i, 'v2'));
    const r = step(v2, obs, policy(), state({ healthy: allHealthy(obs) }));
    expect(r.actions).toEqual([]);
    expect(r.waiting).toEqual([]);
  });
});
