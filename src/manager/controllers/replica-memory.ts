/**
 * What the control loop remembers about replicas between ticks: which pass their health
 * check, which are draining (and since when), when each was first seen, when an app's last
 * update batch finished. In memory only: a restarted manager re-probes at once and at worst
 * restarts a drain or a monitor window.
 */
import type { AppSpec, NodeStatus, ObservedReplica } from '../../core/model.ts';
import { DEFAULT_HEALTH } from '../../core/defaults.ts';
import type { RolloutState } from '../../core/reconcile/rollout.ts';
import type { HealthProbe } from '../nodes/health-probe.ts';

export class ReplicaMemory {
  private readonly draining = new Map<string, number>();
  private readonly firstSeen = new Map<string, number>();
  private readonly lastBatchDone = new Map<string, number>();
  private healthy = new Set<string>();

  constructor(private readonly probe: HealthProbe) {}

  /** Health-checks every running replica on an answering node, and forgets containers that are gone. */
  async observe(observed: ObservedReplica[], nodes: ReadonlyMap<string, NodeStatus>, apps: AppSpec[], now: number): Promise<void> {
    const live = new Set(observed.map((o) => o.containerId));
    for (const m of [this.firstSeen, this.draining]) for (const id of m.keys()) if (!live.has(id)) m.delete(id);
    const checks = new Map(apps.map((a) => [a.name, a.health ?? DEFAULT_HEALTH]));
    const healthy = new Set<string>();
    await Promise.all(
      observed.map(async (o) => {
        if (!this.firstSeen.has(o.containerId)) this.firstSeen.set(o.containerId, now);
        const n = nodes.get(o.node);
        if (!n || n.state !== 'up' || o.state !== 'running' || o.hostPort === null) return;
        // each container by the check it was started with: a new revision's check never judges the old
        if (await this.probe(n.address, o.hostPort, o.health ?? checks.get(o.app) ?? DEFAULT_HEALTH)) healthy.add(o.containerId);
      }),
    );
    this.healthy = healthy;
  }

  /** In the ingress: healthy and not draining. */
  routable(containerId: string): boolean {
    return this.healthy.has(containerId) && !this.draining.has(containerId);
  }

  drain(containerId: string, now: number): void {
    this.draining.set(containerId, now);
  }

  /** A drained replica was stopped: for an update, its batch is done. */
  stopped(app: string, containerId: string, now: number): void {
    if (this.draining.has(containerId)) this.lastBatchDone.set(app, now);
  }

  state(now: number): RolloutState {
    return { now, draining: this.draining, firstSeen: this.firstSeen, lastBatchDone: this.lastBatchDone, healthy: this.healthy };
  }
}
