/** Pure: what the dashboard makes of `GET /v1/stats` (node usage as a share of the node, the charts' samples). */
import type { NodeStats, StatsView } from '../../src/shared/api-types.ts';

/** A node's CPU in use as a percent of all its CPUs (the API gives percent of one CPU, as `docker stats`); null when not measured. */
export function nodeCpuShare(n: NodeStats): number | null {
  return n.cpuPercent === null || !n.cpus ? null : n.cpuPercent / n.cpus;
}

/** One sample of the usage charts: `cpu:<node>` (percent of its CPUs), `mem:<node>` (MiB); a node not measured has none. */
export function usageGauges(s: StatsView): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of s.nodes) {
    const cpu = nodeCpuShare(n);
    if (cpu !== null) out.set(`cpu:${n.name}`, cpu);
    if (n.memoryBytes !== null) out.set(`mem:${n.name}`, n.memoryBytes / 1048576);
  }
  return out;
}
