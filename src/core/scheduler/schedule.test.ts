import { describe, expect, it } from 'vitest';
import type { Placement } from '../model.ts';
import { app, node, nodeOf, nodes, perNode, run } from './test-fixtures.ts';

const at = (a: string, slot: number, n: string, hostPort: number | null = null): Placement => ({ app: a, slot, node: n, hostPort });

describe('schedule: slots and output', () => {
  it('places slots 0..replicas-1, sorted by (app, slot), with the published port', () => {
    const r = run([app('web', { replicas: 3, publish: 8080 }), app('api', { replicas: 2 })], nodes(3));
    expect(r.placements.map((p) => `${p.app}.${p.slot}`)).toEqual(['api.0', 'api.1', 'web.0', 'web.1', 'web.2']);
    expect(r.placements.filter((p) => p.app === 'web').every((p) => p.hostPort === 8080)).toBe(true);
    expect(r.placements.filter((p) => p.app === 'api').every((p) => p.hostPort === null)).toBe(true);
    expect(r.unplaced).toEqual([]);
    expect(r.changes).toEqual({ kept: 0, placed: 5, moved: 0, dropped: 0 });
  });

  it('handles no apps, no nodes, zero replicas', () => {
    expect(run([], nodes(2))).toEqual({ placements: [], unplaced: [], changes: { kept: 0, placed: 0, moved: 0, dropped: 0 } });
    const r = run([app('web', { replicas: 2 }), app('none', { replicas: 0 })], []);
    expect(r.placements).toEqual([]);
    expect(r.unplaced.map((u) => [u.slot, u.message])).toEqual([
      [0, '0/0 nodes available'],
      [1, '0/0 nodes available'],
    ]);
  });

  it('a repeated app or node name keeps its first entry', () => {
    const r = run([app('web', { replicas: 1 }), app('web', { replicas: 5 })], [node('n1'), node('n1', { up: false })]);
    expect(r.placements).toEqual([at('web', 0, 'n1')]);
  });
});

describe('schedule: keep, move, drop', () => {
  const web = app('web', { replicas: 3 });

  it('keeps valid existing placements untouched', () => {
    const existing = [at('web', 0, 'node1'), at('web', 1, 'node1'), at('web', 2, 'node2')];
    const r = run([web], nodes(2), { existing });
    expect(r.placements).toEqual(existing);
    expect(r.changes).toEqual({ kept: 3, placed: 0, moved: 0, dropped: 0 });
  });

  it('moves replicas off a down node and off a missing node, keeps the rest', () => {
    const existing = [at('web', 0, 'node1'), at('web', 1, 'node2'), at('web', 2, 'gone')];
    const r = run([web], [node('node1'), node('node2', { up: false }), node('node3')], { existing });
    expect(nodeOf(r, 'web', 0)).toBe('node1');
    expect(nodeOf(r, 'web', 1)).toBe('node3'); // spread: node3 has none
    expect(['node1', 'node3']).toContain(nodeOf(r, 'web', 2));
    expect(r.changes).toEqual({ kept: 1, placed: 0, moved: 2, dropped: 0 });
  });

  it('a node that comes back gets its replicas back under spread (a move), not under binpack or rebalance: false', () => {
    const before = [at('web', 0, 'node1'), at('web', 1, 'node2'), at('web', 2, 'node3')];
    const down = run([web], [node('node1'), node('node2'), node('node3', { up: false })], { existing: before });
    expect(nodeOf(down, 'web', 2)).not.toBe('node3');
    // web.2 is the highest slot on the node that now holds two
    const back = run([web], nodes(3), { existing: down.placements });
    expect(back.placements).toEqual(before);
    expect(back.changes).toEqual({ kept: 2, placed: 0, moved: 1, dropped: 0 });

    for (const [apps, strategy] of [
      [[web], 'binpack'],
      [[{ ...web, rebalance: false }], 'spread'],
      [[{ ...web, strategy: 'binpack', rebalance: true }], 'spread'],
    ] as const) {
      const stays = run([...apps], nodes(3), { existing: down.placements, strategy });
      expect(stays.placements).toEqual(down.placements);
      expect(stays.changes).toEqual({ kept: 3, placed: 0, moved: 0, dropped: 0 });
    }
  });

  it('moves a placement whose constraint no longer holds, or whose port changed', () => {
    const pinnedToA = app('web', { replicas: 1, constraints: [{ key: 'zone', op: '==', value: 'a' }] });
    const ns = [node('n1', { labels: { zone: 'b' } }), node('n2', { labels: { zone: 'a' } })];
    const r = run([pinnedToA], ns, { existing: [at('web', 0, 'n1')] });
    expect(r.placements).toEqual([at('web', 0, 'n2')]);
    expect(r.changes.moved).toBe(1);
    const published = run([app('web', { publish: 9000 })], ns, { existing: [at('web', 0, 'n1', 8000)] });
    expect(published.placements[0].hostPort).toBe(9000);
    expect(published.changes).toEqual({ kept: 0, placed: 0, moved: 1, dropped: 0 });
  });

  it('keeps a placement even when capacity shrank below it (its resources still count)', () => {
    const heavy = app('heavy', { replicas: 1, resources: { cpus: 8, memoryMb: 0 } });
    const other = app('other', { replicas: 1, resources: { cpus: 1, memoryMb: 0 } });
    const r = run([heavy, other], [node('n1'), node('n2')], { existing: [at('heavy', 0, 'n1')] });
    expect(nodeOf(r, 'heavy', 0)).toBe('n1');
    expect(nodeOf(r, 'other', 0)).toBe('n2'); // n1 is over-committed
  });

  it('scale up adds the new slots and keeps the old ones', () => {
    const first = run([app('web', { replicas: 2 })], nodes(4));
    const up = run([app('web', { replicas: 4 })], nodes(4), { existing: first.placements });
    expect(up.placements.slice(0, 2)).toEqual(first.placements);
    expect(up.placements.map((p) => p.slot)).toEqual([0, 1, 2, 3]);
    expect(up.changes).toEqual({ kept: 2, placed: 2, moved: 0, dropped: 0 });
  });

  it('scale down drops the highest slots; removed apps are dropped', () => {
    const first = run([app('web', { replicas: 4 }), app('old', { replicas: 2 })], nodes(4));
    const down = run([app('web', { replicas: 2 })], nodes(4), { existing: first.placements });
    expect(down.placements).toEqual(first.placements.filter((p) => p.app === 'web' && p.slot < 2));
    expect(down.changes).toEqual({ kept: 2, placed: 0, moved: 0, dropped: 4 });
  });

  it('never two placements for one slot: duplicates and malformed slots are dropped', () => {
    const existing = [at('web', 0, 'node2'), at('web', 0, 'node1'), at('web', -1, 'node1'), at('web', 0.5, 'node1')];
    const r = run([app('web', { replicas: 1 })], nodes(2), { existing });
    expect(r.placements).toEqual([at('web', 0, 'node1')]); // smallest node name wins, whatever the order
    expect(r.changes).toEqual({ kept: 1, placed: 0, moved: 0, dropped: 3 });
  });

  it('a slot that had a placement and cannot be re-placed is dropped and reported', () => {
    const r = run([web], [node('node1', { up: false })], { existing: [at('web', 0, 'node1')] });
    expect(r.placements).toEqual([]);
    expect(r.unplaced.map((u) => u.slot)).toEqual([0, 1, 2]);
    expect(r.changes).toEqual({ kept: 0, placed: 0, moved: 0, dropped: 1 });
  });
});

describe('schedule: unplaced reasons', () => {
  it('resource exhaustion: exact message', () => {
    const db = app('db', { replicas: 1, resources: { cpus: 0, memoryMb: 8192 } });
    const r = run([db], [node('node1'), node('node2'), node('node3', { up: false })]);
    expect(r.unplaced).toEqual([
      {
        app: 'db',
        slot: 0,
        reasons: { 'insufficient memory': 2, 'node down': 1 },
        message: '0/3 nodes available: 2 insufficient memory, 1 node down',
      },
    ]);
  });

  it('fills what fits, then reports the rest with counts taken after the placements', () => {
    const w = app('w', { replicas: 5, resources: { cpus: 2, memoryMb: 0 } });
    const r = run([w], nodes(2));
    expect(r.placements).toHaveLength(4);
    expect(r.unplaced).toHaveLength(1);
    expect(r.unplaced[0]).toMatchObject({ slot: 4, message: '0/2 nodes available: 2 insufficient cpu' });
  });

  it('each unplaced slot carries its own reasons object', () => {
    const r = run([app('w', { replicas: 2 })], [node('n1', { up: false })]);
    expect(r.unplaced[0].reasons).not.toBe(r.unplaced[1].reasons);
    expect(r.unplaced[1]).toEqual({ app: 'w', slot: 1, reasons: { 'node down': 1 }, message: '0/1 nodes available: 1 node down' });
  });

  it('port conflicts across apps', () => {
    const a = app('a', { replicas: 2, publish: 8080 });
    const b = app('b', { replicas: 2, publish: 8080 });
    const r = run([a, b], nodes(3));
    const used = r.placements.map((p) => p.node);
    expect(new Set(used).size).toBe(3); // 8080 once per node
    expect(r.unplaced).toEqual([{ app: 'b', slot: 1, reasons: { 'port 8080 in use': 3 }, message: '0/3 nodes available: 3 port 8080 in use' }]);
  });

  it('an existing placement loses its port to a pinned app and moves', () => {
    const pinned = app('plan', { replicas: 1, pins: [{ node: 'node1', hostPort: 5050, containerPort: 8080 }] });
    const web = app('web', { replicas: 1, publish: 5050 });
    const r = run([web, pinned], nodes(2), { existing: [at('web', 0, 'node1', 5050)] });
    expect(nodeOf(r, 'plan', 0)).toBe('node1');
    expect(nodeOf(r, 'web', 0)).toBe('node2');
    expect(r.changes).toEqual({ kept: 0, placed: 1, moved: 1, dropped: 0 });
  });
});

describe('schedule: pinned apps', () => {
  const pins = [
    { node: 'node2', hostPort: 5050, containerPort: 8080 },
    { node: 'node2', hostPort: 5051, containerPort: 8080 },
    { node: 'node3', hostPort: 5050, containerPort: 8080 },
  ];
  const plan = app('simplewebapp1', { replicas: 3, pins });

  it('puts slot i on pins[i] with its host port', () => {
    const r = run([plan], nodes(3));
    expect(r.placements).toEqual([at('simplewebapp1', 0, 'node2', 5050), at('simplewebapp1', 1, 'node2', 5051), at('simplewebapp1', 2, 'node3', 5050)]);
  });

  it('never moves a pinned slot: a down node keeps it (it waits there), a missing node leaves it unplaced', () => {
    const existing = [at('simplewebapp1', 0, 'node2', 5050), at('simplewebapp1', 1, 'node2', 5051), at('simplewebapp1', 2, 'node3', 5050)];
    const r = run([plan], [node('node1'), node('node2', { up: false })], { existing });
    expect(r.placements).toEqual([at('simplewebapp1', 0, 'node2', 5050), at('simplewebapp1', 1, 'node2', 5051)]);
    expect(r.unplaced).toEqual([{ app: 'simplewebapp1', slot: 2, reasons: { 'node missing': 1 }, message: 'pinned to node3: node missing' }]);
    expect(r.changes).toEqual({ kept: 2, placed: 0, moved: 0, dropped: 1 });
  });

  it('keeps a matching pinned placement; a changed pin counts as a move', () => {
    const existing = [at('simplewebapp1', 0, 'node2', 5050), at('simplewebapp1', 1, 'node1', 5051)];
    const r = run([plan], nodes(3), { existing });
    expect(r.changes).toEqual({ kept: 1, placed: 1, moved: 1, dropped: 0 });
  });

  it('ignores constraints and capacity, but not host ports', () => {
    const p = app('p', {
      replicas: 2,
      resources: { cpus: 64, memoryMb: 0 },
      constraints: [{ key: 'zone', op: '==', value: 'mars' }],
      pins: [
        { node: 'node1', hostPort: 80, containerPort: 80 },
        { node: 'node1', hostPort: 80, containerPort: 80 },
      ],
    });
    const r = run([p], nodes(1));
    expect(r.placements).toEqual([at('p', 0, 'node1', 80)]);
    expect(r.unplaced[0]).toMatchObject({ slot: 1, reasons: { 'port 80 in use': 1 } });
  });

  it('reports slots beyond the pins', () => {
    const r = run([app('p', { replicas: 2, pins: [pins[0]] })], nodes(3));
    expect(r.unplaced).toEqual([{ app: 'p', slot: 1, reasons: { 'no pin for slot': 1 }, message: 'pinned app has 1 pins: no pin for slot' }]);
  });

  it('pinned ports block other apps', () => {
    const web = app('web', { replicas: 3, publish: 5050 });
    const r = run([web, plan], nodes(3));
    expect(perNode(r.placements, 'web')).toEqual({ node1: 1 });
    expect(r.unplaced.map((u) => u.message)).toEqual(['0/3 nodes available: 3 port 5050 in use', '0/3 nodes available: 3 port 5050 in use']);
  });
});

describe('schedule: rebalance (phase 4)', () => {
  const stacked = (a: string, n: number, on: string): Placement[] => Array.from({ length: n }, (_, slot) => at(a, slot, on));
  const sumsTo = (r: ReturnType<typeof run>, existing: number) => {
    const c = r.changes;
    expect(c.kept + c.moved + c.dropped).toBe(existing);
    expect(c.kept + c.placed + c.moved).toBe(r.placements.length);
  };

  it('scale-down 5 -> 3 with slots 0..2 on one node ends spread: highest slots move, to the lowest node index first', () => {
    const existing = [...stacked('web', 3, 'node1'), at('web', 3, 'node2'), at('web', 4, 'node3')];
    const r = run([app('web', { replicas: 3 })], nodes(3), { existing });
    expect(r.placements).toEqual([at('web', 0, 'node1'), at('web', 1, 'node3'), at('web', 2, 'node2')]);
    expect(r.changes).toEqual({ kept: 1, placed: 0, moved: 2, dropped: 2 });
    sumsTo(r, existing.length);
  });

  it('scale-up places the new slots first, then moves only what is still uneven', () => {
    const existing = stacked('web', 3, 'node1');
    const r = run([app('web', { replicas: 5 })], nodes(3), { existing });
    expect(perNode(r.placements, 'web')).toEqual({ node1: 2, node2: 2, node3: 1 });
    expect(r.changes).toEqual({ kept: 2, placed: 2, moved: 1, dropped: 0 });
    expect(nodeOf(r, 'web', 2)).not.toBe('node1'); // the highest kept slot is the one that moved
    sumsTo(r, existing.length);
  });

  it('moves until the counts differ by at most one', () => {
    const r = run([app('web', { replicas: 7 })], nodes(3), { existing: stacked('web', 7, 'node1') });
    expect(perNode(r.placements, 'web')).toEqual({ node1: 3, node2: 2, node3: 2 });
    expect(r.changes).toEqual({ kept: 3, placed: 0, moved: 4, dropped: 0 });
    // the lowest slots stay where they are
    expect([0, 1, 2].map((s) => nodeOf(r, 'web', s))).toEqual(['node1', 'node1', 'node1']);
  });

  it('a move respects constraints: a node the app may not use gets nothing', () => {
    const zoneA = app('web', { replicas: 4, constraints: [{ key: 'zone', op: '==', value: 'a' }] });
    const ns = [node('n1', { labels: { zone: 'a' } }), node('n2', { labels: { zone: 'b' } }), node('n3', { labels: { zone: 'a' } })];
    const r = run([zoneA], ns, { existing: stacked('web', 4, 'n1') });
    expect(perNode(r.placements, 'web')).toEqual({ n1: 2, n3: 2 });
  });

  it('a move respects anti-affinity, both ways', () => {
    const ns = nodes(3);
    const db = app('db', { replicas: 1 });
    const existing = [...stacked('web', 4, 'node1'), at('db', 0, 'node2')];
    const avoidsDb = run([app('web', { replicas: 4, antiAffinity: ['db'] }), db], ns, { existing });
    expect(perNode(avoidsDb.placements, 'web')).toEqual({ node1: 2, node3: 2 });
    const avoidedByDb = run([app('web', { replicas: 4 }), { ...db, antiAffinity: ['web'] }], ns, { existing });
    expect(perNode(avoidedByDb.placements, 'web')).toEqual({ node1: 2, node3: 2 });
    expect(nodeOf(avoidedByDb, 'db', 0)).toBe('node2');
  });

  it('a move respects capacity: a target that does not fit is skipped, one that fills up stops taking', () => {
    const web = app('web', { replicas: 5, resources: { cpus: 1, memoryMb: 0 } });
    const other = app('other', { replicas: 1, resources: { cpus: 4, memoryMb: 0 } });
    const ns = [node('n1', { capacity: { cpus: 8, memoryMb: 0 } }), node('n2'), node('n3', { capacity: { cpus: 1, memoryMb: 0 } }), node('n4')];
    const r = run([web, other], ns, { existing: [...stacked('web', 5, 'n1'), at('other', 0, 'n2')] });
    expect(perNode(r.placements, 'web')).toEqual({ n1: 2, n3: 1, n4: 2 });
    expect(r.changes).toEqual({ kept: 3, placed: 0, moved: 3, dropped: 0 });
  });

  it('an app that publishes a port never needs a move: it holds one replica per node', () => {
    const existing = [at('web', 0, 'node1', 8080), at('web', 1, 'node2', 8080)];
    const r = run([app('web', { replicas: 2, publish: 8080 })], nodes(3), { existing });
    expect(r.placements).toEqual(existing);
  });

  it('never moves a pinned app, nor an app in an affinity or colocated-dependency relation (either side)', () => {
    const pins = [0, 1, 2].map((i) => ({ node: 'node1', hostPort: 5050 + i, containerPort: 8080 }));
    const apps = [
      app('plan', { replicas: 3, pins }),
      app('db', { replicas: 3 }),
      app('web', { replicas: 3, affinity: ['db'] }),
      app('cache', { replicas: 3 }),
      app('api', { replicas: 3, dependsOn: [{ app: 'cache', colocate: true }] }),
    ];
    const existing = [...pins.map((p, slot) => at('plan', slot, 'node1', p.hostPort)), ...['db', 'web', 'cache', 'api'].flatMap((a) => stacked(a, 3, 'node1'))];
    const r = run(apps, nodes(3), { existing });
    expect(r.placements).toEqual([...existing].sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : a.slot - b.slot)));
    expect(r.changes).toEqual({ kept: 15, placed: 0, moved: 0, dropped: 0 });
    // a dependency without colocation is no such relation
    const loose = run([app('db', { replicas: 3 }), app('worker', { replicas: 3, dependsOn: [{ app: 'db', colocate: false }] })], nodes(3), {
      existing: [...stacked('db', 3, 'node1'), ...stacked('worker', 3, 'node1')],
    });
    expect(perNode(loose.placements, 'worker')).toEqual({ node1: 1, node2: 1, node3: 1 });
    expect(perNode(loose.placements, 'db')).toEqual({ node1: 1, node2: 1, node3: 1 });
  });

  it('does not move apps that reserve resources while a replica waits for resources; others still move', () => {
    const ns = nodes(3, { capacity: { cpus: 4, memoryMb: 1024 } });
    const huge = app('huge', { replicas: 1, resources: { cpus: 0, memoryMb: 2048 } });
    const heavy = app('heavy', { replicas: 3, resources: { cpus: 0, memoryMb: 128 } });
    const light = app('light', { replicas: 3 });
    const existing = [...stacked('heavy', 3, 'node1'), ...stacked('light', 3, 'node1')];
    const r = run([huge, heavy, light], ns, { existing });
    expect(r.unplaced.map((u) => u.message)).toEqual(['0/3 nodes available: 3 insufficient memory']);
    expect(perNode(r.placements, 'heavy')).toEqual({ node1: 3 });
    expect(perNode(r.placements, 'light')).toEqual({ node1: 1, node2: 1, node3: 1 });
    // once nothing waits, heavy moves too
    const fits = run([heavy, light], ns, { existing });
    expect(perNode(fits.placements, 'heavy')).toEqual({ node1: 1, node2: 1, node3: 1 });
  });

  it('is deterministic and uses no randomness: any seed and any input order give the same moves', () => {
    const apps = [app('web', { replicas: 6 }), app('api', { replicas: 4 })];
    const existing = [...stacked('web', 6, 'node2'), ...stacked('api', 4, 'node3')];
    const r = run(apps, nodes(4), { existing, seed: 1 });
    expect(run([...apps].reverse(), nodes(4), { existing: [...existing].reverse(), seed: 99 })).toEqual(r);
    expect(perNode(r.placements, 'web')).toEqual({ node1: 2, node2: 2, node3: 1, node4: 1 });
    expect(perNode(r.placements, 'api')).toEqual({ node1: 1, node2: 1, node3: 1, node4: 1 });
    // and a second run on its own output changes nothing
    const again = run(apps, nodes(4), { existing: r.placements, seed: 5 });
    expect(again.placements).toEqual(r.placements);
    expect(again.changes).toEqual({ kept: 10, placed: 0, moved: 0, dropped: 0 });
  });
});

describe('the volume filter: an app with volumes stays with its data', () => {
  const db = app('db', { replicas: 2, volumes: [{ name: 'data', target: '/data', readOnly: false }] });
  const web = app('web', { replicas: 2 });
  const was: Placement[] = [
    { app: 'db', slot: 0, node: 'node1', hostPort: null },
    { app: 'db', slot: 1, node: 'node2', hostPort: null },
    { app: 'web', slot: 0, node: 'node1', hostPort: null },
    { app: 'web', slot: 1, node: 'node2', hostPort: null },
  ];

  it('a replica whose node is down stays placed there, reported unplaced with why; an app without volumes moves', () => {
    const r = run([db, web], [node('node1', { up: false }), node('node2'), node('node3')], { existing: was });
    expect(nodeOf(r, 'db', 0)).toBe('node1');
    expect(nodeOf(r, 'web', 0)).toBe('node3');
    expect(r.unplaced).toEqual([
      { app: 'db', slot: 0, reasons: { 'volume data on node1 (down)': 1 }, message: 'stays with its data: volume data on node1 (down)' },
    ]);
  });

  it('stays on a drained node too, and is never moved to even out the spread', () => {
    const drained = run([db], [node('node1', { drain: true }), node('node2'), node('node3')], { existing: was.slice(0, 2) });
    expect([nodeOf(drained, 'db', 0), nodeOf(drained, 'db', 1)]).toEqual(['node1', 'node2']);
    const crowded: Placement[] = [0, 1, 2, 3].map((slot) => ({ app: 'db', slot, node: 'node1', hostPort: null }));
    const r = run([{ ...db, replicas: 4 }], nodes(3), { existing: crowded });
    expect(perNode(r.placements)).toEqual({ node1: 4 });
    expect(r.changes.moved).toBe(0);
  });

  it('a slot never placed before is placed by the usual filters; a node gone from the cluster frees its slot', () => {
    const r = run([db], nodes(2), { existing: [{ app: 'db', slot: 0, node: 'node9', hostPort: null }] });
    expect(r.placements.map((p) => p.node).sort()).toEqual(['node1', 'node2']);
    expect(r.unplaced).toEqual([]);
  });
});
