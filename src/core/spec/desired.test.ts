import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MatrixError } from '../errors.ts';
import type { NodeInfo } from '../model.ts';
import { imagesOf, planToDesired, revisionOf } from './desired.ts';
import { parsePlan, type PlanLine } from './plan.ts';

const node = (name: string, i: number): NodeInfo => ({ name, address: `10.210.0.${10 + i}`, enginePort: 2376 });
const NODES = [node('node1', 1), node('node2', 2)];
const REG = '10.210.0.1:5000';

const line = (app: string, n: string, hostPort: number, containerPort: number, l: number): PlanLine => ({
  app,
  node: n,
  hostPort,
  containerPort,
  line: l,
});

function fail(lines: PlanLine[], file?: string): MatrixError {
  try {
    planToDesired(lines, { registry: REG, nodes: NODES, ...(file ? { file } : {}) });
  } catch (e) {
    expect(e).toBeInstanceOf(MatrixError);
    return e as MatrixError;
  }
  throw new Error('planToDesired did not throw');
}

describe('planToDesired', () => {
  it('builds image, id, revision and source from each line', () => {
    const [d] = planToDesired([line('simplewebapp1', 'node1', 5050, 8080, 2)], { registry: REG, nodes: NODES });
    expect(d).toEqual({
      app: 'simplewebapp1',
      node: 'node1',
      image: '10.210.0.1:5000/cloud/simplewebapp1:latest',
      hostPort: 5050,
      containerPort: 8080,
      id: 'simplewebapp1.node1.5050',
      revision: d!.revision,
      source: 'applications.plan:2',
    });
    expect(d!.revision).toMatch(/^[0-9a-f]{12}$/);
  });

  it('revision is sha256 of the canonical JSON {containerPort, hostPort, image}', () => {
    const image = '10.210.0.1:5000/cloud/web:latest';
    const expected = createHash('sha256')
      .update(`{"containerPort":8080,"hostPort":80,"image":"${image}"}`)
      .digest('hex')
      .slice(0, 12);
    expect(revisionOf({ image, hostPort: 80, containerPort: 8080 })).toBe(expected);
    // field order of the input object does not matter
    expect(revisionOf({ containerPort: 8080, image, hostPort: 80 })).toBe(expected);
  });

  it('revision is the same on every node (node is part of the id, not the revision)', () => {
    const ds = planToDesired([line('web', 'node1', 80, 8080, 1), line('web', 'node2', 80, 8080, 2)], { registry: REG, nodes: NODES });
    expect(ds[0]!.revision).toBe(ds[1]!.revision);
    expect(ds.map((d) => d.id)).toEqual(['web.node1.80', 'web.node2.80']);
  });

  it('revision changes with the image tag, the registry, the container port and the host port', () => {
    const rev = (o: { tag?: string; registry?: string; cp?: number; hp?: number }) =>
      planToDesired([line('web', 'node1', o.hp ?? 80, o.cp ?? 8080, 1)], {
        registry: o.registry ?? REG,
        nodes: NODES,
        ...(o.tag ? { tag: o.tag } : {}),
      })[0]!.revision;
    const base = rev({});
    expect(new Set([base, rev({ tag: 'v2' }), rev({ registry: 'reg:5000' }), rev({ cp: 9090 }), rev({ hp: 81 })]).size).toBe(5);
    expect(rev({ tag: 'latest' })).toBe(base);
  });

  it('uses the tag and the file name when given', () => {
    const [d] = planToDesired([line('web', 'node2', 80, 8080, 7)], { registry: REG, nodes: NODES, tag: 'v3', file: 'prod.plan' });
    expect(d!.image).toBe('10.210.0.1:5000/cloud/web:v3');
    expect(d!.source).toBe('prod.plan:7');
  });

  it('keeps input order and an empty plan gives no replicas', () => {
    const ds = planToDesired([line('b', 'node2', 81, 80, 1), line('a', 'node1', 80, 80, 2)], { registry: REG, nodes: NODES });
    expect(ds.map((d) => d.app)).toEqual(['b', 'a']);
    expect(planToDesired([], { registry: REG, nodes: [] })).toEqual([]);
  });

  it('works on parsePlan output end to end', () => {
    const ds = planToDesired(parsePlan('web node1 80 8080\nweb node2 80 8080\n'), { registry: REG, nodes: NODES });
    expect(ds.map((d) => d.source)).toEqual(['applications.plan:1', 'applications.plan:2']);
  });
});

describe('planToDesired: unknown nodes', () => {
  it('is E_UNKNOWN_NODE with the path and the known nodes listed', () => {
    const e = fail([line('web', 'node25', 80, 8080, 2)]);
    expect(e.code).toBe('E_UNKNOWN_NODE');
    expect(e.message).toBe('1 problem in applications.plan');
    const d = e.details![0]!;
    expect(d.code).toBe('E_UNKNOWN_NODE');
    expect(d.path).toBe('applications.plan:2');
    expect(d.message).toContain('"node25"');
    expect(d.message).toContain('node1, node2');
  });

  it('collects every unknown node, in order, under the given file name', () => {
    const e = fail([line('a', 'x', 80, 80, 1), line('a', 'node1', 80, 80, 2), line('a', 'y', 80, 80, 3)], 'p.plan');
    expect(e.message).toBe('2 problems in p.plan');
    expect(e.details!.map((d) => d.path)).toEqual(['p.plan:1', 'p.plan:3']);
  });

  it('says so when the cluster has no nodes', () => {
    try {
      planToDesired([line('a', 'node1', 80, 80, 1)], { registry: REG, nodes: [] });
      expect.unreachable();
    } catch (e) {
      expect((e as MatrixError).details![0]!.message).toContain('(none)');
    }
  });
});

describe('imagesOf', () => {
  it('returns each image once, sorted', () => {
    const ds = planToDesired(
      [line('web', 'node1', 80, 80, 1), line('api', 'node1', 81, 80, 2), line('web', 'node2', 80, 80, 3)],
      { registry: REG, nodes: NODES },
    );
    expect(imagesOf(ds)).toEqual(['10.210.0.1:5000/cloud/api:latest', '10.210.0.1:5000/cloud/web:latest']);
    expect(imagesOf([])).toEqual([]);
  });
});
