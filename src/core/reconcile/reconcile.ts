/**
 * The pure reconciler: desired + observed + node health -> ordered actions.
 * Level-triggered: it looks only at the current state, never at history, so applying its
 * output and running it again yields nothing, and a restarted manager can just call it.
 */
import type { Action, DesiredReplica, NodeStatus, ObservedReplica } from '../model.ts';
import { byCodeUnit } from '../compare.ts';

/** Why a replica's action waits, as data: the API, `deploy` and `ps` read `kind`, people read `reason`. */
export type BlockKind =
  | 'node-down'
  | 'node-unknown'
  | 'dependency'
  /** out of the ingress, finishing in-flight requests before its stop */
  | 'draining'
  /** a rolling update waits for its batch (parallelism, delay) */
  | 'rollout-batch'
  /** start-first: the old replica stays until the new one passes its health check */
  | 'rollout-unhealthy'
  /** stop-first: the new replica starts once the old one has left */
  | 'rollout-stop-first';

export interface Blocked {
  /** The app the replica belongs to (so no one parses it out of `id`). */
  app: string;
  id: string;
  node: string;
  kind: BlockKind;
  reason: string;
}

/** Waits that are a rollout's normal progress, not a problem. */
export function isRolloutWait(kind: BlockKind): boolean {
  return kind === 'draining' || kind.startsWith('rollout-');
}

/**
 * A rolling update is under way: a replacement waits for its batch, for its health check, or
 * for the old replica to leave. A drain alone is not one: what it ends is out of the ingress
 * already, so `matrix deploy` does not wait a grace period for it.
 */
export function isRollingUpdate(kind: BlockKind): boolean {
  return kind.startsWith('rollout-');
}

export interface ReconcileResult {
  actions: Action[];
  blocked: Blocked[];
}

type Stop = Extract<Action, { kind: 'stop' }>;

const cmp = byCodeUnit;
const key = (node: string, id: string): string => `${node}\u0000${id}`;

export function reconcile(desired: DesiredReplica[], observed: ObservedReplica[], nodes: NodeStatus[]): ReconcileResult {
  const state = new Map(nodes.map((n) => [n.name, n.state]));
  const blocked: Blocked[] = [];
  const stops: Stop[] = [];
  const starts: DesiredReplica[] = [];

  // Containers on down or unknown nodes cannot be acted on and may come back: ignore them.
  const byKey = new Map<string, ObservedReplica[]>();
  for (const o of observed) {
    if (state.get(o.node) !== 'up') continue;
    const k = key(o.node, o.id);
    byKey.set(k, [...(byKey.get(k) ?? []), o]);
  }

  const wanted = new Set<string>();
  for (const d of desired) {
    const k = key(d.node, d.id);
    if (wanted.has(k)) continue; // a repeated id is the same replica; the spec layer forbids it anyway
    wanted.add(k);
    const ns = state.get(d.node);
    if (ns !== 'up') {
      blocked.push(
        ns === 'down'
          ? { app: d.app, id: d.id, node: d.node, kind: 'node-down', reason: `node ${d.node} is down` }
          : { app: d.app, id: d.id, node: d.node, kind: 'node-unknown', reason: `node ${d.node} is not in the cluster` },
      );
      continue;
    }
    const containers = [...(byKey.get(k) ?? [])].sort((a, b) => cmp(a.containerId, b.containerId));
    const keep = containers.find((c) => isCurrentReplica(c, d) && c.state === 'running');
    for (const c of containers) {
      if (c === keep) continue;
      const why =
        c.revision !== d.revision
          ? 'revision changed'
          : !isCurrentReplica(c, d)
            ? 'ports changed'
            : c.state !== 'running'
              ? `not running (${c.state})`
              : 'duplicate';
      stops.push(stopOf(c, why));
    }
    if (!keep) starts.push(d);
  }

  for (const [k, containers] of byKey) {
    if (!wanted.has(k)) for (const c of containers) stops.push(stopOf(c, 'not in plan'));
  }

  stops.sort((a, b) => cmp(a.node, b.node) || cmp(a.id, b.id) || cmp(a.containerId, b.containerId));
  starts.sort((a, b) => cmp(a.node, b.node) || cmp(a.id, b.id));
  blocked.sort((a, b) => cmp(a.node, b.node) || cmp(a.id, b.id));
  // Stops first: a replaced replica publishes the same host port as the container it replaces.
  return { actions: [...stops, ...starts.map((replica): Action => ({ kind: 'start', replica }))], blocked };
}

/**
 * A container runs what `d` wants: the same revision on the same node, publishing the
 * wanted ports (a plan file's pin can change a replica's ports without a new revision). A
 * container that is not running may have no port to read back: it counts by revision.
 */
export function isCurrentReplica(c: ObservedReplica, d: DesiredReplica): boolean {
  if (c.revision !== d.revision || c.node !== d.node) return false;
  const hostOk = c.hostPort === null || d.hostPort === null || c.hostPort === d.hostPort;
  const containerOk = c.containerPort === null || c.containerPort === d.containerPort;
  return hostOk && containerOk;
}

function stopOf(c: ObservedReplica, reason: string): Stop {
  return { kind: 'stop', node: c.node, containerId: c.containerId, app: c.app, id: c.id, reason };
}

/** One line per action, for `--dry-run` and the event log. */
export function describeAction(a: Action): string {
  if (a.kind === 'start') {
    const r = a.replica;
    return `start ${r.app} on ${r.node} (${r.hostPort ?? 'auto'}->${r.containerPort}) image ${r.image}`;
  }
  return `${a.kind} ${a.app} on ${a.node} container ${a.containerId.slice(0, 12)}: ${a.reason}`;
}
