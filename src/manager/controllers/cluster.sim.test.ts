/**
 * The control loop at scale, on the `sim` driver: in-process nodes behind the same
 * NodeEngine interface the real engines implement, with a real SQLite store.
 */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { AppSpec } from '../../core/model.ts';
import { appSpec } from '../../core/app-spec.ts';
import { isMatrixError } from '../../core/errors.ts';
import { SimCluster } from '../drivers/sim/sim-cluster.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { Cluster, ingressSettings } from './cluster.ts';
import { Deployer } from './deployer.ts';

const REGISTRY = 'reg.sim:5000';

function app(name: string, replicas: number, extra: Partial<AppSpec> = {}): AppSpec {
  return appSpec({ name, image: `cloud/${name}`, replicas, port: 8080, ...extra });
}

function yaml(apps: AppSpec[]): string {
  return 'apps:\n' + apps.map((a) => `  ${a.name}:\n    image: ${a.image}\n    replicas: ${a.replicas}\n    port: ${a.port}\n` +
    (a.resources.memoryMb ? `    resources: { memory: ${a.resources.memoryMb}M }\n` : '') +
    (a.dependsOn.length ? `    depends_on: [${a.dependsOn.map((d) => d.app).join(', ')}]\n` : '')).join('');
}

function world(nodes: number, opts: { memoryMb?: number } = {}) {
  const sim = new SimCluster();
  const store = new SqliteStore(':memory:');
  for (let i = 1; i <= nodes; i++) {
    store.upsertNode(sim.add({ name: `n${i}`, capacity: { cpus: 8, memoryMb: opts.memoryMb ?? 16384 }, labels: { zone: i % 2 ? 'a' : 'b' } }));
  }
  const vcls: string[] = [];
  const clock = { now: 1_000_000 };
  const log = pino({ level: 'silent' });
  const make = () => {
    const cluster = new Cluster({ store, engines: sim.engines(), probe: sim.probe(), now: () => clock.now, ingress: { apply: async (v) => (vcls.push(v), true) }, log, registry: REGISTRY });
    const deployer = new Deployer(store, cluster, { manifestExists: async () => true }, REGISTRY);
    return { cluster, deployer };
  };
  return { sim, store, vcls, clock, ...make(), restart: make };
}

function ids(sim: SimCluster, appName?: string): string[] {
  return sim.running().filter((r) => !appName || r.app === appName).map((r) => r.id).sort();
}

function slots(name: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${name}.${i}`).sort();
}

describe('control loop on the sim driver', () => {
  it('places, survives node loss, and converges back without duplicates when nodes return', async () => {
    const w = world(50);
    const r = await w.deployer.deploy({ file: 'matrix.yaml', source: yaml([app('web', 100)]), dryRun: false });
    expect(r.failed).toEqual([]);
    expect(ids(w.sim)).toEqual(slots('web', 100));
    // spread: 100 replicas over 50 nodes is 2 per node
    const perNode = new Map<string, number>();
    for (const x of w.sim.running()) perNode.set(x.node, (perNode.get(x.node) ?? 0) + 1);
    expect([...perNode.values()].every((c) => c === 2)).toBe(true);

    for (const n of ['n1', 'n2', 'n3', 'n4', 'n5']) w.sim.powerOff(n);
    await w.cluster.tick();
    const alive = w.sim.running().filter((x) => w.sim.node(x.node).up);
    expect(alive.map((x) => x.id).sort()).toEqual(slots('web', 100));
    expect(alive.some((x) => ['n1', 'n2', 'n3', 'n4', 'n5'].includes(x.node))).toBe(false);

    for (const n of ['n1', 'n2', 'n3', 'n4', 'n5']) w.sim.powerOn(n);
    await w.cluster.tick(); // the returned nodes' stale copies leave the ingress first...
    expect(w.cluster.routes()).toHaveLength(100);
    w.clock.now += 3000;
    await w.cluster.tick(); // ...and are stopped once drained
    expect(ids(w.sim)).toEqual(slots('web', 100));
    await w.cluster.tick();
    expect(ids(w.sim)).toEqual(slots('web', 100));
  });

  it('a restarted manager rebuilds its view from the nodes and changes nothing', async () => {
    const w = world(10);
    await w.deployer.deploy({ file: 'matrix.yaml', source: yaml([app('web', 12), app('api', 5)]), dryRun: false });
    const before = w.sim.running().map((x) => `${x.id}@${x.node}`).sort();
    const calls = () => [...w.sim.nodes.values()].reduce((s, n) => s + n.calls.start + n.calls.stop, 0);
    const c0 = calls();
    const again = w.restart();
    await again.cluster.tick();
    await again.cluster.tick();
    expect(calls()).toBe(c0);
    expect(w.sim.running().map((x) => `${x.id}@${x.node}`).sort()).toEqual(before);
  });

  it('replaces a crashed container', async () => {
    const w = world(3);
    await w.deployer.deploy({ file: 'matrix.yaml', source: yaml([app('web', 3)]), dryRun: false });
    const victim = [...w.sim.node('n1').containers.values()][0]!;
    w.sim.node('n1').crash(victim.id);
    expect(ids(w.sim)).toHaveLength(2);
    await w.cluster.tick();
    expect(ids(w.sim)).toEqual(slots('web', 3));
  });

  it('scales up and down, removing the highest slots', async () => {
    const w = world(4);
    await w.deployer.deploy({ file: 'matrix.yaml', source: yaml([app('web', 2)]), dryRun: false });
    await w.deployer.scale('web', 7);
    expect(ids(w.sim)).toEqual(slots('web', 7));
    await w.deployer.scale('web', 3);
    expect(w.cluster.routes()).toHaveLength(3); // the surplus drains out of the ingress first
    expect(ids(w.sim)).toHaveLength(7);
    w.clock.now += 3000;
    await w.cluster.tick();
    expect(ids(w.sim)).toEqual(slots('web', 3));
    await expect(w.deployer.scale('nope', 1)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(w.deployer.scale('web', -1)).rejects.toMatchObject({ code: 'E_BAD_REQUEST', path: 'replicas' });
  });

  it('reports replicas that do not fit, with reasons, and places them when capacity appears', async () => {
    const w = world(3, { memoryMb: 256 });
    const r = await w.deployer.deploy({ file: 'matrix.yaml', source: yaml([app('big', 4, { resources: { cpus: 0, memoryMb: 200 } })]), dryRun: false });
    expect(ids(w.sim)).toHaveLength(3);
    expect(r.unplaced).toHaveLength(1);
    expect(r.unplaced[0]!.message).toBe('0/3 nodes available: 3 insufficient memory');
    w.store.upsertNode(w.sim.add({ name: 'n4', capacity: { cpus: 8, memoryMb: 256 } }));
    await w.cluster.tick();
    expect(ids(w.sim)).toEqual(slots('big', 4));
  });

  it('starts dependents only once what they depend on runs', async () => {
    const w = world(3);
    const db = app('db', 1);
    const web = app('web', 2, { dependsOn: [{ app: 'db', colocate: false }] });
    w.sim.node('n1').failNext('start');
    w.sim.node('n2').failNext('start');
    w.sim.node('n3').failNext('start');
    const r = await w.deployer.deploy({ file: 'matrix.yaml', source: yaml([db, web]), dryRun: false });
    expect(r.blocked.map((b) => b.reason)).toEqual(['waiting for db to run', 'waiting for db to run']);
    expect(ids(w.sim, 'web')).toEqual([]);
    await w.cluster.tick(); // db starts now (its node's injected failure was used up)
    expect(ids(w.sim)).toEqual(['db.0']);
    // web starts once db runs (a web node may still fail once from its injected fault)
    await w.cluster.tick();
    await w.cluster.tick();
    expect(ids(w.sim)).toEqual(['db.0', 'web.0', 'web.1']);
  });

  it('a deploy whose pull fails changes nothing', async () => {
    const w = world(2);
    await w.deployer.deploy({ file: 'matrix.yaml', source: yaml([app('web', 2)]), dryRun: false });
    const gen = w.store.currentDeployment()!.generation;
    w.sim.node('n1').failNext('pull');
    w.sim.node('n2').failNext('pull');
    const err = await w.deployer.deploy({ file: 'matrix.yaml', source: yaml([app('web', 2), app('api', 2)]), dryRun: false }).catch((e) => e);
    expect(isMatrixError(err) && err.code).toBe('E_DEPLOY_FAILED');
    expect(w.store.currentDeployment()!.generation).toBe(gen);
    expect(ids(w.sim)).toEqual(slots('web', 2));
  });

  it('routes only running replicas on answering nodes', async () => {
    const w = world(3);
    await w.deployer.deploy({ file: 'matrix.yaml', source: yaml([app('web', 3)]), dryRun: false });
    expect(w.cluster.routes()).toHaveLength(3);
    w.sim.powerOff('n2');
    await w.cluster.refresh();
    await w.cluster.syncIngress();
    expect(w.cluster.routes().map((r) => r.node).sort()).toEqual(['n1', 'n3']);
    expect(w.vcls.at(-1)).not.toContain('127.255.0.2');
  });
});

describe('rolling updates on the sim driver', () => {
  const v = (image: string, extra = '') => `apps:\n  web:\n    image: ${image}\n    replicas: 3\n    port: 8080\n${extra}`;

  async function settle(w: ReturnType<typeof world>, ticks = 40): Promise<void> {
    for (let i = 0; i < ticks; i++) {
      w.clock.now += 1000;
      await w.cluster.tick();
    }
  }

  it('replaces replicas one at a time, never dropping below 3 healthy routed replicas', async () => {
    const w = world(3);
    await w.deployer.deploy({ file: 'matrix.yaml', source: v('cloud/web:v1'), dryRun: false });
    await w.cluster.tick();
    expect(w.cluster.routes()).toHaveLength(3);
    await w.deployer.deploy({ file: 'matrix.yaml', source: v('cloud/web:v2'), dryRun: false });
    const images = () => w.sim.running().map((r) => [...w.sim.node(r.node).containers.values()].find((c) => c.replica.id === r.id && c.state === 'running')!.replica.image);
    let minRoutes = 3;
    for (let i = 0; i < 40; i++) {
      w.clock.now += 1000;
      await w.cluster.tick();
      minRoutes = Math.min(minRoutes, w.cluster.routes().length);
      // never more than one extra replica (parallelism 1, start-first)
      expect(w.sim.running().length).toBeLessThanOrEqual(4);
    }
    expect(minRoutes).toBeGreaterThanOrEqual(3);
    expect(ids(w.sim)).toEqual(slots('web', 3));
    expect(new Set(images())).toEqual(new Set(['reg.sim:5000/cloud/web:v2']));
  });

  it('rolls back automatically when the new revision never becomes healthy', async () => {
    const w = world(3);
    await w.deployer.deploy({ file: 'matrix.yaml', source: v('cloud/web:v1'), dryRun: false });
    await settle(w, 2);
    // the first container of the new revision answers 5xx
    const before = new Set([...w.sim.nodes.values()].flatMap((n) => [...n.containers.keys()]));
    await w.deployer.deploy({ file: 'matrix.yaml', source: v('cloud/web:v2', '    update: { monitor: 5s }\n'), dryRun: false });
    for (const n of w.sim.nodes.values()) for (const id of n.containers.keys()) if (!before.has(id)) w.sim.sick.add(id);
    await settle(w, 20);
    const current = w.store.currentDeployment()!;
    expect(current.apps[0]!.image).toBe('cloud/web:v1');
    expect(w.cluster.rollbackLog().map((r) => [r.app, r.toImage])).toEqual([['web', 'cloud/web:v1']]);
    expect(w.deployer.history('web').map((h) => [h.image, h.failed])).toEqual([['cloud/web:v1', false], ['cloud/web:v2', true], ['cloud/web:v1', false]]);
    // a manual rollback skips the failed revision: there is nothing else to go back to
    await expect(w.deployer.rollback('web')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    expect(w.cluster.routes()).toHaveLength(3);
    expect(ids(w.sim)).toEqual(slots('web', 3));
  });

  it('rollback returns to the previous revision, and history lists revisions newest first', async () => {
    const w = world(3);
    await w.deployer.deploy({ file: 'matrix.yaml', source: v('cloud/web:v1'), dryRun: false });
    await w.deployer.scale('web', 3);
    await w.deployer.deploy({ file: 'matrix.yaml', source: v('cloud/web:v2'), dryRun: false });
    await settle(w, 20);
    expect(w.deployer.history('web').map((h) => h.image)).toEqual(['cloud/web:v2', 'cloud/web:v1']);
    const r = await w.deployer.rollback('web');
    expect([r.from, r.to]).toEqual(['cloud/web:v2', 'cloud/web:v1']);
    await settle(w, 20);
    expect(w.store.currentDeployment()!.apps[0]!.image).toBe('cloud/web:v1');
    expect(new Set(w.sim.running().map((x) => [...w.sim.node(x.node).containers.values()].find((c) => c.replica.id === x.id && c.state === 'running')!.replica.image))).toEqual(new Set(['reg.sim:5000/cloud/web:v1']));
    await expect(w.deployer.rollback('nope')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    expect(() => w.deployer.history('nope')).toThrow(/no app named nope/);
  });
});

describe('ingressSettings', () => {
  const route = (app: string, node: string) => ({ app, node, address: '10.0.0.1', port: 30000 });
  const h = (path: string) => ({ path, intervalS: 1, timeoutS: 1, threshold: 2, window: 3 });

  it('probes an app with its replicas\' check, or the default when revisions disagree or have none', () => {
    expect(ingressSettings([
      { route: route('web', 'n1'), health: h('/healthz') },
      { route: route('web', 'n2'), health: h('/healthz') },
      { route: route('api', 'n1'), health: h('/a') },
      { route: route('api', 'n2'), health: h('/b') },
      { route: route('db', 'n1'), health: undefined },
    ])).toEqual({ web: { probe: { path: '/healthz', intervalS: 1, timeoutS: 1, window: 3, threshold: 2 } } });
  });
});
