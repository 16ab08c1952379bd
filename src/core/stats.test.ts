import { describe, expect, it } from 'vitest';
import { clusterStats, containerUsage, type StatsInput } from './stats.ts';

describe('a container usage, as docker stats computes it', () => {
  it('CPU: its CPU time over the host time between two readings, times the CPUs', () => {
    const u = containerUsage({
      cpu_stats: { cpu_usage: { total_usage: 1_500_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 4 },
      precpu_stats: { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 16_000_000_000 },
      memory_stats: { usage: 50_000_000, stats: { inactive_file: 10_000_000 } },
    });
    expect(u).toEqual({ cpuPercent: 50, memoryBytes: 40_000_000 }); // 0.5 s of 4 s host time x 4 CPUs; page cache left out
  });

  it('reads cgroup v1 page cache, and gives no CPU figure without a first reading', () => {
    const u = containerUsage({
      cpu_stats: { cpu_usage: { total_usage: 5 }, system_cpu_usage: 100, online_cpus: 2 },
      precpu_stats: {},
      memory_stats: { usage: 3000, stats: { total_inactive_file: 1000 } },
    });
    expect(u).toEqual({ cpuPercent: null, memoryBytes: 2000 });
    expect(containerUsage({})).toEqual({ cpuPercent: null, memoryBytes: 0 });
  });
});

describe('cluster stats', () => {
  const base: StatsInput = {
    at: '2026-11-27T10:00:00.000Z',
    nodes: [
      { name: 'node1', state: 'up', cpus: 2, memoryTotalBytes: 4e9, diskBytes: 1e9 },
      { name: 'node2', state: 'up', cpus: 2, memoryTotalBytes: 4e9, diskBytes: 2e9 },
      { name: 'node3', state: 'down', cpus: 2, memoryTotalBytes: 4e9, diskBytes: null },
    ],
    apps: [
      { name: 'api', desired: 1 },
      { name: 'web', desired: 3 },
    ],
    replicas: [
      { app: 'web', node: 'node1', usage: { cpuPercent: 10, memoryBytes: 100 } },
      { app: 'web', node: 'node2', usage: { cpuPercent: 5.55, memoryBytes: 200 } },
      { app: 'api', node: 'node1', usage: { cpuPercent: 1, memoryBytes: 50 } },
    ],
    ingress: {
      before: new Map([['web', { req: 100, fail: 1 }]]),
      after: new Map([
        ['web', { req: 130, fail: 3 }],
        ['api', { req: 4, fail: 0 }],
      ]),
      seconds: 2,
    },
    errors: [],
  };

  it("sums each node's and each app's containers, and rates the ingress counters over the reading", () => {
    const s = clusterStats(base);
    expect(s.nodes).toEqual([
      { name: 'node1', state: 'up', cpus: 2, cpuPercent: 11, memoryBytes: 150, memoryTotalBytes: 4e9, diskBytes: 1e9, containers: 2 },
      { name: 'node2', state: 'up', cpus: 2, cpuPercent: 5.6, memoryBytes: 200, memoryTotalBytes: 4e9, diskBytes: 2e9, containers: 1 },
      // not up: not asked, so unknown rather than an idle 0
      { name: 'node3', state: 'down', cpus: 2, cpuPercent: null, memoryBytes: null, memoryTotalBytes: 4e9, diskBytes: null, containers: 0 },
    ]);
    expect(s.apps).toEqual([
      { name: 'api', desired: 1, running: 1, cpuPercent: 1, memoryBytes: 50, requestsPerSecond: 2, failedPerSecond: 0 },
      { name: 'web', desired: 3, running: 2, cpuPercent: 15.6, memoryBytes: 300, requestsPerSecond: 15, failedPerSecond: 1 },
    ]);
  });

  it('says unknown (null) where a part was not measured, instead of a sum that looks whole', () => {
    const s = clusterStats({ ...base, replicas: [...base.replicas, { app: 'web', node: 'node2', usage: null }], ingress: null });
    expect(s.nodes[1]).toMatchObject({ cpuPercent: null, memoryBytes: null, containers: 2 });
    expect(s.nodes[0]).toMatchObject({ cpuPercent: 11, memoryBytes: 150 });
    expect(s.apps[1]).toMatchObject({ running: 3, cpuPercent: null, memoryBytes: null, requestsPerSecond: null, failedPerSecond: null });
  });

  it('never rates a counter that went back (a restarted Varnish) as negative', () => {
    const s = clusterStats({ ...base, ingress: { ...base.ingress!, after: new Map([['web', { req: 10, fail: 0 }]]) } });
    expect(s.apps[1]).toMatchObject({ requestsPerSecond: 0, failedPerSecond: 0 });
  });
});
