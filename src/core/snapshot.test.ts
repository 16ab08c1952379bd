import { describe, expect, it } from 'vitest';
import type { DesiredReplica, ObservedReplica } from './model.ts';
import { routedReplicas, warmingReplicas, type ClusterSnapshot } from './snapshot.ts';

const node = (name: string, state: 'up' | 'down' = 'up') => ({
  name,
  address: `10.0.0.${name.slice(1)}`,
  enginePort: 2376,
  state,
  labels: {},
  apiLabels: {},
  availability: 'active' as 'active' | 'drain',
  driver: null as string | null,
  capacity: null,
  engineVersion: null,
});
const container = (containerId: string, n: string, id: string, revision: string, o: Partial<ObservedReplica> = {}): ObservedReplica => ({
  containerId,
  node: n,
  app: id.split('.')[0]!,
  id,
  revision,
  state: 'running',
  hostPort: 30000 + Number(containerId.replace(/\D/g, '')),
  containerPort: 8080,
  ...o,
});
const want = (n: string, id: string, revision: string): DesiredReplica => ({
  app: id.split('.')[0]!,
  node: n,
  image: 'r/web:1',
  hostPort: null,
  containerPort: 8080,
  id,
  revision,
});

function snap(
  replicas: ObservedReplica[],
  healthy = replicas.map((r) => r.containerId),
  nodes = [node('n1'), node('n2'), node('n3', 'down')],
): ClusterSnapshot {
  return { at: 0, nodes, replicas, healthy: new Set(healthy) };
}

const ids = (routes: { containerId: string }[]) => routes.map((r) => r.containerId).sort();

describe('which replicas the ingress routes', () => {
  const desired = [want('n1', 'web.0', 'r2'), want('n2', 'web.1', 'r2')];

  it('admits the healthy running replicas of the desired state, with their address and host port', () => {
    const s = snap([container('c1', 'n1', 'web.0', 'r2'), container('c2', 'n2', 'web.1', 'r2')]);
    const r = routedReplicas(s, new Set(), { desired, routed: new Set() });
    expect(r.map((x) => x.route)).toEqual([
      { app: 'web', node: 'n1', address: '10.0.0.1', port: 30001 },
      { app: 'web', node: 'n2', address: '10.0.0.2', port: 30002 },
    ]);
  });

  it('never lets in a container the desired state does not want: an old revision, a slot that moved, another app', () => {
    const s = snap([
      container('c3', 'n1', 'web.0', 'r1'), // old revision
      container('c4', 'n1', 'web.1', 'r2'), // web.1 belongs on n2 now
      container('c5', 'n2', 'web.1', 'r2', { app: 'api' }), // a label mix-up: another app
    ]);
    expect(routedReplicas(s, new Set(), { desired, routed: new Set() })).toEqual([]);
  });

  it('never routes a replica on a simulated node (the sim driver), even one routed already', () => {
    const s = snap([container('c1', 'n1', 'web.0', 'r2'), container('c2', 'n2', 'web.1', 'r2')], undefined, [node('n1'), { ...node('n2'), driver: 'sim' }]);
    expect(ids(routedReplicas(s, new Set(), { desired, routed: new Set(['c2']) }))).toEqual(['c1']);
  });

  it("on a drained node, routes a pinned app's replica only while the app has none elsewhere", () => {
    const drained = { ...node('n1'), availability: 'drain' as const };
    const pinned = new Set(['web']);
    const s = snap([container('c1', 'n1', 'web.0', 'r2'), container('c2', 'n2', 'web.1', 'r2')], undefined, [drained, node('n2')]);
    expect(ids(routedReplicas(s, new Set(), { desired, routed: new Set(['c1', 'c2']), pinned }))).toEqual(['c2']);
    // the other one not (yet) healthy: the drained node's serves on
    const alone = snap([container('c1', 'n1', 'web.0', 'r2'), container('c2', 'n2', 'web.1', 'r2')], ['c1'], [drained, node('n2')]);
    expect(ids(routedReplicas(alone, new Set(), { desired, routed: new Set(['c1', 'c2']), pinned }))).toEqual(['c1']);
    // an app that is not pinned moves away start-first: its replica there serves until then
    expect(ids(routedReplicas(s, new Set(), { desired, routed: new Set(['c1', 'c2']) }))).toEqual(['c1', 'c2']);
  });

  it('keeps what is routed already until the plan drains it (a rolling update keeps its old replicas serving)', () => {
    const s = snap([container('c3', 'n1', 'web.0', 'r1'), container('c1', 'n1', 'web.0', 'r2')]);
    expect(ids(routedReplicas(s, new Set(), { desired, routed: new Set(['c3']) }))).toEqual(['c1', 'c3']);
    expect(ids(routedReplicas(s, new Set(['c3']), { desired, routed: new Set(['c3']) }))).toEqual(['c1']);
  });

  it('routes nothing that is unhealthy, stopped, without a host port, or on a node that is down', () => {
    const s = snap(
      [
        container('c1', 'n1', 'web.0', 'r2'),
        container('c2', 'n2', 'web.1', 'r2', { state: 'exited' }),
        container('c6', 'n1', 'web.0', 'r2', { hostPort: null }),
        container('c7', 'n3', 'web.2', 'r2'),
      ],
      ['c2', 'c6', 'c7'],
    );
    const all = new Set(['c1', 'c2', 'c6', 'c7']);
    expect(routedReplicas(s, new Set(), { desired: [...desired, want('n3', 'web.2', 'r2')], routed: all })).toEqual([]);
  });

  describe('internal replicas', () => {
    it('are routed at their cluster address and container port once healthy, flagged; without an address they are not', () => {
      const desired = [want('n1', 'db.0', 'r1'), want('n2', 'db.1', 'r1')];
      const s = snap([
        container('c1', 'n1', 'db.0', 'r1', { internal: true, address: '10.220.1.2', hostPort: 40001 }),
        container('c2', 'n2', 'db.1', 'r1', { internal: true }),
      ]);
      const r = routedReplicas(s, new Set(), { desired, routed: new Set() });
      expect(r.map((x) => [x.route, x.internal])).toEqual([[{ app: 'db', node: 'n1', address: '10.220.1.2', port: 8080 }, true]]);
    });
  });
});

describe('which replicas the ingress declares ahead, switched off', () => {
  const desired = [want('n1', 'web.0', 'r2'), want('n2', 'web.1', 'r2'), want('n3', 'web.2', 'r2')];

  it('the running replicas of the desired state that are not healthy, routed or draining, on answering nodes', () => {
    const s = snap(
      [
        container('c1', 'n1', 'web.0', 'r2'), // healthy, routed
        container('c2', 'n2', 'web.1', 'r2'), // not healthy yet
        container('c3', 'n2', 'web.1', 'r1'), // an old revision: never
        container('c4', 'n1', 'web.9', 'r2'), // not desired
        container('c5', 'n3', 'web.2', 'r2'), // its node is down
        container('c6', 'n2', 'web.1', 'r2', { state: 'exited' }),
        container('c7', 'n2', 'web.1', 'r2', { hostPort: null }),
        container('c8', 'n2', 'web.1', 'r2', { internal: true, address: '10.220.2.2' }),
        container('c9', 'n2', 'web.1', 'r2'), // draining
      ],
      ['c1'],
    );
    const routed = routedReplicas(s, new Set(), { desired, routed: new Set() });
    expect(ids(routed)).toEqual(['c1']);
    const w = warmingReplicas(s, new Set(['c9']), desired, routed);
    expect(ids(w)).toEqual(['c2']);
    expect(w[0]!.route).toEqual({ app: 'web', node: 'n2', address: '10.0.0.2', port: 30002 });
    // on a simulated node: nothing answers there
    const sim = snap([container('c2', 'n2', 'web.1', 'r2')], [], [node('n1'), { ...node('n2'), driver: 'sim' }]);
    expect(warmingReplicas(sim, new Set(), desired, [])).toEqual([]);
  });
});
