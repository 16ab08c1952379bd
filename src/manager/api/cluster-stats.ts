/**
 * `GET /v1/stats`: reads what `matrix stats` shows from the engines (each running replica's
 * usage, each node's disk) and the ingress (its counters, twice, a second or more apart),
 * all at once; core/stats.ts makes the view. A node that does not answer costs only its part.
 */
import { byCodeUnit } from '../../core/compare.ts';
import type { ObservedReplica } from '../../core/model.ts';
import { clusterStats, containerUsage, type ContainerUsage } from '../../core/stats.ts';
import type { NodeView, StatsView } from '../../shared/api-types.ts';
import type { NodeEngine } from '../nodes/engine.ts';
import { mapLimit } from '../../util/map-limit.ts';

/** Stats calls in flight per engine: each takes the engine a second of sampling, and many at once would load it. */
export const STATS_PER_ENGINE = 4;

/** The ingress's counters are read this far apart at least, so a rate is over a second, not over how fast the engines answered. */
export const RATE_WINDOW_MS = 1000;

export interface ClusterStatsDeps {
  nodes: readonly NodeView[];
  apps: readonly { name: string; desired: number }[];
  replicas: readonly ObservedReplica[];
  /** The engine of an up node (the loop's clients, `ControlLoop.engineOf`); null when it is not up. */
  engineOf: (node: string) => NodeEngine | null;
  /** Per app, requests fetched and failed fetches so far; null when the ingress did not answer. */
  requestTotals?: () => Promise<Map<string, { req: number; fail: number }> | null>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export async function gatherStats(d: ClusterStatsDeps): Promise<StatsView> {
  const now = d.now ?? Date.now;
  const sleep = d.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const errors: StatsView['errors'] = [];
  const fail = (subject: string, e: unknown): null => (errors.push({ subject, message: (e as Error).message.slice(0, 200) }), null);
  const up = new Map(
    d.nodes
      .filter((n) => n.state === 'up')
      .flatMap((n) => {
        const e = d.engineOf(n.name);
        return e ? [[n.name, e] as const] : [];
      }),
  );
  const running = d.replicas.filter((r) => r.state === 'running');

  const t0 = now();
  const before = d.requestTotals ? await d.requestTotals() : null;
  const usageOf = (r: ObservedReplica): Promise<ContainerUsage | null> => {
    const engine = up.get(r.node);
    if (!engine?.containerStats) return Promise.resolve(null);
    return engine.containerStats(r.containerId).then(containerUsage, (e: unknown) => fail(`${r.id} on ${r.node}`, e));
  };
  // each node's replicas a few at a time, the nodes side by side
  const byNode = new Map<string, number[]>();
  running.forEach((r, i) => byNode.set(r.node, [...(byNode.get(r.node) ?? []), i]));
  const usages = new Array<ContainerUsage | null>(running.length).fill(null);
  const [, disks] = await Promise.all([
    Promise.all(
      [...byNode.values()].map((indexes) =>
        mapLimit(indexes, STATS_PER_ENGINE, async (i) => {
          usages[i] = await usageOf(running[i]!);
        }),
      ),
    ),
    Promise.all(
      d.nodes.map(
        (n) =>
          up
            .get(n.name)
            ?.diskBytes?.()
            .catch((e: unknown) => fail(n.name, e)) ?? Promise.resolve(null),
      ),
    ),
  ]);
  const waited = now() - t0;
  if (waited < RATE_WINDOW_MS) await sleep(RATE_WINDOW_MS - waited);
  const after = before && d.requestTotals ? await d.requestTotals() : null;
  if (d.requestTotals && !(before && after)) errors.push({ subject: 'ingress', message: 'Varnish did not answer: no request rates' });

  for (const n of d.nodes) if (n.state !== 'up') errors.push({ subject: n.name, message: `${n.name} is ${n.state}: not measured` });
  return clusterStats({
    at: new Date(t0).toISOString(),
    nodes: d.nodes.map((n, i) => ({
      name: n.name,
      state: n.state,
      cpus: n.capacity?.cpus ?? null,
      memoryTotalBytes: n.capacity ? n.capacity.memoryMb * 1024 * 1024 : null,
      diskBytes: disks[i] ?? null,
    })),
    apps: [...d.apps].sort((a, b) => byCodeUnit(a.name, b.name)),
    replicas: running.map((r, i) => ({ app: r.app, node: r.node, usage: usages[i] ?? null })),
    ingress: before && after ? { before, after, seconds: (now() - t0) / 1000 } : null,
    errors,
  });
}
