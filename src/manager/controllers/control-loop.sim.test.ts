/**
 * The control loop at scale, on the `sim` driver: in-process nodes behind the same
 * NodeEngine interface the real engines implement, with a real SQLite store, the real
 * desired-state service and the real ingress consumer (its VCL target is in memory).
 */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { AppSpec } from '../../core/model.ts';
import { appSpec } from '../../core/app-spec.ts';
import { Serial } from '../../util/serial.ts';
import { SimCluster } from '../drivers/sim/sim-cluster.ts';
import { ingressConsumer } from '../ingress/ingress-consumer.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { ConsumerRunner } from './consumers.ts';
import { ControlLoop } from './control-loop.ts';
import { ClusterMetrics } from '../metrics/metrics.ts';
import { DesiredState } from './desired-state.ts';
import { EventLog } from './event-log.ts';

const REGISTRY = 'reg.sim:5000';

function app(name: string, replicas: number, extra: Partial<AppSpec> = {}): AppSpec {
  return appSpec({ name, image: `cloud/${name}`, replicas, port: 8080, ...extra });
}

function yaml(apps: AppSpec[]): string {
  return (
    'apps:\n' +
    apps
      .map(
        (a) =>
          `  ${a.name}:\n    image: ${a.image}\n    replicas: ${a.replicas}\n    port: ${a.port}\n` +
          (a.resources.memoryMb ? `    resources: { memory: ${a.resources.memoryMb}M }\n` : '') +
          (a.dependsOn.length ? `    depends_on: [${a.dependsOn.map((d) => d.app).join(', ')}]\n` : ''),
      )
      .join('')
  );
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
  /** The ingress's VCL target: `broken` makes every apply fail, as a dead Varnish would. */
  /**
   * What the ingress was told, in order: `vcl <n> off <backends>` for the n-th VCL loaded,
   * `switch off <backends>` when only the switched-off backends changed (no load), and
   * `cut <address> <backends>` for a node cut off. As Varnish does, an equal text is no load.
   */
  const told: string[] = [];
  let off = '';
  const target = {
    broken: false,
    apply: async (v: string, sick: readonly string[]) => {
      if (target.broken) throw new Error('cannot reach the varnish admin port');
      if (v === vcls.at(-1)) {
        if (sick.join(',') !== off) told.push(`switch off ${(off = sick.join(','))}`);
        return false;
      }
      vcls.push(v);
      told.push(`vcl ${vcls.length} off ${(off = sick.join(','))}`);
      return true;
    },
    cutNode: async (address: string, backends: readonly string[]) => {
      told.push(`cut ${address} ${backends.join(',')}`);
      return 0;
    },
  };
  const make = () => {
    const events = new EventLog();
    const lock = new Serial();
    const ingress = new ConsumerRunner(ingressConsumer(target, {}, log), log, events, { initialMs: 1, maxMs: 4 });
    const metrics: ClusterMetrics = new ClusterMetrics({ nodes: () => loop.snapshot().nodes, apps: () => [] });
    events.onEvent((e) => metrics.event(e));
    const loop: ControlLoop = new ControlLoop({
      metrics,
      store,
      engines: sim.engines(),
      probe: sim.probe(),
      now: () => clock.now,
      consumers: [ingress],
      events,
      log,
      registry: REGISTRY,
      desiredLock: lock,
    });
    const desired = new DesiredState(store, loop, { manifestExists: async () => true }, REGISTRY, lock, { events });
    return { loop, desired, ingress, events, metrics };
  };
  return { sim, store, vcls, told, clock, target, ...make(), restart: make };
}

type World = ReturnType<typeof world>;

function routes(w: World): { app: string; node: string }[] {
  return w.loop.state().routes.map((r) => r.route);
}

function deploy(w: World, apps: AppSpec[], o: { file?: string; prune?: boolean; dryRun?: boolean; project?: string } = {}) {
  return w.desired.deploy({
    file: o.file ?? 'matrix.yaml',
    source: yaml(apps),
    dryRun: o.dryRun ?? false,
    prune: o.prune ?? false,
    ...(o.project ? { project: o.project } : {}),
  });
}

function ids(sim: SimCluster, appName?: string): string[] {
  return sim
    .running()
    .filter((r) => !appName || r.app === appName)
    .map((r) => r.id)
    .sort();
}

function slots(name: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${name}.${i}`).sort();
}

describe('control loop on the sim driver', () => {
  it('places, survives node loss, and converges back without duplicates when nodes return', async () => {
    const w = world(50);
    const r = await w.desired.deploy({ file: 'matrix.yaml', source: yaml([app('web', 100)]), dryRun: false });
    expect(r.failed).toEqual([]);
    expect(ids(w.sim)).toEqual(slots('web', 100));
    // spread: 100 replicas over 50 nodes is 2 per node
    const perNode = new Map<string, number>();
    for (const x of w.sim.running()) perNode.set(x.node, (perNode.get(x.node) ?? 0) + 1);
    expect([...perNode.values()].every((c) => c === 2)).toBe(true);

    for (const n of ['n1', 'n2', 'n3', 'n4', 'n5']) w.sim.powerOff(n);
    await w.loop.pass();
    const alive = w.sim.running().filter((x) => w.sim.node(x.node).up);
    expect(alive.map((x) => x.id).sort()).toEqual(slots('web', 100));
    expect(alive.some((x) => ['n1', 'n2', 'n3', 'n4', 'n5'].includes(x.node))).toBe(false);

    for (const n of ['n1', 'n2', 'n3', 'n4', 'n5']) w.sim.powerOn(n);
    // the returned nodes' stale copies are drained and stopped, and the returned nodes get
    // replicas back one move at a time: no slot is ever without a routed replica meanwhile
    let fewest = Infinity;
    for (let i = 0; i < 80; i++) {
      w.clock.now += 3000;
      await w.loop.pass();
      fewest = Math.min(fewest, new Set(w.loop.state().routes.map((r) => w.sim.node(r.route.node).containers.get(r.containerId)?.replica.id)).size);
    }
    expect(fewest).toBe(100);
    expect(ids(w.sim)).toEqual(slots('web', 100));
    const after = new Map<string, number>();
    for (const x of w.sim.running()) after.set(x.node, (after.get(x.node) ?? 0) + 1);
    expect([...after.values()].every((c) => c === 2)).toBe(true); // spread again, the returned nodes too
    expect(after.size).toBe(50);
  });

  it('a restarted manager rebuilds its view from the nodes and changes nothing', async () => {
    const w = world(10);
    await w.desired.deploy({ file: 'matrix.yaml', source: yaml([app('web', 12), app('api', 5)]), dryRun: false });
    const before = w.sim
      .running()
      .map((x) => `${x.id}@${x.node}`)
      .sort();
    const calls = () => [...w.sim.nodes.values()].reduce((s, n) => s + n.calls.start + n.calls.stop, 0);
    const c0 = calls();
    const again = w.restart();
    await again.loop.pass();
    await again.loop.pass();
    expect(calls()).toBe(c0);
    expect(
      w.sim
        .running()
        .map((x) => `${x.id}@${x.node}`)
        .sort(),
    ).toEqual(before);
  });

  it('replaces a crashed container', async () => {
    const w = world(3);
    await w.desired.deploy({ file: 'matrix.yaml', source: yaml([app('web', 3)]), dryRun: false });
    const victim = [...w.sim.node('n1').containers.values()][0]!;
    w.sim.node('n1').crash(victim.id);
    expect(ids(w.sim)).toHaveLength(2);
    await w.loop.pass();
    expect(ids(w.sim)).toEqual(slots('web', 3));
  });

  it('scales up and down, removing the highest slots', async () => {
    const w = world(4);
    await w.desired.deploy({ file: 'matrix.yaml', source: yaml([app('web', 2)]), dryRun: false });
    await w.desired.scale('web', 7);
    expect(ids(w.sim)).toEqual(slots('web', 7));
    await w.desired.scale('web', 3);
    expect(routes(w)).toHaveLength(3); // the surplus drains out of the ingress first
    expect(ids(w.sim)).toHaveLength(7);
    w.clock.now += 3000;
    await w.loop.pass();
    expect(ids(w.sim)).toEqual(slots('web', 3));
    await expect(w.desired.scale('nope', 1)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(w.desired.scale('web', -1)).rejects.toMatchObject({ code: 'E_BAD_REQUEST', path: 'replicas' });
  });

  it('reports replicas that do not fit, with reasons, and places them when capacity appears', async () => {
    const w = world(3, { memoryMb: 256 });
    const r = await w.desired.deploy({ file: 'matrix.yaml', source: yaml([app('big', 4, { resources: { cpus: 0, memoryMb: 200 } })]), dryRun: false });
    expect(ids(w.sim)).toHaveLength(3);
    expect(r.unplaced).toHaveLength(1);
    expect(r.unplaced[0]!.message).toBe('0/3 nodes available: 3 insufficient memory');
    w.store.upsertNode(w.sim.add({ name: 'n4', capacity: { cpus: 8, memoryMb: 256 } }));
    await w.loop.pass();
    expect(ids(w.sim)).toEqual(slots('big', 4));
  });

  it('starts dependents only once what they depend on runs', async () => {
    const w = world(3);
    const db = app('db', 1);
    const web = app('web', 2, { dependsOn: [{ app: 'db', colocate: false }] });
    w.sim.node('n1').failNext('start');
    w.sim.node('n2').failNext('start');
    w.sim.node('n3').failNext('start');
    const r = await w.desired.deploy({ file: 'matrix.yaml', source: yaml([db, web]), dryRun: false });
    expect(r.blocked.map((b) => b.reason)).toEqual(['waiting for db to run', 'waiting for db to run']);
    expect(ids(w.sim, 'web')).toEqual([]);
    await w.loop.pass(); // db starts now (its node's injected failure was used up)
    expect(ids(w.sim)).toEqual(['db.0']);
    // web starts once db runs (a web node may still fail once from its injected fault)
    await w.loop.pass();
    await w.loop.pass();
    expect(ids(w.sim)).toEqual(['db.0', 'web.0', 'web.1']);
  });

  it('a pull that fails fails only the starts that need it; they are retried and the running replicas keep serving', async () => {
    const w = world(2);
    await deploy(w, [app('web', 2)]);
    w.sim.node('n1').failNext('pull');
    w.sim.node('n2').failNext('pull');
    const r = await deploy(w, [app('web', 2), app('api', 2)]);
    expect(r.failed.map((f) => f.action).sort()).toEqual([expect.stringMatching(/^start api on n/), expect.stringMatching(/^start api on n/)]);
    expect(r.failed[0]!.error).toMatch(/injected pull failure/);
    expect(ids(w.sim)).toEqual(slots('web', 2));
    await w.loop.pass();
    expect(ids(w.sim)).toEqual([...slots('api', 2), ...slots('web', 2)]);
  });

  it('routes only running replicas on answering nodes', async () => {
    const w = world(3);
    await deploy(w, [app('web', 3)]);
    await w.loop.pass();
    expect(routes(w)).toHaveLength(3);
    const upSince = w.loop.engineHealth('n2')!.since;
    expect(w.loop.engineHealth('n2')).toEqual({ since: upSince, lastError: null });
    w.clock.now += 5000;
    w.sim.powerOff('n2');
    await w.loop.pass();
    await w.ingress.settled();
    // since when, and why: what `matrix status` shows for the engine
    expect(w.loop.engineHealth('n2')).toEqual({ since: upSince + 5000, lastError: 'no answer to a ping within 800 ms' });
    expect(w.loop.engineHealth('n1')).toEqual({ since: upSince, lastError: null });
    expect(
      routes(w)
        .map((r) => r.node)
        .sort(),
    ).toEqual(['n1', 'n3']);
    expect(w.vcls.at(-1)).not.toContain('127.255.0.2');
  });

  it('an app removed and deployed again while its replica drains serves again, from that same container', async () => {
    const w = world(3);
    await deploy(w, [app('web', 3)]);
    await w.loop.pass();
    const lat = app('lat', 1);
    for (let round = 0; round < 4; round++) {
      await deploy(w, [lat], { file: 'lat.yaml' });
      for (let i = 0; i < 3; i++) {
        w.clock.now += 500;
        await w.loop.pass();
      }
      expect(
        routes(w).filter((r) => r.app === 'lat'),
        `round ${round}`,
      ).toHaveLength(1);
      await w.desired.removeApps(['lat']);
      w.clock.now += 500;
      await w.loop.pass(); // out of the ingress, draining for 2 s: the next deploy comes first
      expect(routes(w).filter((r) => r.app === 'lat')).toHaveLength(0);
    }
  });

  it('declares a new replica that runs but is not healthy yet switched off, and switches it on with no new VCL once it is', async () => {
    const w = world(2);
    const slow = (id: string) => [...w.sim.nodes.values()].flatMap((n) => [...n.containers.values()]).find((x) => x.replica.id === id);
    await deploy(w, [app('web', 1)]);
    const c = slow('web.0')!;
    w.sim.sick.add(c.id); // started, not answering yet
    await w.loop.pass();
    await w.ingress.settled();
    expect(routes(w)).toEqual([]);
    expect(w.told.at(-1)).toMatch(new RegExp(`^vcl \\d+ off b_web_${c.replica.node}_${c.hostPort}$`));
    const loaded = w.vcls.length;
    w.sim.sick.delete(c.id);
    await w.loop.pass(); // probed healthy: routed
    await w.ingress.settled();
    expect(routes(w)).toEqual([{ app: 'web', node: c.replica.node, address: expect.any(String), port: c.hostPort }]);
    expect(w.told.at(-1)).toBe('switch off ');
    expect(w.vcls.length).toBe(loaded);
  });

  it('switches off, with no new VCL, a routed replica that fails its health check, and back on when it passes', async () => {
    const w = world(2);
    await deploy(w, [app('web', 2)]);
    await w.loop.pass();
    await w.ingress.settled();
    expect(routes(w)).toHaveLength(2);
    const loaded = w.vcls.length;
    const sick = [...w.sim.nodes.values()].flatMap((n) => [...n.containers.values()]).find((x) => x.replica.id === 'web.0')!;
    w.sim.sick.add(sick.id);
    await w.loop.pass();
    await w.ingress.settled();
    expect(routes(w)).toHaveLength(1);
    expect(w.told.at(-1)).toMatch(/^switch off b_web_n\d_\d+$/);
    w.sim.sick.delete(sick.id);
    await w.loop.pass();
    await w.ingress.settled();
    expect(routes(w)).toHaveLength(2);
    expect(w.told.at(-1)).toBe('switch off ');
    expect(w.vcls.length).toBe(loaded);
  });

  it('tells what each change did and why each replica started where it did: a node down, and since when', async () => {
    const w = world(3);
    await deploy(w, [app('web', 3)]);
    expect(w.events.list({ kind: 'deploy' }).map((e) => e.message)).toEqual(['web added (generation 1): 3 × cloud/web']);
    const first = w.events.list({ kind: 'replica-started' });
    expect(first.map((e) => e.message.replace(/on n\d/, 'on n*')).sort()).toEqual([0, 1, 2].map((i) => `web.${i} started on n*: new replica`));
    w.sim.powerOff('n2');
    await w.loop.pass();
    const downAt = new Date(w.clock.now).toISOString().slice(11, 19);
    expect(w.events.list({ kind: 'node-down' })).toEqual([expect.objectContaining({ subject: 'n2', node: 'n2', message: 'node n2 is down' })]);
    const moved = w.events.list({ kind: 'replica-started' }).slice(first.length);
    expect(moved).toEqual([
      expect.objectContaining({
        app: 'web',
        message: expect.stringMatching(new RegExp(`^web\\.\\d started on n[13]: moved from n2: n2 down since ${downAt}$`)),
      }),
    ]);
    expect(moved[0]!.node).toMatch(/^n[13]$/);
  });

  it('feeds the metrics: every pass timed, failed health checks by app, a failover timed to its replacement', async () => {
    const w = world(3);
    await deploy(w, [app('web', 3)]);
    await w.loop.pass();
    const one = [...w.sim.nodes.values()].flatMap((n) => [...n.containers.values()]).find((x) => x.replica.app === 'web')!;
    w.sim.sick.add(one.id);
    await w.loop.pass();
    w.sim.sick.delete(one.id);
    w.sim.powerOff('n2');
    await w.loop.pass();
    const text = (await w.metrics.scrape()).body;
    const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('matrix_reconcile_duration_seconds_count')).toBeGreaterThanOrEqual(4);
    expect(value('matrix_health_check_failures_total{app="web"}')).toBe(1);
    expect(value('matrix_failover_seconds_count{phase="replaced"}')).toBe(1);
    expect(value('matrix_events_total{kind="node-down"}')).toBe(1);
    expect(value('matrix_nodes{state="down"}')).toBe(1);
  });

  it("cuts a down node's backends off the ingress before the VCL without them is loaded", async () => {
    const w = world(3);
    await deploy(w, [app('web', 3)]);
    await w.loop.pass();
    await w.ingress.settled();
    const port = w.vcls.at(-1)!.match(/backend (b_web_n2_\d+) \{/)![1];
    const before = w.told.length;
    w.sim.powerOff('n2');
    await w.loop.pass();
    await w.ingress.settled();
    // then the VCL without it, and the replacement's backend switched off until it is healthy
    expect(w.told.slice(before)[0]).toBe(`cut 127.255.0.2 ${port}`);
    expect(w.told.slice(before + 1).every((t) => !t.startsWith('cut'))).toBe(true);
    expect(w.vcls.at(-1)).not.toContain('127.255.0.2');
    // once: a node that stays down is not cut again
    await w.loop.pass();
    await w.ingress.settled();
    expect(w.told.filter((t) => t.startsWith('cut'))).toHaveLength(1);
  });
});

describe('a consumer that fails', () => {
  it('never stops the loop: a powered-off node is replaced while the ingress fails, and the ingress catches up', async () => {
    const w = world(3);
    await deploy(w, [app('web', 3)]);
    await w.loop.pass();
    await w.ingress.settled();
    expect(w.vcls.at(-1)).toContain('127.255.0.2');

    const generation = w.store.currentDeployment()!.generation;
    expect(w.ingress.status()).toMatchObject({ appliedGeneration: generation, offeredGeneration: generation });
    w.target.broken = true;
    await deploy(w, [app('web', 3), app('api', 1)]); // a new generation the ingress cannot take yet
    w.sim.powerOff('n2');
    await w.loop.pass(); // n2 is down: its replica is replaced on n1 or n3
    await w.loop.pass(); // the replacement is seen, probed healthy and offered to the ingress
    const alive = w.sim.running().filter((x) => w.sim.node(x.node).up);
    expect(alive.map((x) => x.id).sort()).toEqual([...slots('api', 1), ...slots('web', 3)]);
    expect(routes(w).map((r) => r.node)).not.toContain('n2');
    const failing = w.ingress.status();
    expect(failing).toMatchObject({ name: 'ingress', state: 'failing', lastError: 'cannot reach the varnish admin port' });
    expect(failing.failures).toBeGreaterThan(0);
    expect(w.loop.consumers()[0]!.state).toBe('failing');
    expect(w.events.list({ kind: 'consumer-failing' })).toHaveLength(1); // reported once, not per retry
    expect(w.vcls.at(-1)).toContain('127.255.0.2'); // Varnish still has the old config
    expect(failing).toMatchObject({ appliedGeneration: generation, offeredGeneration: generation + 1 });

    w.target.broken = false;
    for (let i = 0; i < 200 && w.ingress.status().state !== 'ok'; i++) await new Promise((r) => setTimeout(r, 2)); // retries with backoff (1-4 ms here)
    expect(w.ingress.status()).toMatchObject({ state: 'ok', failures: 0, appliedGeneration: generation + 1 });
    expect(w.vcls.at(-1)).not.toContain('127.255.0.2');
    expect(w.vcls.at(-1)!.match(/^backend b_web_/gm)).toHaveLength(3);
    expect(w.events.list({ kind: 'consumer-recovered' })).toHaveLength(1);
  });

  it('a failing consumer fails alone: the pass converges and the other consumers apply', async () => {
    const w = world(2);
    const broken = new ConsumerRunner({ name: 'dns', apply: async () => Promise.reject(new Error('boom')) }, pino({ level: 'silent' }), w.events, {
      initialMs: 1000,
      maxMs: 1000,
    });
    const loop = new ControlLoop({
      store: w.store,
      engines: w.sim.engines(),
      probe: w.sim.probe(),
      consumers: [broken, w.ingress],
      events: w.events,
      log: pino({ level: 'silent' }),
      registry: REGISTRY,
      desiredLock: new Serial(),
    });
    const desired = new DesiredState(w.store, loop, { manifestExists: async () => true }, REGISTRY);
    await desired.deploy({ file: 'matrix.yaml', source: yaml([app('web', 2)]), dryRun: false });
    await loop.pass();
    expect(ids(w.sim)).toEqual(slots('web', 2));
    expect(loop.consumers().map((c) => [c.name, c.state])).toEqual([
      ['dns', 'failing'],
      ['ingress', 'ok'],
    ]);
    broken.stop();
  });
});

describe('projects on the sim driver', () => {
  it('a deploy of another file never touches the first project; missing apps are kept unless pruned', async () => {
    const w = world(3);
    await deploy(w, [app('simplewebapp1', 2), app('simplewebapp2', 2)], { file: 'applications.yaml' });
    const seed = ids(w.sim);
    const t1 = await deploy(w, [app('t1', 1)], { file: 't1.yaml' });
    expect(t1.project).toBe('t1');
    expect(t1.actions).toEqual([expect.stringMatching(/^start t1 on /)]);
    expect(ids(w.sim)).toEqual([...seed, 't1.0'].sort());

    const shop = await deploy(w, [app('web', 1), app('api', 1)], { file: 'whatever.yaml', project: 'shop' });
    expect(shop.added).toEqual(['api', 'web']);
    const kept = await deploy(w, [app('web', 1)], { file: 'whatever.yaml', project: 'shop' });
    expect(kept.kept).toEqual(['api']);
    expect(kept.actions).toEqual([]);
    expect(ids(w.sim, 'api')).toEqual(['api.0']);

    const dry = await deploy(w, [app('web', 1)], { file: 'whatever.yaml', project: 'shop', prune: true, dryRun: true });
    expect(dry.removed).toEqual(['api']);
    expect(dry.actions).toEqual([expect.stringMatching(/^drain api on .*not in plan/)]);
    expect(dry.generation).toBeNull();
    const pruned = await deploy(w, [app('web', 1)], { file: 'whatever.yaml', project: 'shop', prune: true });
    expect(pruned.actions).toEqual(dry.actions); // the dry run showed exactly what the real run did
    w.clock.now += 3000;
    await w.loop.pass();
    expect(ids(w.sim)).toEqual([...seed, 't1.0', 'web.0'].sort());
    expect(w.store.listProjects().map((p) => p.name)).toEqual(['applications', 'shop', 't1']);
  });

  it("refuses another project's app and an empty file, and changes nothing", async () => {
    const w = world(2);
    await deploy(w, [app('web', 1)], { file: 'shop.yaml' });
    const gen = w.store.currentDeployment()!.generation;
    await expect(deploy(w, [app('web', 2)], { file: 'other.yaml' })).rejects.toMatchObject({
      code: 'E_APP_OWNED',
      message: expect.stringMatching(/web belongs to project shop/),
    });
    await expect(w.desired.deploy({ file: 'shop.yaml', source: 'apps: {}\n', dryRun: false, prune: true })).rejects.toMatchObject({ code: 'E_SPEC_EMPTY' });
    expect(w.store.currentDeployment()!.generation).toBe(gen);
    expect(ids(w.sim)).toEqual(['web.0']);
  });

  it('refuses images from registries the cluster does not list', async () => {
    const w = world(2);
    await expect(deploy(w, [app('web', 1, { image: 'evil.example.com/cloud/x' })])).rejects.toMatchObject({
      code: 'E_POLICY_DENIED',
      path: 'matrix.yaml#apps.web.image',
      message: expect.stringMatching(/comes from evil\.example\.com, not the cluster registry/),
    });
    expect(w.store.currentDeployment()).toBeNull();
    const trusting = new DesiredState(w.store, w.loop, { manifestExists: async () => false }, REGISTRY, new Serial(), {
      allowedRegistries: ['evil.example.com'],
    });
    const r = await trusting.deploy({ file: 'x.yaml', source: yaml([app('web', 1, { image: 'evil.example.com/cloud/x' })]), dryRun: true });
    expect(r.actions).toEqual([expect.stringMatching(/^start web on n\d .*image evil\.example\.com\/cloud\/x:latest/)]);
  });

  it('rm removes exactly the named apps; project rm removes a project', async () => {
    const w = world(2);
    await deploy(w, [app('a', 1), app('b', 1)], { file: 'p.yaml' });
    await deploy(w, [app('c', 1)], { file: 'q.yaml' });
    await expect(w.desired.removeApps(['a', 'nope'])).rejects.toMatchObject({ code: 'E_NOT_FOUND', path: 'nope' });
    const r = await w.desired.removeApps(['a']);
    expect(r.removed).toEqual(['a']);
    expect(r.actions).toEqual([expect.stringMatching(/^drain a on /)]);
    w.clock.now += 3000;
    await w.loop.pass();
    expect(ids(w.sim)).toEqual(['b.0', 'c.0']);
    await w.desired.removeProject('p');
    w.clock.now += 3000;
    await w.loop.pass();
    await w.loop.pass();
    expect(ids(w.sim)).toEqual(['c.0']);
    expect(w.store.listProjects().map((p) => p.name)).toEqual(['q']);
    await expect(w.desired.removeProject('p')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});

describe('rolling updates on the sim driver', () => {
  const v = (image: string, extra = '') => `apps:\n  web:\n    image: ${image}\n    replicas: 3\n    port: 8080\n${extra}`;

  async function settle(w: ReturnType<typeof world>, ticks = 40): Promise<void> {
    for (let i = 0; i < ticks; i++) {
      w.clock.now += 1000;
      await w.loop.pass();
    }
  }

  it('replaces replicas one at a time, never dropping below 3 healthy routed replicas', async () => {
    const w = world(3);
    await w.desired.deploy({ file: 'matrix.yaml', source: v('cloud/web:v1'), dryRun: false });
    await w.loop.pass();
    expect(routes(w)).toHaveLength(3);
    await w.desired.deploy({ file: 'matrix.yaml', source: v('cloud/web:v2'), dryRun: false });
    const images = () =>
      w.sim.running().map((r) => [...w.sim.node(r.node).containers.values()].find((c) => c.replica.id === r.id && c.state === 'running')!.replica.image);
    let minRoutes = 3;
    for (let i = 0; i < 40; i++) {
      w.clock.now += 1000;
      await w.loop.pass();
      minRoutes = Math.min(minRoutes, routes(w).length);
      // never more than one extra replica serving (parallelism 1, start-first); an old one
      // drained out of the ingress may still be stopping while the next batch starts
      expect(routes(w).length).toBeLessThanOrEqual(4);
      expect(w.sim.running().length).toBeLessThanOrEqual(5);
    }
    expect(minRoutes).toBeGreaterThanOrEqual(3);
    expect(ids(w.sim)).toEqual(slots('web', 3));
    expect(new Set(images())).toEqual(new Set(['reg.sim:5000/cloud/web:v2']));
  });

  /** The image of every routed replica, as the sim engines hold it. */
  const routedImages = (w: ReturnType<typeof world>) =>
    w.loop.state().routes.map((r) => w.sim.node(r.route.node).containers.get(r.containerId)!.replica.image.split(':').pop());

  it("a node that returns after a rolling update never routes its old revision's containers", async () => {
    const w = world(3);
    await w.desired.deploy({ file: 'matrix.yaml', source: v('cloud/web:v1'), dryRun: false });
    await settle(w, 2);
    w.sim.powerOff('n2');
    await w.desired.deploy({ file: 'matrix.yaml', source: v('cloud/web:v2'), dryRun: false });
    await settle(w, 40);
    expect(routedImages(w)).toEqual(['v2', 'v2', 'v2']);
    const loaded = w.vcls.length;
    const stale = [...w.sim.node('n2').containers.values()].map((c) => `backend b_web_n2_${c.hostPort} `);
    expect(stale).toHaveLength(1);
    w.sim.powerOn('n2'); // its v1 container runs again, healthy
    for (let i = 0; i < 10; i++) {
      w.clock.now += 1000;
      await w.loop.pass();
    }
    // not in any VCL the ingress was given, not even for one publication before its drain
    // (n2 may get a v2 replica back by a rebalance: that one is another backend)
    expect(w.vcls.slice(loaded).filter((vcl) => vcl.includes(stale[0]!))).toEqual([]);
    expect(routedImages(w)).toEqual(['v2', 'v2', 'v2']);
    expect(ids(w.sim)).toEqual(slots('web', 3)); // and it is gone
  });

  it("a manager restarted mid-rollout keeps routing the old revision's replicas until they are replaced", async () => {
    const w = world(3);
    await w.desired.deploy({ file: 'matrix.yaml', source: v('cloud/web:v1'), dryRun: false });
    await settle(w, 2);
    await w.desired.deploy({ file: 'matrix.yaml', source: v('cloud/web:v2', '    update: { delay: 30s }\n'), dryRun: false });
    await settle(w, 3); // one batch replaced; the others wait out the delay
    expect(routedImages(w).sort()).toEqual(['v1', 'v1', 'v2']);
    const again = w.restart();
    await again.loop.pass();
    expect(
      again.loop
        .state()
        .routes.map((r) => w.sim.node(r.route.node).containers.get(r.containerId)!.replica.image.split(':').pop())
        .sort(),
    ).toEqual(['v1', 'v1', 'v2']);
  });

  it('rolls back automatically when the new revision never becomes healthy', async () => {
    const w = world(3);
    await w.desired.deploy({ file: 'matrix.yaml', source: v('cloud/web:v1'), dryRun: false });
    await settle(w, 2);
    // the first container of the new revision answers 5xx
    const before = new Set([...w.sim.nodes.values()].flatMap((n) => [...n.containers.keys()]));
    await w.desired.deploy({ file: 'matrix.yaml', source: v('cloud/web:v2', '    update: { monitor: 5s }\n'), dryRun: false });
    for (const n of w.sim.nodes.values()) for (const id of n.containers.keys()) if (!before.has(id)) w.sim.sick.add(id);
    await settle(w, 20);
    const current = w.store.currentDeployment()!;
    expect(current.apps[0]!.image).toBe('cloud/web:v1');
    expect(w.events.list({ kind: 'rollback' }).map((e) => [e.subject, e.data?.toImage])).toEqual([['web', 'cloud/web:v1']]);
    expect(w.desired.history('web').map((h) => [h.image, h.failed])).toEqual([
      ['cloud/web:v1', false],
      ['cloud/web:v2', true],
      ['cloud/web:v1', false],
    ]);
    // a manual rollback skips the failed revision: there is nothing else to go back to
    await expect(w.desired.rollback('web')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    expect(routes(w)).toHaveLength(3);
    expect(ids(w.sim)).toEqual(slots('web', 3));
  });

  it('rollback returns to the previous revision, and history lists revisions newest first', async () => {
    const w = world(3);
    await w.desired.deploy({ file: 'matrix.yaml', source: v('cloud/web:v1'), dryRun: false });
    await w.desired.scale('web', 3);
    await w.desired.deploy({ file: 'matrix.yaml', source: v('cloud/web:v2'), dryRun: false });
    await settle(w, 20);
    expect(w.desired.history('web').map((h) => h.image)).toEqual(['cloud/web:v2', 'cloud/web:v1']);
    const r = await w.desired.rollback('web');
    expect([r.from, r.to]).toEqual(['cloud/web:v2', 'cloud/web:v1']);
    await settle(w, 20);
    expect(w.store.currentDeployment()!.apps[0]!.image).toBe('cloud/web:v1');
    expect(
      new Set(
        w.sim.running().map((x) => [...w.sim.node(x.node).containers.values()].find((c) => c.replica.id === x.id && c.state === 'running')!.replica.image),
      ),
    ).toEqual(new Set(['reg.sim:5000/cloud/web:v1']));
    await expect(w.desired.rollback('nope')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    expect(() => w.desired.history('nope')).toThrow(/no app named nope/);
  });
});
