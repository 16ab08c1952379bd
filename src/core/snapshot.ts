/**
 * Pure: the cluster as the manager last observed it, and what follows from it. The node
 * monitor builds a snapshot from engine pings, events, container lists and health probes;
 * the control loop decides on it; consumers (the ingress now; DNS, metrics, the dashboard
 * later) publish it. A snapshot is never changed after it is built.
 */
import type { DesiredReplica, HealthCheck, NodeAvailability, NodeStatus, ObservedReplica, Resources, Route, SchedNode } from './model.ts';
import { isCurrentReplica } from './reconcile/reconcile.ts';

export interface ObservedNode extends NodeStatus {
  /** Engine labels with the labels set through the API over them. */
  labels: Record<string, string>;
  /** The labels set through the API alone. */
  apiLabels: Record<string, string>;
  availability: NodeAvailability;
  /** The machine driver that made it (lab, ssh); null for a node registered by hand. */
  driver: string | null;
  /** From the engine's info; null until a node has answered once. */
  capacity: Resources | null;
  /** The engine's version, from its info; null until a node has answered once. */
  engineVersion: string | null;
}

export interface ClusterSnapshot {
  /** When the observation was made (ms). */
  readonly at: number;
  readonly nodes: readonly ObservedNode[];
  /** Containers of answering nodes (a down node's containers cannot be seen). */
  readonly replicas: readonly ObservedReplica[];
  /** Containers whose health check passes now. */
  readonly healthy: ReadonlySet<string>;
}

export const EMPTY_SNAPSHOT: ClusterSnapshot = Object.freeze({ at: 0, nodes: [], replicas: [], healthy: new Set<string>() });

export function nodeStatuses(s: ClusterSnapshot): NodeStatus[] {
  return s.nodes.map((n) => ({ name: n.name, address: n.address, enginePort: n.enginePort, state: n.state }));
}

/** What the scheduler sees: a node that never answered has no capacity. */
export function schedNodes(s: ClusterSnapshot): SchedNode[] {
  return s.nodes.map((n) => ({
    name: n.name,
    up: n.state === 'up',
    drain: n.availability === 'drain',
    labels: n.labels,
    capacity: n.capacity ?? { cpus: 0, memoryMb: 0 },
  }));
}

export interface RoutedReplica {
  /** Where it answers: `<node address>:<host port>`; an internal replica's `<cluster address>:<container port>`. */
  route: Route;
  /** Of an `expose: internal` app: in DNS, never in the ingress. */
  internal?: boolean;
  containerId: string;
  /** The check the replica was started with: the ingress probes it with the same. */
  health: HealthCheck | undefined;
}

/** Who may be routed besides the healthy: the replicas the desired state wants, and those routed already. */
export interface Admission {
  /**
   * The desired replicas (app, slot, node, revision) of the current plan, and of the one
   * before: a replacement started for a plan that a rebalance has already changed still
   * serves until the move it is part of replaces it.
   */
  desired: readonly DesiredReplica[];
  /** Container ids routed by the last publication (or, after a restart, by the ingress the manager adopted). */
  routed: ReadonlySet<string>;
  /** Apps a plan file pins to their nodes: their replicas stay on a drained node rather than move. */
  pinned?: ReadonlySet<string>;
}

/**
 * Backends for the ingress: running, healthy replicas on answering nodes (not simulated ones;
 * a pinned app's on a drained node only when it has no other), minus those
 * draining (out of the ingress while in-flight requests finish). In only once healthy, and
 * only as a replica of the desired state: a container that is not (an old revision, a slot
 * that moved while its node was away) is never let in; one routed already stays until the
 * plan drains it, so a rolling update keeps its old replicas serving until they are replaced.
 */
export function routedReplicas(s: ClusterSnapshot, draining: ReadonlySet<string> | ReadonlyMap<string, unknown>, admit: Admission): RoutedReplica[] {
  const up = new Map(s.nodes.filter((n) => n.state === 'up').map((n) => [n.name, n]));
  const current = currentReplicaOf(admit.desired);
  const out: RoutedReplica[] = [];
  for (const o of s.replicas) {
    const n = up.get(o.node);
    // a simulated node's replicas answer nothing
    if (!n || n.driver === 'sim' || o.state !== 'running' || !s.healthy.has(o.containerId) || draining.has(o.containerId)) continue;
    const at = endpoint(o, n.address);
    if (!at) continue;
    if (!admit.routed.has(o.containerId) && !current(o)) continue;
    out.push({ route: { app: o.app, node: o.node, ...at }, containerId: o.containerId, health: o.health, ...(o.internal ? { internal: true } : {}) });
  }
  // what stays on a drained node (a plan file pins it there) gets no traffic while the app has
  // replicas elsewhere: its engine may be restarted any moment (regenerate-certs, ca rotate).
  // Replicas that move away serve on until their replacements do (start-first).
  const onDrained = (r: RoutedReplica) => admit.pinned?.has(r.route.app) === true && up.get(r.route.node)?.availability === 'drain';
  const servedElsewhere = new Set(out.filter((r) => !onDrained(r)).map((r) => r.route.app));
  return out.filter((r) => !onDrained(r) || !servedElsewhere.has(r.route.app));
}

/** Whether a container is a replica of `desired` as it is now: same node, slot, app and revision. */
function currentReplicaOf(desired: readonly DesiredReplica[]): (o: ObservedReplica) => boolean {
  const key = (r: { node: string; id: string; revision: string }) => `${r.node}\u0000${r.id}\u0000${r.revision}`;
  const wanted = new Map<string, DesiredReplica>(desired.map((d) => [key(d), d]));
  return (o) => {
    const d = wanted.get(key(o));
    return d !== undefined && d.app === o.app && isCurrentReplica(o, d);
  };
}

/**
 * Replicas on their way into the ingress, or out of it for a while: the running replicas of
 * the desired state (current revision) on answering nodes that are not healthy (not yet,
 * or not any more), not routed and not draining. The ingress keeps their backends in its
 * config, switched off, so one that becomes healthy is switched on with no VCL compile.
 * Not declared before the container runs: a connect to its port before then (the ingress's
 * probe) has been seen to stall the first connects to a fresh container address for 0.8 s.
 */
export function warmingReplicas(
  s: ClusterSnapshot,
  draining: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  desired: readonly DesiredReplica[],
  routed: readonly RoutedReplica[],
): RoutedReplica[] {
  const up = new Map(s.nodes.filter((n) => n.state === 'up' && n.driver !== 'sim').map((n) => [n.name, n]));
  const current = currentReplicaOf(desired);
  const inIngress = new Set(routed.map((r) => r.containerId));
  const out: RoutedReplica[] = [];
  for (const o of s.replicas) {
    const n = up.get(o.node);
    if (!n || o.internal || o.state !== 'running' || inIngress.has(o.containerId) || draining.has(o.containerId)) continue;
    const at = endpoint(o, n.address);
    if (!at || !current(o)) continue;
    out.push({ route: { app: o.app, node: o.node, ...at }, containerId: o.containerId, health: o.health });
  }
  return out;
}

/**
 * Where a replica answers HTTP (its health probe, and the ingress for the others): the node's
 * published port, or for an internal one its cluster address and container port; null when
 * it has none yet.
 */
export function endpoint(o: ObservedReplica, nodeAddress: string): { address: string; port: number } | null {
  if (o.internal) return o.address !== undefined && o.containerPort !== null ? { address: o.address, port: o.containerPort } : null;
  return o.hostPort !== null ? { address: nodeAddress, port: o.hostPort } : null;
}

/** What the control loop hands every consumer after each change: the snapshot and its routes. */
export interface PublishedState {
  snapshot: ClusterSnapshot;
  routes: readonly RoutedReplica[];
  /** Increases with every publication, so a consumer can tell it has seen the newest. */
  version: number;
  /** The desired generation (recorded deployment) the pass that published it worked on. */
  generation: number;
  /** The apps of that generation the ingress serves, routed or not (one with no route answers 503, not 404); not `expose: internal` ones. */
  apps: readonly string[];
  /** Running replicas of the desired state that do not pass their health check (warmingReplicas): the ingress keeps them switched off. */
  warming: readonly RoutedReplica[];
}
