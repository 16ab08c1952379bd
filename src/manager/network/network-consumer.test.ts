import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../core/network/cluster-network.ts';
import type { ObservedNode, PublishedState } from '../../core/snapshot.ts';
import { networkConsumer, REAPPLY_MS } from './network-consumer.ts';

const range = parseCidr('10.220.0.0/16')!;
const node = (i: number, state: 'up' | 'down' = 'up'): ObservedNode => ({
  name: `node${i}`,
  address: `10.210.0.${10 + i}`,
  enginePort: 2376,
  subnet: i,
  state,
  labels: {},
  apiLabels: {},
  availability: 'active',
  driver: 'lab',
  capacity: null,
  engineVersion: null,
});
let version = 0;
const state = (nodes: ObservedNode[]): PublishedState => ({
  snapshot: { at: 0, nodes, replicas: [], healthy: new Set() },
  routes: [],
  version: ++version,
  generation: 1,
  apps: [],
  warming: [],
});

function harness(fail: Set<string> = new Set()) {
  let t = 0;
  const runs: string[] = [];
  const host: string[][] = [];
  const c = networkConsumer({
    range,
    now: () => t,
    runHost: async (routes) => {
      host.push(routes.map((r) => `${r.dst} via ${r.via}`));
      if (fail.has('host')) throw new Error('RTNETLINK answers: Network is unreachable');
    },
    run: async (n, script) => {
      runs.push(`${n.name}:${script.match(/replace \S+/g)?.join(',') ?? ''}`);
      if (fail.has(n.name)) throw new Error('engine said no');
    },
  });
  return { c, runs, host, advance: (ms: number) => (t += ms) };
}

describe('the network consumer', () => {
  it('sends each up node its routes once, and again only when they change', async () => {
    const h = harness();
    await h.c.apply(state([node(1), node(2)]));
    expect(h.runs.sort()).toEqual(['node1:replace 10.220.2.0/24', 'node2:replace 10.220.1.0/24']);
    h.runs.length = 0;
    await h.c.apply(state([node(1), node(2)]));
    expect(h.runs).toEqual([]);
    await h.c.apply(state([node(1), node(2), node(3)]));
    expect(h.runs.sort()).toEqual([
      'node1:replace 10.220.2.0/24,replace 10.220.3.0/24',
      'node2:replace 10.220.1.0/24,replace 10.220.3.0/24',
      'node3:replace 10.220.1.0/24,replace 10.220.2.0/24',
    ]);
  });

  it("sets the manager host's routes to every node's share when they change; its failure is reported beside the nodes' and retried", async () => {
    const fail = new Set(['host']);
    const h = harness(fail);
    await expect(h.c.apply(state([node(1), node(2)]))).rejects.toThrow(/the manager host: RTNETLINK answers: Network is unreachable/);
    expect(h.runs).toHaveLength(2); // the nodes' routes landed all the same
    fail.clear();
    await h.c.apply(state([node(1), node(2)]));
    await h.c.apply(state([node(1), node(2)]));
    expect(h.host).toEqual([
      ['10.220.1.0/24 via 10.210.0.11', '10.220.2.0/24 via 10.210.0.12'],
      ['10.220.1.0/24 via 10.210.0.11', '10.220.2.0/24 via 10.210.0.12'],
    ]);
    await h.c.apply(state([node(1), node(2), node(3)]));
    expect(h.host.at(-1)).toHaveLength(3);
  });

  it('a down node is not sent anything; back up, it is sent its routes again though they did not change', async () => {
    const h = harness();
    await h.c.apply(state([node(1), node(2)]));
    h.runs.length = 0;
    await h.c.apply(state([node(1), node(2, 'down')]));
    expect(h.runs).toEqual([]);
    await h.c.apply(state([node(1), node(2)]));
    expect(h.runs).toEqual(['node2:replace 10.220.1.0/24']);
  });

  it('sends them again after a while, in case a route was removed by hand', async () => {
    const h = harness();
    await h.c.apply(state([node(1), node(2)]));
    h.runs.length = 0;
    h.advance(REAPPLY_MS);
    await h.c.apply(state([node(1), node(2)]));
    expect(h.runs).toHaveLength(2);
  });

  it("one node's failure stays its own: the others' routes land, the error names it, and it is tried again", async () => {
    const fail = new Set(['node2']);
    const h = harness(fail);
    await expect(h.c.apply(state([node(1), node(2), node(3)]))).rejects.toThrow(/cluster routes not set on node2: engine said no/);
    expect([...h.c.applied().keys()].sort()).toEqual(['node1', 'node3']);
    fail.clear();
    h.runs.length = 0;
    await h.c.apply(state([node(1), node(2), node(3)]));
    expect(h.runs).toEqual(['node2:replace 10.220.1.0/24,replace 10.220.3.0/24']);
  });

  it('in vxlan mode sends the VTEP script instead, and a switch of mode is a change', async () => {
    const scripts: string[] = [];
    const c = networkConsumer({ range, mode: 'vxlan', run: async (_n, script) => void scripts.push(script) });
    await c.apply(state([node(1), node(2)]));
    expect(scripts).toHaveLength(2);
    expect(scripts.every((s) => s.includes('type vxlan id 4220') && s.includes('dev mx-vxlan onlink'))).toBe(true);
  });

  it('auto picks the mode from where the nodes are, says so once, and changes it when a node elsewhere joins', async () => {
    const scripts: string[] = [];
    const said: string[] = [];
    const c = networkConsumer({
      range,
      mode: 'auto',
      hostRoutes: async () => [{ dst: '10.210.0.0/24', dev: 'mx0' }],
      onMode: (m) => said.push(m),
      run: async (_n, script) => void scripts.push(script),
    });
    await c.apply(state([node(1), node(2)]));
    await c.apply(state([node(1), node(2)]));
    expect(scripts.every((x) => !x.includes('vxlan id'))).toBe(true);
    const far = { ...node(3), address: '192.168.7.3' };
    await c.apply(state([node(1), node(2), far]));
    expect(said).toEqual(['host-gw', 'vxlan']);
    expect(scripts.at(-1)).toContain('type vxlan id 4220');
  });
});
