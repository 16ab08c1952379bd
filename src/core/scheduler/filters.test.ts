import { describe, expect, it } from 'vitest';
import type { AppSpec, SchedNode } from '../model.ts';
import { buildContexts, type AppCtx } from './app-context.ts';
import { Cluster } from './cluster.ts';
import { affinity, antiAffinity, constraint, dependency, FILTERS, firstRejection, health, port, resources, scanAll, SIM_ONLY, type Filter } from './filters.ts';
import { app, node } from './test-fixtures.ts';

/** A cluster with the given nodes, contexts for the given apps, and some placements made. */
function setup(ns: SchedNode[], apps: AppSpec[], placed: [string, string][] = []): { cl: Cluster; ctx: (n: string) => AppCtx } {
  const cl = new Cluster(ns);
  const ctxs = buildContexts(apps, cl, 'spread');
  const ctx = (n: string): AppCtx => {
    const c = ctxs.get(n);
    if (!c) throw new Error(n);
    return c;
  };
  for (const [a, nd] of placed) {
    const c = ctx(a);
    cl.add(cl.index.get(nd) as number, c.counts, c.units, c.hostPort);
  }
  return { cl, ctx };
}

const check = (f: Filter, cl: Cluster, c: AppCtx, nodeName: string): string | null => f.check(cl, c, cl.index.get(nodeName) as number);

describe('filters, each alone', () => {
  it('health: an up node passes, a down one is `node down`, a drained one `node drained`', () => {
    const { cl, ctx } = setup([node('n1'), node('n2', { up: false }), node('n3', { drain: true }), node('n4', { up: false, drain: true })], [app('web')]);
    expect(check(health, cl, ctx('web'), 'n1')).toBeNull();
    expect(check(health, cl, ctx('web'), 'n2')).toBe('node down');
    expect(check(health, cl, ctx('web'), 'n3')).toBe('node drained');
    expect(check(health, cl, ctx('web'), 'n4')).toBe('node down');
  });

  it('constraint: == and != on labels and node name, with the failing one named', () => {
    const web = app('web', {
      constraints: [
        { key: 'zone', op: '==', value: 'a' },
        { key: 'node', op: '!=', value: 'n3' },
      ],
    });
    const { cl, ctx } = setup(
      [node('n1', { labels: { zone: 'a' } }), node('n2', { labels: { zone: 'b' } }), node('n3', { labels: { zone: 'a' } }), node('n4')],
      [web],
    );
    expect(check(constraint, cl, ctx('web'), 'n1')).toBeNull();
    expect(check(constraint, cl, ctx('web'), 'n2')).toBe('constraint zone==a not met');
    expect(check(constraint, cl, ctx('web'), 'n3')).toBe('constraint node!=n3 not met');
    expect(check(constraint, cl, ctx('web'), 'n4')).toBe('constraint zone==a not met'); // missing label
  });

  it('constraint: a simulated node takes only apps with a constraint on matrix.sim', () => {
    const sim = { labels: { 'matrix.sim': 'true', zone: 'a' } };
    const { cl, ctx } = setup(
      [node('s1', sim), node('n1', { labels: { zone: 'a' } })],
      [
        app('web', { constraints: [{ key: 'zone', op: '==', value: 'a' }] }),
        app('try', { constraints: [{ key: 'matrix.sim', op: '==', value: 'true' }] }),
        app('any', { constraints: [{ key: 'matrix.sim', op: '!=', value: 'false' }] }),
        app('plain'),
      ],
    );
    expect(check(constraint, cl, ctx('web'), 's1')).toBe(SIM_ONLY);
    expect(check(constraint, cl, ctx('plain'), 's1')).toBe(SIM_ONLY);
    expect(check(constraint, cl, ctx('web'), 'n1')).toBeNull();
    expect(check(constraint, cl, ctx('try'), 's1')).toBeNull();
    expect(check(constraint, cl, ctx('try'), 'n1')).toBe('constraint matrix.sim==true not met');
    // anywhere, simulated or not
    expect(check(constraint, cl, ctx('any'), 's1')).toBeNull();
    expect(check(constraint, cl, ctx('any'), 'n1')).toBeNull();
  });

  it('affinity: the node must hold each named app', () => {
    const { cl, ctx } = setup(
      [node('n1'), node('n2')],
      [app('web', { affinity: ['db', 'cache'] }), app('db'), app('cache')],
      [
        ['db', 'n1'],
        ['cache', 'n1'],
        ['db', 'n2'],
      ],
    );
    expect(check(affinity, cl, ctx('web'), 'n1')).toBeNull();
    expect(check(affinity, cl, ctx('web'), 'n2')).toBe('affinity with cache not met');
  });

  it('affinity to an unknown app is never met; affinity to itself is ignored', () => {
    const { cl, ctx } = setup([node('n1')], [app('web', { affinity: ['ghost'] }), app('solo', { affinity: ['solo'] })]);
    expect(check(affinity, cl, ctx('web'), 'n1')).toBe('affinity with ghost not met');
    expect(check(affinity, cl, ctx('solo'), 'n1')).toBeNull();
  });

  it('anti-affinity: the node must hold none of the named apps (itself included)', () => {
    const { cl, ctx } = setup(
      [node('n1'), node('n2')],
      [app('web', { antiAffinity: ['web', 'batch'] }), app('batch')],
      [
        ['batch', 'n1'],
        ['web', 'n2'],
      ],
    );
    expect(check(antiAffinity, cl, ctx('web'), 'n1')).toBe('anti-affinity with batch');
    expect(check(antiAffinity, cl, ctx('web'), 'n2')).toBe('anti-affinity with web');
    const fresh = setup([node('n1')], [app('web', { antiAffinity: ['web'] })]);
    expect(check(antiAffinity, fresh.cl, fresh.ctx('web'), 'n1')).toBeNull();
  });

  it('anti-affinity is symmetric: an app named by another avoids it too', () => {
    const { cl, ctx } = setup([node('n1')], [app('web', { antiAffinity: ['batch'] }), app('batch')], [['web', 'n1']]);
    expect(check(antiAffinity, cl, ctx('batch'), 'n1')).toBe('anti-affinity with web');
  });

  it('dependency: colocate needs the app on the node; plain depends_on does not filter', () => {
    const { cl, ctx } = setup(
      [node('n1'), node('n2')],
      [app('web', { dependsOn: [{ app: 'db', colocate: true }] }), app('api', { dependsOn: [{ app: 'db', colocate: false }] }), app('db')],
      [['db', 'n1']],
    );
    expect(check(dependency, cl, ctx('web'), 'n1')).toBeNull();
    expect(check(dependency, cl, ctx('web'), 'n2')).toBe('dependency db not on node');
    expect(check(dependency, cl, ctx('api'), 'n2')).toBeNull();
  });

  it('port: a host port used on the node by any app rejects; no publish never conflicts', () => {
    const { cl, ctx } = setup([node('n1'), node('n2')], [app('web', { publish: 8080 }), app('other', { publish: 8080 }), app('free')], [['other', 'n1']]);
    expect(check(port, cl, ctx('web'), 'n1')).toBe('port 8080 in use');
    expect(check(port, cl, ctx('web'), 'n2')).toBeNull();
    expect(check(port, cl, ctx('free'), 'n1')).toBeNull();
  });

  it('resources: reservations summed against capacity, cpu first, zero always fits', () => {
    const big = app('big', { resources: { cpus: 3, memoryMb: 3000 } });
    const cpu = app('cpu', { resources: { cpus: 1.5, memoryMb: 0 } });
    const mem = app('mem', { resources: { cpus: 0, memoryMb: 1500 } });
    const both = app('both', { resources: { cpus: 2, memoryMb: 2000 } });
    const zero = app('zero');
    const exact = app('exact', { resources: { cpus: 1, memoryMb: 1096 } });
    const { cl, ctx } = setup([node('n1'), node('n2', { capacity: { cpus: 0, memoryMb: 0 } })], [big, cpu, mem, both, zero, exact], [['big', 'n1']]);
    expect(check(resources, cl, ctx('cpu'), 'n1')).toBe('insufficient cpu');
    expect(check(resources, cl, ctx('mem'), 'n1')).toBe('insufficient memory');
    expect(check(resources, cl, ctx('both'), 'n1')).toBe('insufficient cpu');
    expect(check(resources, cl, ctx('exact'), 'n1')).toBeNull(); // fills it exactly
    expect(check(resources, cl, ctx('zero'), 'n1')).toBeNull();
    expect(check(resources, cl, ctx('zero'), 'n2')).toBeNull();
    expect(check(resources, cl, ctx('cpu'), 'n2')).toBe('insufficient cpu');
  });

  it('resources: fractional reservations add up exactly (10 x 0.1 cpu fill 1 cpu)', () => {
    const tenth = app('tenth', { resources: { cpus: 0.1, memoryMb: 0.1 } });
    const { cl, ctx } = setup([node('n1', { capacity: { cpus: 1, memoryMb: 1 } })], [tenth]);
    const c = ctx('tenth');
    for (let i = 0; i < 10; i++) {
      expect(resources.check(cl, c, 0)).toBeNull();
      cl.add(0, c.counts, c.units, null);
    }
    expect(resources.check(cl, c, 0)).toBe('insufficient cpu');
  });
});

describe('filter order and full scan', () => {
  it('has the fixed order health, constraint, affinity, anti-affinity, dependency, port, resources', () => {
    expect(FILTERS.map((f) => f.name)).toEqual(['health', 'constraint', 'affinity', 'anti-affinity', 'dependency', 'port', 'resources']);
  });

  it('counts each node once, under the first filter that rejects it', () => {
    const web = app('web', { constraints: [{ key: 'zone', op: '==', value: 'a' }], publish: 80, resources: { cpus: 8, memoryMb: 0 } });
    const { cl, ctx } = setup(
      [
        node('down', { up: false, labels: { zone: 'b' } }), // down and constraint: counted as down
        node('b', { labels: { zone: 'b' } }),
        node('a1', { labels: { zone: 'a' } }), // port + cpu: counted as port
        node('a2', { labels: { zone: 'a' } }), // cpu only
      ],
      [web, app('x', { publish: 80 })],
      [['x', 'a1']],
    );
    expect(firstRejection(cl, ctx('web'), 0, FILTERS)).toBe('node down');
    const scan = scanAll(cl, ctx('web'));
    expect(scan.reasons).toEqual({ 'node down': 1, 'constraint zone==a not met': 1, 'port 80 in use': 1, 'insufficient cpu': 1 });
    expect(scan.feasible).toEqual([]);
    expect(scan.message).toBe('0/4 nodes available: 1 constraint zone==a not met, 1 insufficient cpu, 1 node down, 1 port 80 in use');
  });
});
