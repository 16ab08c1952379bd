import { describe, expect, it } from 'vitest';
import type { ObservedReplica } from '../../core/model.ts';
import type { ClusterSnapshot } from '../../core/snapshot.ts';
import { RolloutMemory } from './rollout-memory.ts';

const replica = (containerId: string, state: ObservedReplica['state'] = 'running'): ObservedReplica => ({
  containerId,
  node: 'n1',
  app: 'web',
  id: 'web.0',
  revision: 'r1',
  state,
  hostPort: 30000,
  containerPort: 8080,
});
const snap = (at: number, replicas: ObservedReplica[], healthy: string[] = []): ClusterSnapshot => ({ at, nodes: [], replicas, healthy: new Set(healthy) });

describe('RolloutMemory', () => {
  it('says a container is awaiting its first health check while it is young, running and not healthy', () => {
    const m = new RolloutMemory();
    const first = snap(10_000, [replica('a')]);
    m.observe(first);
    expect(m.awaitingFirstHealth(first, 5_000)).toBe(true);
    // healthy: routed, nothing to wait for
    expect(m.awaitingFirstHealth(snap(11_000, [replica('a')], ['a']), 5_000)).toBe(false);
    // never healthy: after the window the loop goes back to its interval
    expect(m.awaitingFirstHealth(snap(15_000, [replica('a')]), 5_000)).toBe(false);
    // not running: nothing to probe
    const exited = snap(10_000, [replica('b', 'exited')]);
    m.observe(exited);
    expect(m.awaitingFirstHealth(exited, 5_000)).toBe(false);
  });

  it('records a batch done when a replica starts draining, once', () => {
    const m = new RolloutMemory();
    m.drain('web', 'a', 1_000);
    m.drain('web', 'a', 2_000); // already draining: neither time moves
    const st = m.state(3_000, new Set());
    expect(st.draining.get('a')).toBe(1_000);
    expect(st.lastBatchDone.get('web')).toBe(1_000);
    m.undrain('a');
    expect(m.state(3_000, new Set()).draining.has('a')).toBe(false);
  });
});
