import { describe, expect, it } from 'vitest';
import type { Action, ContainerState, DesiredReplica, NodeStatus, ObservedReplica } from '../model.ts';
import { describeAction, isCurrentReplica, isRollingUpdate, isRolloutWait, reconcile, type BlockKind } from './reconcile.ts';

const status = (name: string, state: 'up' | 'down' = 'up'): NodeStatus => ({ name, address: `10.0.0.${name.length}`, enginePort: 2376, state });
const UP = [status('node1'), status('node2'), status('node3')];

function want(app: string, node: string, hostPort = 5050, revision = 'rev1'): DesiredReplica {
  return {
    app,
    node,
    image: `reg:5000/cloud/${app}:latest`,
    hostPort,
    containerPort: 8080,
    id: `${app}.${node}.${hostPort}`,
    revision,
    source: 'applications.plan:1',
  };
}

function seen(d: DesiredReplica, containerId: string, over: Partial<ObservedReplica> = {}): ObservedReplica {
  return {
    containerId,
    node: d.node,
    app: d.app,
    id: d.id,
    revision: d.revision,
    state: 'running',
    hostPort: d.hostPort,
    containerPort: d.containerPort,
    ...over,
  };
}

/** What the executor would leave behind: stopped containers gone, started ones running. */
function apply(observed: ObservedReplica[], actions: Action[]): ObservedReplica[] {
  const stopped = new Set(actions.flatMap((a) => (a.kind === 'stop' ? [`${a.node}/${a.containerId}`] : [])));
  const left = observed.filter((o) => !stopped.has(`${o.node}/${o.containerId}`));
  const started = actions.flatMap((a, i) => (a.kind === 'start' ? [seen(a.replica, `new${i}`)] : []));
  return [...left, ...started];
}

const summary = (actions: Action[]) => actions.map((a) => (a.kind === 'start' ? `start ${a.replica.id}` : `stop ${a.id} ${a.containerId} (${a.reason})`));

describe('reconcile: single replica', () => {
  const d = want('web', 'node1');

  it('a running container of the right revision needs nothing', () => {
    expect(reconcile([d], [seen(d, 'c1')], UP)).toEqual({ actions: [], blocked: [] });
  });

  it('no container -> start', () => {
    expect(reconcile([d], [], UP).actions).toEqual([{ kind: 'start', replica: d }]);
  });

  it('another revision -> stop it, then start', () => {
    const r = reconcile([d], [seen(d, 'c1', { revision: 'old' })], UP);
    expect(summary(r.actions)).toEqual(['stop web.node1.5050 c1 (revision changed)', 'start web.node1.5050']);
    expect(r.actions[0]).toEqual({ kind: 'stop', node: 'node1', containerId: 'c1', app: 'web', id: 'web.node1.5050', reason: 'revision changed' });
  });

  it.each<ContainerState>(['exited', 'dead', 'created', 'restarting', 'paused', 'removing'])('state %s -> stop then start', (st) => {
    const r = reconcile([d], [seen(d, 'c1', { state: st })], UP);
    expect(summary(r.actions)).toEqual([`stop web.node1.5050 c1 (not running (${st}))`, 'start web.node1.5050']);
  });

  it('several running good containers -> keep the lowest containerId, stop the rest as duplicates', () => {
    const r = reconcile([d], [seen(d, 'c3'), seen(d, 'c1'), seen(d, 'c2')], UP);
    expect(summary(r.actions)).toEqual(['stop web.node1.5050 c2 (duplicate)', 'stop web.node1.5050 c3 (duplicate)']);
  });

  it('keeps the lowest running right-revision container even if lower ids are wrong, each stop with its reason', () => {
    const r = reconcile([d], [seen(d, 'a', { state: 'exited' }), seen(d, 'b', { revision: 'old' }), seen(d, 'd'), seen(d, 'c')], UP);
    expect(summary(r.actions)).toEqual([
      'stop web.node1.5050 a (not running (exited))',
      'stop web.node1.5050 b (revision changed)',
      'stop web.node1.5050 d (duplicate)',
    ]);
  });

  it('several containers none good -> stop all, start exactly one', () => {
    const r = reconcile([d], [seen(d, 'b', { state: 'exited' }), seen(d, 'a', { revision: 'old', state: 'exited' })], UP);
    expect(summary(r.actions)).toEqual(['stop web.node1.5050 a (revision changed)', 'stop web.node1.5050 b (not running (exited))', 'start web.node1.5050']);
  });

  it('a container whose id is not desired -> stop (not in plan)', () => {
    const gone = want('old', 'node2');
    expect(summary(reconcile([], [seen(gone, 'x')], UP).actions)).toEqual(['stop old.node2.5050 x (not in plan)']);
  });

  it('a container carrying a desired id on another node is not that replica', () => {
    const r = reconcile([d], [seen(d, 'x', { node: 'node2' })], UP);
    expect(summary(r.actions)).toEqual(['stop web.node1.5050 x (not in plan)', 'start web.node1.5050']);
  });

  it('an empty plan stops everything, stopped or not', () => {
    const r = reconcile([], [seen(d, 'c1'), seen(d, 'c2', { state: 'exited' })], UP);
    expect(r.actions.every((a) => a.kind === 'stop' && a.reason === 'not in plan')).toBe(true);
    expect(r.actions).toHaveLength(2);
  });

  it('a repeated desired id is treated as one replica', () => {
    expect(reconcile([d, d], [], UP).actions).toHaveLength(1);
  });
});

describe('reconcile: down nodes', () => {
  const nodes = [status('node1'), status('node2', 'down')];

  it('desired replicas on a down node are blocked, not started', () => {
    const r = reconcile([want('web', 'node1'), want('web', 'node2')], [], nodes);
    expect(summary(r.actions)).toEqual(['start web.node1.5050']);
    expect(r.blocked).toEqual([{ app: 'web', id: 'web.node2.5050', node: 'node2', kind: 'node-down', reason: 'node node2 is down' }]);
  });

  it('observed containers on a down node are ignored (no stop, no duplicate start)', () => {
    const d = want('web', 'node2');
    const r = reconcile([d], [seen(d, 'c1', { revision: 'old' }), seen(want('x', 'node2'), 'c2')], nodes);
    expect(r.actions).toEqual([]);
    expect(r.blocked).toHaveLength(1);
  });

  it('a pinned replica whose ports changed is replaced, though its revision is the same', () => {
    const d = want('web', 'node1', 5050);
    const running = seen({ ...d, hostPort: 6060 }, 'c1');
    const r = reconcile([d], [running], UP);
    expect(summary(r.actions)).toEqual(['stop web.node1.5050 c1 (ports changed)', 'start web.node1.5050']);
    // an engine-assigned port (null) and a stopped container without ports match by revision
    expect(reconcile([{ ...d, hostPort: null }], [running], UP).actions).toEqual([]);
    expect(isCurrentReplica(seen(d, 'c2', { state: 'exited', hostPort: null, containerPort: null }), d)).toBe(true);
    expect(isCurrentReplica(seen(d, 'c3', { containerPort: 9090 }), d)).toBe(false);
  });

  it('a node missing from the status list is never acted on', () => {
    const d = want('web', 'node9');
    const r = reconcile([d], [seen(want('x', 'node9'), 'c9')], nodes);
    expect(r.actions).toEqual([]);
    expect(r.blocked).toEqual([{ app: 'web', id: 'web.node9.5050', node: 'node9', kind: 'node-unknown', reason: 'node node9 is not in the cluster' }]);
  });

  it('blocked entries are sorted by node then id', () => {
    const down = [status('a', 'down'), status('b', 'down')];
    const r = reconcile([want('z', 'b'), want('y', 'a'), want('x', 'b')], [], down);
    expect(r.blocked.map((b) => b.id)).toEqual(['y.a.5050', 'x.b.5050', 'z.b.5050']);
  });
});

describe('reconcile: ordering', () => {
  it('all stops first (node, id, containerId), then starts (node, id)', () => {
    const desired = [want('web', 'node2'), want('api', 'node2', 6000), want('web', 'node1'), want('api', 'node1', 6000, 'new')];
    const observed = [
      seen(want('old', 'node2'), 'z'),
      seen(want('api', 'node1', 6000), 'm'), // revision 'rev1' vs desired 'new'
      seen(want('old', 'node1'), 'b'),
      seen(want('old', 'node1'), 'a'),
    ];
    const r = reconcile(desired, observed, UP);
    expect(summary(r.actions)).toEqual([
      'stop api.node1.6000 m (revision changed)',
      'stop old.node1.5050 a (not in plan)',
      'stop old.node1.5050 b (not in plan)',
      'stop old.node2.5050 z (not in plan)',
      'start api.node1.6000',
      'start web.node1.5050',
      'start api.node2.6000',
      'start web.node2.5050',
    ]);
  });

  it('the output does not depend on input order', () => {
    const desired = [want('a', 'node1'), want('b', 'node2'), want('c', 'node3'), want('a', 'node2', 7000)];
    const observed = [
      seen(want('a', 'node1'), 'c2'),
      seen(want('a', 'node1'), 'c1'),
      seen(want('q', 'node3'), 'c3'),
      seen(want('b', 'node2'), 'c4', { state: 'dead' }),
    ];
    const one = reconcile(desired, observed, UP);
    const two = reconcile([...desired].reverse(), [...observed].reverse(), [...UP].reverse());
    expect(two).toEqual(one);
  });

  it('sorts by code units, not locale', () => {
    const r = reconcile([want('b', 'node1'), want('B', 'node1'), want('a', 'node1')], [], UP);
    expect(r.actions.map((a) => (a.kind === 'start' ? a.replica.app : ''))).toEqual(['B', 'a', 'b']);
  });
});

describe('reconcile: idempotence', () => {
  it('applying the actions and reconciling again yields nothing', () => {
    const d1 = want('web', 'node1');
    const d2 = want('web', 'node2', 5050, 'rev2');
    const desired = [d1, d2, want('api', 'node3', 6000)];
    const observed = [
      seen(d1, 'c2'),
      seen(d1, 'c1'),
      seen(d2, 'c3', { revision: 'rev1' }),
      seen(want('old', 'node3'), 'c4'),
      seen(d1, 'c0', { state: 'exited' }),
    ];
    const first = reconcile(desired, observed, UP);
    expect(first.actions.length).toBeGreaterThan(0);
    expect(reconcile(desired, apply(observed, first.actions), UP)).toEqual({ actions: [], blocked: [] });
  });

  it('holds for many generated states (seeded, deterministic)', () => {
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const states: ContainerState[] = ['running', 'running', 'running', 'exited', 'dead', 'created'];
    for (let round = 0; round < 300; round++) {
      const nodes = ['node1', 'node2', 'node3'].map((n) => status(n, rnd(5) === 0 ? 'down' : 'up'));
      const desired: DesiredReplica[] = [];
      for (const app of ['a', 'b', 'c']) for (const n of nodes) if (rnd(2)) desired.push(want(app, n.name, 5000, `r${rnd(2)}`));
      const observed: ObservedReplica[] = [];
      for (let i = 0; i < rnd(8); i++) {
        const app = ['a', 'b', 'c', 'x'][rnd(4)]!;
        const node = nodes[rnd(3)]!.name;
        observed.push(seen(want(app, node, 5000, `r${rnd(2)}`), `c${round}-${i}`, { state: states[rnd(states.length)]! }));
      }
      const first = reconcile(desired, observed, nodes);
      const after = apply(observed, first.actions);
      const second = reconcile(desired, after, nodes);
      expect(second.actions).toEqual([]);
      expect(second.blocked).toEqual(first.blocked);
      // never two running containers for one replica on an up node
      const up = new Set(nodes.filter((n) => n.state === 'up').map((n) => n.name));
      const ids = after.filter((o) => up.has(o.node) && o.state === 'running').map((o) => `${o.node}/${o.id}`);
      expect(new Set(ids).size).toBe(ids.length);
      // every desired replica on an up node runs; every blocked one is on a down node
      for (const d of desired) {
        if (up.has(d.node)) expect(after.some((o) => o.id === d.id && o.revision === d.revision && o.state === 'running')).toBe(true);
        else expect(first.blocked.some((b) => b.id === d.id)).toBe(true);
      }
    }
  });
});

describe('describeAction', () => {
  it('describes a start with ports and image', () => {
    expect(describeAction({ kind: 'start', replica: want('simplewebapp1', 'node1') })).toBe(
      'start simplewebapp1 on node1 (5050->8080) image reg:5000/cloud/simplewebapp1:latest',
    );
  });

  it('describes a stop with a 12-char container id and the reason', () => {
    const a: Action = {
      kind: 'stop',
      node: 'node2',
      containerId: 'abc123456789deadbeef',
      app: 'simplewebapp1',
      id: 'simplewebapp1.node2.5050',
      reason: 'not in plan',
    };
    expect(describeAction(a)).toBe('stop simplewebapp1 on node2 container abc123456789: not in plan');
  });
});

describe('which waits are a rollout', () => {
  const kinds: BlockKind[] = ['node-down', 'node-unknown', 'dependency', 'draining', 'rollout-batch', 'rollout-unhealthy', 'rollout-stop-first'];
  it('a drain is normal progress, but no rolling update: what it ends left the ingress already', () => {
    expect(kinds.filter(isRolloutWait)).toEqual(['draining', 'rollout-batch', 'rollout-unhealthy', 'rollout-stop-first']);
    expect(kinds.filter(isRollingUpdate)).toEqual(['rollout-batch', 'rollout-unhealthy', 'rollout-stop-first']);
  });
});
