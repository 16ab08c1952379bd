/**
 * Pure: what `matrix ps` shows. Observed containers, plus each desired replica that has no
 * container to show: `missing` on an answering node, `unknown` on a node that is down (its
 * containers cannot be seen, and are not counted as running).
 */
import type { DesiredReplica, NodeStatus, ObservedReplica } from './model.ts';
import { byCodeUnit } from './compare.ts';

export interface ReplicaRow {
  app: string;
  node: string;
  id: string;
  address: string;
  state: string;
  containerId: string | null;
  revision: string;
  desired: boolean;
  /** The ingress routes to it (its last applied configuration); set by the API. */
  routed?: boolean;
}

export function replicaRows(desired: DesiredReplica[], observed: ObservedReplica[], nodes: NodeStatus[]): ReplicaRow[] {
  const addr = new Map(nodes.map((n) => [n.name, n.address]));
  const down = new Set(nodes.filter((n) => n.state === 'down').map((n) => n.name));
  // a container is the desired replica only on the desired node: a copy left on a node that
  // was away (the slot moved meanwhile) is on its way out, however equal otherwise
  const wanted = new Set(desired.map((d) => `${d.node} ${d.id} ${d.revision}`));
  const rows: ReplicaRow[] = observed.map((o) => ({
    app: o.app,
    node: o.node,
    id: o.id,
    // an internal replica answers at its cluster address only (its host port is the node's loopback)
    address: o.internal ? `${o.address ?? '?'}:${o.containerPort ?? '-'}` : `${addr.get(o.node) ?? '?'}:${o.hostPort ?? '-'}`,
    state: o.state,
    containerId: o.containerId,
    revision: o.revision,
    desired: wanted.has(`${o.node} ${o.id} ${o.revision}`),
  }));
  const seen = new Set(observed.map((o) => `${o.node} ${o.id}`));
  for (const d of desired) {
    if (seen.has(`${d.node} ${d.id}`)) continue;
    rows.push({
      app: d.app,
      node: d.node,
      id: d.id,
      // engine-assigned ports (and cluster addresses) are unknown until a container runs
      address: d.internal ? `?:${d.containerPort}` : `${addr.get(d.node) ?? '?'}:${d.hostPort ?? '-'}`,
      state: down.has(d.node) ? 'unknown (node down)' : 'missing',
      containerId: null,
      revision: d.revision,
      desired: true,
    });
  }
  return rows.sort((a, b) => byCodeUnit(a.app, b.app) || byCodeUnit(a.node, b.node) || byCodeUnit(a.id, b.id));
}

/** An app's replicas at a glance: running as desired, and containers still running on their way out. */
export function appCounts(rows: readonly ReplicaRow[], app: string): { running: number; leaving: number } {
  const mine = rows.filter((r) => r.app === app && r.state === 'running');
  return { running: mine.filter((r) => r.desired).length, leaving: mine.filter((r) => !r.desired).length };
}
