import { describe, expect, it } from 'vitest';
import type { Placement } from '../model.ts';
import { app, node, nodeOf, nodes, perNode, run } from './test-fixtures.ts';

const at = (a: string, slot: number, n: string): Placement => ({ app: a, slot, node: n, hostPort: null });

describe('schedule: affinity, anti-affinity, dependencies', () => {
  it('an app with affinity to db is scheduled after db even if listed first', () => {
    const web = app('web', { replicas: 2, affinity: ['db'] });
    const db = app('db', { replicas: 1 });
    for (let seed = 1; seed <= 10; seed++) {
      const r = run([web, db], nodes(5), { seed });
      const dbNode = nodeOf(r, 'db', 0);
      expect(r.unplaced).toEqual([]);
      expect(perNode(r.placements, 'web')).toEqual({ [dbNode as string]: 2 });
    }
  });

  it('affinity not met: every node counted', () => {
    const r = run([app('web', { affinity: ['db'] }), app('db', { replicas: 1, constraints: [{ key: 'node', op: '==', value: 'node9' }] })], nodes(2));
    expect(r.unplaced.map((u) => u.message)).toEqual([
      '0/2 nodes available: 2 constraint node==node9 not met',
      '0/2 nodes available: 2 affinity with db not met',
    ]);
  });

  it('anti-affinity with itself: 3 replicas on 2 nodes leave 1 unplaced', () => {
    const web = app('web', { replicas: 3, antiAffinity: ['web'] });
    const r = run([web], nodes(2));
    expect(perNode(r.placements, 'web')).toEqual({ node1: 1, node2: 1 });
    expect(r.unplaced).toEqual([{ app: 'web', slot: 2, reasons: { 'anti-affinity with web': 2 }, message: '0/2 nodes available: 2 anti-affinity with web' }]);
  });

  it('anti-affinity with itself holds for binpack too', () => {
    const r = run([app('web', { replicas: 3, antiAffinity: ['web'], strategy: 'binpack' })], nodes(3));
    expect(perNode(r.placements, 'web')).toEqual({ node1: 1, node2: 1, node3: 1 });
  });

  it('anti-affinity between apps, either way round', () => {
    const batch = app('batch', { replicas: 2 });
    const web = app('web', { replicas: 2, antiAffinity: ['batch'] });
    for (let seed = 1; seed <= 10; seed++) {
      const r = run([web, batch], nodes(4), { seed });
      const b = new Set(r.placements.filter((p) => p.app === 'batch').map((p) => p.node));
      for (const p of r.placements.filter((p) => p.app === 'web')) expect(b.has(p.node)).toBe(false);
    }
  });

  it('an existing replica that now shares a node with an anti-affine app is moved', () => {
    const existing = [at('batch', 0, 'node1'), at('web', 0, 'node1')];
    const r = run([app('web', { antiAffinity: ['batch'] }), app('batch')], nodes(2), { existing });
    expect(nodeOf(r, 'batch', 0)).toBe('node1');
    expect(nodeOf(r, 'web', 0)).toBe('node2');
    expect(r.changes).toEqual({ kept: 1, placed: 0, moved: 1, dropped: 0 });
  });

  it('an existing self-anti-affine pair on one node: the higher slot moves', () => {
    const existing = [at('web', 0, 'node1'), at('web', 1, 'node1')];
    const r = run([app('web', { replicas: 2, antiAffinity: ['web'] })], nodes(2), { existing });
    expect(r.placements).toEqual([at('web', 0, 'node1'), at('web', 1, 'node2')]);
  });

  it('dependency with colocate goes where the dependency is', () => {
    const api = app('api', { replicas: 3, dependsOn: [{ app: 'db', colocate: true }] });
    const db = app('db', { replicas: 2 });
    const r = run([api, db], nodes(6));
    const dbNodes = new Set(r.placements.filter((p) => p.app === 'db').map((p) => p.node));
    expect(r.placements.filter((p) => p.app === 'api').every((p) => dbNodes.has(p.node))).toBe(true);
  });

  it('dependency not on any node: reason per node', () => {
    const api = app('api', { dependsOn: [{ app: 'db', colocate: true }] });
    const db = app('db', { replicas: 1 });
    const r = run([api, db], [node('n1', { up: false }), node('n2'), node('n3')], { existing: [] });
    // db takes one node; api must follow it
    expect(r.unplaced).toEqual([]);
    const alone = run([api], nodes(2));
    expect(alone.unplaced[0].message).toBe('0/2 nodes available: 2 dependency db not on node');
  });

  it('an existing replica whose affinity target moved away follows it', () => {
    const existing = [at('db', 0, 'node1'), at('web', 0, 'node1')];
    const ns = [node('node1', { up: false }), node('node2'), node('node3')];
    const r = run([app('web', { affinity: ['db'] }), app('db')], ns, { existing });
    expect(nodeOf(r, 'web', 0)).toBe(nodeOf(r, 'db', 0));
    expect(r.changes.moved).toBe(2);
  });
});
