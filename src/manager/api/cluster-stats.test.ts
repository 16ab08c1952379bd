import { describe, expect, it } from 'vitest';
import type { ObservedReplica } from '../../core/model.ts';
import type { NodeView } from '../../shared/api-types.ts';
import type { NodeEngine } from '../nodes/engine.ts';
import { gatherStats, RATE_WINDOW_MS, STATS_PER_ENGINE } from './cluster-stats.ts';

const node = (name: string, state: 'up' | 'down'): NodeView => ({ name, state, capacity: { cpus: 2, memoryMb: 1024 } }) as NodeView;
const replica = (id: string, n: string, containerId: string, state: ObservedReplica['state'] = 'running'): ObservedReplica => ({
  containerId,
  node: n,
  app: id.split('.')[0]!,
  id,
  revision: 'r',
  state,
  hostPort: 1,
  containerPort: 8080,
});
const stats = (cpu: number) => ({
  cpu_stats: { cpu_usage: { total_usage: cpu }, system_cpu_usage: 2000, online_cpus: 1 },
  precpu_stats: { cpu_usage: { total_usage: 0 }, system_cpu_usage: 1000 },
  memory_stats: { usage: 1000 },
});

describe('gathering cluster stats', () => {
  it("reads every running replica's usage and each up node's disk, rates the ingress over at least a second, and reports what it could not read", async () => {
    let clock = 10_000;
    const slept: number[] = [];
    const asked: string[] = [];
    const engineOf = (name: string): NodeEngine =>
      ({
        containerStats: async (id: string) => {
          asked.push(id);
          if (id === 'bad') throw new Error('no such container');
          return stats(id === 'c1' ? 100 : 300);
        },
        diskBytes: async () => (name === 'node1' ? 5e9 : 7e9),
      }) as unknown as NodeEngine;
    const totals = [new Map([['web', { req: 10, fail: 0 }]]), new Map([['web', { req: 40, fail: 2 }]])];
    const view = await gatherStats({
      nodes: [node('node1', 'up'), node('node2', 'up'), node('node3', 'down')],
      apps: [{ name: 'web', desired: 4 }],
      replicas: [
        replica('web.0', 'node1', 'c1'),
        replica('web.1', 'node2', 'c2'),
        replica('web.2', 'node2', 'bad'),
        replica('web.3', 'node1', 'gone', 'exited'),
      ],
      engineOf,
      requestTotals: async () => totals.shift() ?? null,
      now: () => clock,
      sleep: async (ms) => {
        slept.push(ms);
        clock += ms;
      },
    });
    expect(asked.sort()).toEqual(['bad', 'c1', 'c2']); // not the exited one
    expect(slept).toEqual([RATE_WINDOW_MS]);
    expect(view.nodes.map((n) => [n.name, n.cpuPercent, n.diskBytes, n.containers])).toEqual([
      ['node1', 10, 5e9, 1],
      ['node2', null, 7e9, 2],
      ['node3', null, null, 0],
    ]);
    expect(view.apps).toEqual([{ name: 'web', desired: 4, running: 3, cpuPercent: null, memoryBytes: null, requestsPerSecond: 30, failedPerSecond: 2 }]);
    expect(view.errors).toEqual([
      { subject: 'web.2 on node2', message: 'no such container' },
      { subject: 'node3', message: 'node3 is down: not measured' },
    ]);
  });

  it(`asks one engine for at most ${STATS_PER_ENGINE} containers' stats at a time, and every engine at once`, async () => {
    const inFlight = new Map<string, number>();
    const most = new Map<string, number>();
    const engineOf = (name: string): NodeEngine =>
      ({
        containerStats: async () => {
          inFlight.set(name, (inFlight.get(name) ?? 0) + 1);
          most.set(name, Math.max(most.get(name) ?? 0, inFlight.get(name)!));
          await new Promise((r) => setTimeout(r, 5));
          inFlight.set(name, inFlight.get(name)! - 1);
          return stats(100);
        },
      }) as unknown as NodeEngine;
    const replicas = Array.from({ length: 20 }, (_, i) => replica(`web.${i}`, i % 2 ? 'node2' : 'node1', `c${i}`));
    const view = await gatherStats({
      nodes: [node('node1', 'up'), node('node2', 'up')],
      apps: [{ name: 'web', desired: 20 }],
      replicas,
      engineOf,
      sleep: async () => undefined,
    });
    expect([...most.values()]).toEqual([STATS_PER_ENGINE, STATS_PER_ENGINE]);
    expect(view.apps[0]).toMatchObject({ running: 20, cpuPercent: 200 }); // every one measured: 20 x 10%
  });

  it('says so when the ingress does not answer, and gives the rest', async () => {
    const view = await gatherStats({
      nodes: [node('node1', 'up')],
      apps: [{ name: 'web', desired: 1 }],
      replicas: [replica('web.0', 'node1', 'c1')],
      engineOf: () => ({ containerStats: async () => stats(100) }) as unknown as NodeEngine,
      requestTotals: async () => null,
      sleep: async () => undefined,
    });
    expect(view.apps[0]).toMatchObject({ cpuPercent: 10, requestsPerSecond: null });
    expect(view.nodes[0]).toMatchObject({ diskBytes: null });
    expect(view.errors).toEqual([{ subject: 'ingress', message: 'Varnish did not answer: no request rates' }]);
  });
});
