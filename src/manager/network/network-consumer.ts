/**
 * The cluster network's routes as a consumer of the snapshot: every up node gets a route to
 * every other node's share of the range. A node is sent its script when its routes change,
 * when it comes back up (a link set down loses its routes: a powered-off node returns
 * without them) and every few minutes besides, so a route removed by hand comes back.
 * Nodes are done side by side and fail on their own: the others' routes still land, and the
 * runner retries the failed ones with backoff.
 */
import type { Cidr, HostRoute } from '../../core/network/cluster-network.ts';
import { clusterRoutes, managerRoutes, routeScript, type NodeRoutes, type PeerRoute } from '../../core/network/routes.ts';
import { chooseNetworkMode, vxlanScript, type NetworkMode, type NetworkSetting } from '../../core/network/vxlan.ts';
import type { ObservedNode } from '../../core/snapshot.ts';
import type { SnapshotConsumer } from '../controllers/consumers.ts';

export const REAPPLY_MS = 5 * 60_000;

export interface NetworkConsumerDeps {
  range: Cidr;
  /** host-gw (one L2 network), vxlan, or auto (chooseNetworkMode on the nodes and `hostRoutes`); default host-gw. */
  mode?: NetworkSetting;
  /** The manager host's routes, read at each apply in `auto` mode. */
  hostRoutes?(): Promise<HostRoute[]>;
  /** The mode `auto` chose changed (and the first choice). */
  onMode?(mode: NetworkMode): void;
  /** Runs the route script in the node's network namespace (net-helper.ts). */
  run(node: ObservedNode, script: string): Promise<void>;
  /** Sets the manager host's own routes into the range (it probes internal replicas there); absent: left alone. */
  runHost?(routes: PeerRoute[]): Promise<void>;
  now?: () => number;
}

export function networkConsumer(deps: NetworkConsumerDeps): SnapshotConsumer & { applied(): ReadonlyMap<string, string> } {
  const now = deps.now ?? Date.now;
  let mode: NetworkMode = deps.mode === 'vxlan' ? 'vxlan' : 'host-gw';
  let chosen: NetworkMode | null = null;
  const scriptOf = (plan: NodeRoutes) => (mode === 'vxlan' ? vxlanScript(deps.range, plan) : routeScript(deps.range, plan));
  /** Per node: the script it was last sent, and when. */
  const sent = new Map<string, { script: string; at: number }>();
  const wasUp = new Map<string, boolean>();
  let hostSent: { key: string; at: number } | null = null;
  return {
    name: 'network',
    applied: () => new Map([...sent].map(([n, s]) => [n, s.script])),
    async apply(state) {
      const nodes = state.snapshot.nodes;
      const plans = clusterRoutes(deps.range, nodes);
      if (deps.mode === 'auto' && deps.hostRoutes) {
        mode = chooseNetworkMode(
          [...plans.values()].map((p) => p.address),
          await deps.hostRoutes(),
        );
        if (mode !== chosen) deps.onMode?.(mode);
        chosen = mode;
      }
      for (const n of nodes) {
        if (n.state === 'up' && wasUp.get(n.name) === false) sent.delete(n.name); // back from down: its routes may be gone
        wasUp.set(n.name, n.state === 'up');
      }
      for (const name of [...sent.keys()]) if (!plans.has(name)) sent.delete(name);
      const t = now();
      const due = nodes.filter((n) => {
        const plan = plans.get(n.name);
        if (n.state !== 'up' || !plan) return false;
        const last = sent.get(n.name);
        return !last || last.script !== scriptOf(plan) || t - last.at >= REAPPLY_MS;
      });
      const failures: string[] = [];
      const hostWant = managerRoutes(deps.range, nodes);
      const hostKey = JSON.stringify(hostWant);
      const hostDue = deps.runHost !== undefined && (!hostSent || hostSent.key !== hostKey || t - hostSent.at >= REAPPLY_MS);
      await Promise.all([
        ...(hostDue
          ? [
              deps.runHost!(hostWant).then(
                () => void (hostSent = { key: hostKey, at: t }),
                (e: unknown) => {
                  hostSent = null;
                  failures.push(`the manager host: ${(e as Error).message}`);
                },
              ),
            ]
          : []),
        ...due.map(async (n) => {
          const script = scriptOf(plans.get(n.name)!);
          try {
            await deps.run(n, script);
            sent.set(n.name, { script, at: t });
          } catch (e) {
            sent.delete(n.name);
            failures.push(`${n.name}: ${(e as Error).message}`);
          }
        }),
      ]);
      if (failures.length) throw new Error(`cluster routes not set on ${failures.sort().join('; ')}`);
    },
  };
}
