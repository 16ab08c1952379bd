/**
 * Pure: `matrix stats`, from what the engines and the ingress answer. A container's CPU and
 * memory are computed as `docker stats` does; a node's usage is the sum of its cloudmatrix
 * containers' (an engine does not report its host's own load); an app's requests per second
 * come from two readings of the ingress's counters.
 */
import type { AppStats, NodeStats, StatsView } from '../shared/api-types.ts';

/** The part of the Engine API's container stats (`GET /containers/{id}/stats?stream=false`) read here. */
export interface EngineContainerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

export interface ContainerUsage {
  /** Percent of one CPU (200 = two CPUs busy), as `docker stats` shows it; null without two readings. */
  cpuPercent: number | null;
  memoryBytes: number;
}

/** As `docker stats`: CPU time over host time between the two readings, times the CPUs; memory without the page cache. */
export function containerUsage(s: EngineContainerStats): ContainerUsage {
  const cpu = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const system = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus ?? 1;
  const hasTwo = (s.precpu_stats?.system_cpu_usage ?? 0) > 0 && system > 0;
  const stats = s.memory_stats?.stats ?? {};
  // cgroup v2 names it inactive_file, v1 total_inactive_file
  const cache = stats.inactive_file ?? stats.total_inactive_file ?? 0;
  const usage = s.memory_stats?.usage ?? 0;
  return { cpuPercent: hasTwo ? Math.max(0, (cpu / system) * cpus * 100) : null, memoryBytes: Math.max(0, usage - (cache < usage ? cache : 0)) };
}

export interface StatsInput {
  at: string;
  nodes: { name: string; state: string; cpus: number | null; memoryTotalBytes: number | null; diskBytes: number | null }[];
  apps: { name: string; desired: number }[];
  /** Every running cloudmatrix container, with its usage when its node answered. */
  replicas: { app: string; node: string; usage: ContainerUsage | null }[];
  /** The ingress's counters per app (requests fetched, failed fetches), read twice `seconds` apart; null when Varnish did not answer. */
  ingress: { before: Map<string, { req: number; fail: number }>; after: Map<string, { req: number; fail: number }>; seconds: number } | null;
  errors: StatsView['errors'];
}

/** The sum, or null when any part is unknown (0 for none). */
const total = (xs: (number | null)[]): number | null => (xs.includes(null) ? null : xs.reduce<number>((a, b) => a + b!, 0));
const round1 = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);

/** The summed usage of some replicas; unknown (null) when any of them was not measured. */
function usageOf(replicas: StatsInput['replicas']): { cpuPercent: number | null; memoryBytes: number | null } {
  if (replicas.some((r) => r.usage === null)) return { cpuPercent: null, memoryBytes: null };
  return {
    cpuPercent: round1(total(replicas.map((r) => r.usage!.cpuPercent))),
    memoryBytes: replicas.reduce((a, r) => a + r.usage!.memoryBytes, 0),
  };
}

export function clusterStats(i: StatsInput): StatsView {
  const nodes: NodeStats[] = i.nodes.map((n) => {
    const mine = i.replicas.filter((r) => r.node === n.name);
    return {
      name: n.name,
      state: n.state,
      cpus: n.cpus,
      // a node that is not up was not asked: unknown, not an idle 0
      ...(n.state === 'up' ? usageOf(mine) : { cpuPercent: null, memoryBytes: null }),
      memoryTotalBytes: n.memoryTotalBytes,
      diskBytes: n.diskBytes,
      containers: mine.length,
    };
  });
  const apps: AppStats[] = i.apps.map((a) => {
    const mine = i.replicas.filter((r) => r.app === a.name);
    const rate = (key: 'req' | 'fail'): number | null => {
      if (!i.ingress || i.ingress.seconds <= 0) return null;
      const was = i.ingress.before.get(a.name)?.[key] ?? 0;
      const now = i.ingress.after.get(a.name)?.[key] ?? 0;
      return round1(Math.max(0, now - was) / i.ingress.seconds);
    };
    return {
      name: a.name,
      desired: a.desired,
      running: mine.length,
      ...usageOf(mine),
      requestsPerSecond: rate('req'),
      failedPerSecond: rate('fail'),
    };
  });
  return { at: i.at, nodes, apps, errors: i.errors };
}
