/**
 * The rebalance through the whole loop, on the `sim` driver: the scheduler moves placements at
 * once, the rollout moves the containers start-first, one at a time, so a spread app that
 * piled up on some nodes ends even again without ever serving from fewer replicas.
 */
import { describe, expect, it } from 'vitest';
import { simWorld } from './sim-world.ts';

type World = ReturnType<typeof simWorld>;

const spec = (replicas: number, extra = '') => `apps:\n  web:\n    image: cloud/web:v1\n    replicas: ${replicas}\n    port: 8080\n${extra}`;
const deploy = (w: World, source: string) => w.desired.deploy({ file: 'matrix.yaml', source, dryRun: false });

/** Running containers of web per node (down nodes included: their containers are frozen, not gone). */
function perNode(w: World): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of w.running('web')) out[c.replica.node] = (out[c.replica.node] ?? 0) + 1;
  return out;
}

/**
 * Distinct replicas of web that serve: running, healthy, on a node that is up, and in the
 * routes the loop last published to the ingress.
 */
function serving(w: World): number {
  const routed = new Set(w.loop.state().routes.map((r) => r.containerId));
  const ids = new Set<string>();
  for (const n of w.sim.nodes.values()) {
    if (!n.up) continue;
    for (const c of n.containers.values()) {
      if (c.replica.app === 'web' && c.state === 'running' && !w.sim.sick.has(c.id) && routed.has(c.id)) ids.add(c.replica.id);
    }
  }
  return ids.size;
}

/** Passes one simulated second apart; the fewest serving replicas seen after any of them. */
async function passes(w: World, n: number): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < n; i++) {
    w.clock.now += 1000;
    await w.loop.pass();
    least = Math.min(least, serving(w));
  }
  return least;
}

/** Passes until web runs on up nodes only (its replica on a down node was replaced). */
async function failOver(w: World): Promise<void> {
  const onUp = () => w.running('web').filter((c) => w.sim.node(c.replica.node).up);
  for (let i = 0; i < 10 && onUp().length < 3; i++) await passes(w, 1);
  await passes(w, 3);
  expect(
    onUp()
      .map((c) => c.replica.id)
      .sort(),
  ).toEqual(['web.0', 'web.1', 'web.2']);
}

describe('rebalance on the sim driver', () => {
  it('a node that comes back gets exactly one replica back, start-first, and the app ends one per node', async () => {
    const w = simWorld({ nodes: 3 });
    await deploy(w, spec(3));
    await passes(w, 2);
    expect(perNode(w)).toEqual({ n1: 1, n2: 1, n3: 1 });

    w.sim.powerOff('n3');
    await failOver(w);
    const piled = w.store.listPlacements();
    expect(new Set(piled.map((p) => p.node)).size).toBe(2);

    w.sim.powerOn('n3'); // its old container runs again
    expect(await passes(w, 15)).toBeGreaterThanOrEqual(3);
    expect(perNode(w)).toEqual({ n1: 1, n2: 1, n3: 1 });
    expect(w.running('web')).toHaveLength(3);
    expect(w.store.listPlacements().filter((p) => p.node === 'n3')).toHaveLength(1);
    // and it stays so
    const settled = w.store.listPlacements();
    await passes(w, 5);
    expect(w.store.listPlacements()).toEqual(settled);
  });

  it("a returning node's old container that never answers again is replaced after the monitor time, not waited on forever", async () => {
    const w = simWorld({ nodes: 3 });
    await deploy(w, spec(3, '    update: { monitor: 5s }\n'));
    await passes(w, 2);
    w.sim.powerOff('n3');
    await failOver(w);

    w.sim.powerOn('n3'); // its old container runs again, but fails every health check
    const stale = [...w.sim.node('n3').containers.keys()];
    expect(stale).toHaveLength(1);
    w.sim.sick.add(stale[0]!);
    expect(await passes(w, 20)).toBeGreaterThanOrEqual(3);
    expect(perNode(w)).toEqual({ n1: 1, n2: 1, n3: 1 });
    expect(w.sim.node('n3').containers.has(stale[0]!)).toBe(false);
    expect(w.events.list({ kind: 'rollback' })).toEqual([]);
  });

  it('a node that comes back empty gets a replica by a move: the new one starts before the old one leaves', async () => {
    const w = simWorld({ nodes: 3 });
    await deploy(w, spec(3));
    await passes(w, 2);
    w.sim.powerOff('n3');
    await failOver(w);
    w.sim.node('n3').containers.clear(); // reinstalled while it was away

    w.sim.powerOn('n3');
    let most = 0;
    let least = Infinity;
    for (let i = 0; i < 15; i++) {
      least = Math.min(least, await passes(w, 1));
      most = Math.max(most, w.running('web').length);
    }
    expect(least).toBeGreaterThanOrEqual(3);
    expect(most).toBe(4); // one extra replica during the move: start-first
    expect(perNode(w)).toEqual({ n1: 1, n2: 1, n3: 1 });
    expect(w.running('web')).toHaveLength(3);
    expect(w.events.list({ kind: 'rollback' })).toEqual([]);
  });

  it('a moved replica that never gets healthy never rolls the app back: the old one keeps serving', async () => {
    const w = simWorld({ nodes: 3 });
    await deploy(w, spec(3));
    await passes(w, 2);
    const v2 = spec(3, '    update: { monitor: 3s }\n').replace('web:v1', 'web:v2');
    await deploy(w, v2); // an earlier revision exists: a failing rollout would go back to it
    await passes(w, 15);
    w.sim.powerOff('n3');
    await failOver(w);
    w.sim.node('n3').containers.clear();

    w.sim.powerOn('n3');
    let least = Infinity;
    for (let i = 0; i < 15; i++) {
      for (const c of w.sim.node('n3').containers.keys()) w.sim.sick.add(c); // the app fails on n3
      least = Math.min(least, await passes(w, 1));
    }
    expect(w.events.list({ kind: 'rollback' })).toEqual([]);
    expect(w.store.currentDeployment()!.apps[0]!.image).toBe('cloud/web:v2');
    expect(least).toBeGreaterThanOrEqual(3);
    expect(w.store.listPlacements().filter((p) => p.node === 'n3')).toHaveLength(1);
    // the replica it replaces still runs where it was
    expect(perNode(w)).toMatchObject({ n1: expect.any(Number), n2: expect.any(Number) });
    expect((perNode(w).n1 ?? 0) + (perNode(w).n2 ?? 0)).toBe(3);
  });

  it('a scale-down from 5 to 3 that leaves slots 0..2 on one node ends one per node, never serving from fewer than 3', async () => {
    const w = simWorld({ nodes: 3 });
    await passes(w, 1);
    w.sim.powerOff('n2');
    w.sim.powerOff('n3');
    await deploy(w, spec(5));
    await passes(w, 2);
    expect(perNode(w)).toEqual({ n1: 5 });

    w.sim.powerOn('n2');
    w.sim.powerOn('n3');
    await deploy(w, spec(3));
    expect(serving(w)).toBeGreaterThanOrEqual(3);
    expect(await passes(w, 20)).toBeGreaterThanOrEqual(3);
    expect(perNode(w)).toEqual({ n1: 1, n2: 1, n3: 1 });
    expect(
      w
        .running('web')
        .map((c) => c.replica.id)
        .sort(),
    ).toEqual(['web.0', 'web.1', 'web.2']);
  });

  it('a drained node hands its replicas over start-first, takes none while drained, and gets its share back once active', async () => {
    const w = simWorld({ nodes: 3 });
    await deploy(w, spec(3));
    await passes(w, 2);
    expect(perNode(w)).toEqual({ n1: 1, n2: 1, n3: 1 });
    const setAvailability = (availability: 'drain' | 'active') => w.store.upsertNode({ ...w.store.listNodes().find((n) => n.name === 'n3')!, availability });

    setAvailability('drain');
    let most = 0;
    let least = Infinity;
    for (let i = 0; i < 15; i++) {
      least = Math.min(least, await passes(w, 1));
      most = Math.max(most, w.running('web').length);
    }
    expect(least).toBeGreaterThanOrEqual(3); // never fewer serving: the new replica starts before the old one leaves
    expect(most).toBe(4);
    expect(perNode(w).n3).toBeUndefined();
    expect(w.running('web')).toHaveLength(3);
    // a scale-up places nothing there either
    await deploy(w, spec(5));
    await passes(w, 5);
    expect(perNode(w).n3).toBeUndefined();
    expect(w.running('web')).toHaveLength(5);

    setAvailability('active');
    expect(await passes(w, 20)).toBeGreaterThanOrEqual(5);
    expect(perNode(w).n3).toBeGreaterThanOrEqual(1);
    expect(w.running('web')).toHaveLength(5);
    expect(w.events.list({ kind: 'rollback' })).toEqual([]);
  });

  it('rebalance: false keeps the replicas where they are', async () => {
    const w = simWorld({ nodes: 3 });
    await deploy(w, spec(3, '    rebalance: false\n'));
    await passes(w, 2);
    w.sim.powerOff('n3');
    await failOver(w);
    const piled = w.store.listPlacements();

    w.sim.powerOn('n3');
    await passes(w, 15);
    expect(w.store.listPlacements()).toEqual(piled);
    expect(perNode(w).n3).toBeUndefined(); // its old container was drained and stopped
    expect(w.running('web')).toHaveLength(3);
  });
});
