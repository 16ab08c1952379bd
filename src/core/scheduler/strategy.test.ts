import { describe, expect, it } from 'vitest';
import type { SchedNode } from '../model.ts';
import { app, node, nodes, perNode, run } from './test-fixtures.ts';

describe('spread', () => {
  it('9 replicas on 3 equal nodes end 3/3/3, for every seed', () => {
    for (let seed = 0; seed < 20; seed++) {
      const r = run([app('web', { replicas: 9 })], nodes(3), { seed });
      expect(perNode(r.placements, 'web')).toEqual({ node1: 3, node2: 3, node3: 3 });
    }
  });

  it('1000 replicas on 5000 nodes never put 2 on one node', () => {
    const ns = nodes(5000, { capacity: { cpus: 8, memoryMb: 16384 } });
    const r = run([app('web', { replicas: 1000, resources: { cpus: 0.1, memoryMb: 64 } })], ns, { seed: 3 });
    expect(r.placements).toHaveLength(1000);
    expect(Math.max(...Object.values(perNode(r.placements)))).toBe(1);
  });

  it('never more than one apart per node across a large app (ceil(n/m) cap)', () => {
    const r = run([app('web', { replicas: 2500 })], nodes(1000), { seed: 9 });
    const counts = Object.values(perNode(r.placements));
    expect(counts).toHaveLength(1000);
    expect(Math.min(...counts)).toBe(2);
    expect(Math.max(...counts)).toBe(3);
  });

  it('counts this app first, then prefers the least utilized node', () => {
    const hog = app('hog', { replicas: 1, resources: { cpus: 3, memoryMb: 0 } });
    const web = app('web', { replicas: 2, resources: { cpus: 0.5, memoryMb: 0 } });
    const existing = [{ app: 'hog', slot: 0, node: 'node1', hostPort: null }];
    for (let seed = 0; seed < 10; seed++) {
      const r = run([hog, web], nodes(3), { existing, seed });
      expect(perNode(r.placements, 'web')).toEqual({ node2: 1, node3: 1 });
    }
    // with 3 replicas, node1 gets one too: fewest replicas of this app beats utilization
    const r3 = run([hog, app('web', { replicas: 3, resources: { cpus: 0.5, memoryMb: 0 } })], nodes(3), { existing });
    expect(perNode(r3.placements, 'web')).toEqual({ node1: 1, node2: 1, node3: 1 });
  });

  it('measures nodes without capacity by placement count', () => {
    const ns = nodes(2, { capacity: { cpus: 0, memoryMb: 0 } });
    const existing = [0, 1, 2].map((slot) => ({ app: 'busy', slot, node: 'node1', hostPort: null }));
    const r = run([app('busy', { replicas: 3 }), app('web', { replicas: 1 })], ns, { existing });
    expect(perNode(r.placements, 'web')).toEqual({ node2: 1 });
  });

  it('breaks exact ties with the seed: different seeds use different nodes', () => {
    const firstNodes = new Set<string>();
    for (let seed = 0; seed < 30; seed++) firstNodes.add(run([app('web', { replicas: 1 })], nodes(5), { seed }).placements[0].node);
    expect(firstNodes.size).toBeGreaterThan(2);
  });
});

describe('binpack', () => {
  const big = (name: string, cpus: number): SchedNode => node(name, { capacity: { cpus, memoryMb: 65536 } });

  it('fills a node before opening another', () => {
    const web = app('web', { replicas: 4, resources: { cpus: 1, memoryMb: 0 }, strategy: 'binpack' });
    for (let seed = 0; seed < 10; seed++) {
      const r = run([web], nodes(3, { capacity: { cpus: 2, memoryMb: 4096 } }), { seed });
      expect(Object.values(perNode(r.placements)).sort()).toEqual([2, 2]);
    }
  });

  it('is the cluster default when asked, and the app override wins', () => {
    const ns = nodes(4, { capacity: { cpus: 4, memoryMb: 4096 } });
    const w = { replicas: 4, resources: { cpus: 1, memoryMb: 0 } };
    expect(Object.keys(perNode(run([app('web', w)], ns, { strategy: 'binpack' }).placements))).toHaveLength(1);
    expect(Object.keys(perNode(run([app('web', { ...w, strategy: 'spread' })], ns, { strategy: 'binpack' }).placements))).toHaveLength(4);
  });

  it('prefers the most utilized node that still fits', () => {
    const ns = [big('empty', 8), big('half', 8), big('full', 8)];
    const existing = [
      { app: 'base', slot: 0, node: 'half', hostPort: null },
      { app: 'base', slot: 1, node: 'full', hostPort: null },
      { app: 'base', slot: 2, node: 'full', hostPort: null },
    ];
    const base = app('base', { replicas: 3, resources: { cpus: 4, memoryMb: 0 } });
    const web = app('web', { replicas: 1, resources: { cpus: 1, memoryMb: 0 }, strategy: 'binpack' });
    for (let seed = 0; seed < 10; seed++) expect(perNode(run([base, web], ns, { existing, seed }).placements, 'web')).toEqual({ half: 1 });
  });

  it('with zero reservations, stacks on the node with the most placements', () => {
    const r = run([app('web', { replicas: 6, strategy: 'binpack' })], nodes(3));
    expect(Object.values(perNode(r.placements))).toEqual([6]);
  });

  it('packs a large cluster tightly (sampled, not exhaustive)', () => {
    const ns = Array.from({ length: 2000 }, (_, i) => big(`n${i}`, 4));
    const r = run([app('web', { replicas: 400, resources: { cpus: 1, memoryMb: 0 }, strategy: 'binpack' })], ns, { seed: 2 });
    expect(r.placements).toHaveLength(400);
    expect(Object.keys(perNode(r.placements)).length).toBe(100); // 4 per node: optimal
  });

  it('several binpack apps share partly filled nodes', () => {
    const ns = Array.from({ length: 1000 }, (_, i) => big(`n${i}`, 4));
    const apps = [0, 1, 2, 3].map((i) => app(`a${i}`, { replicas: 50, resources: { cpus: 0.5, memoryMb: 0 }, strategy: 'binpack' }));
    const r = run(apps, ns);
    expect(Object.keys(perNode(r.placements)).length).toBeLessThanOrEqual(26); // 100 cpus / 4 = 25 nodes at best
  });
});
