/**
 * What the control loop remembers about replicas between passes: which are draining (and
 * since when), when each was first seen, when an app's last update batch finished. In
 * memory only: a restarted manager at worst restarts a drain or a monitor window.
 */
import type { ClusterSnapshot } from '../../core/snapshot.ts';
import type { RolloutState } from '../../core/reconcile/rollout.ts';

export class RolloutMemory {
  private readonly draining = new Map<string, number>();
  private readonly firstSeen = new Map<string, number>();
  private readonly lastBatchDone = new Map<string, number>();

  /** Records first sightings and forgets containers that are gone. */
  observe(s: ClusterSnapshot): void {
    const live = new Set(s.replicas.map((o) => o.containerId));
    for (const m of [this.firstSeen, this.draining]) for (const id of m.keys()) if (!live.has(id)) m.delete(id);
    for (const o of s.replicas) if (!this.firstSeen.has(o.containerId)) this.firstSeen.set(o.containerId, s.at);
  }

  /** A replica leaves the ingress: for an update, its batch is done (the new one serves; the old one drains in the background). */
  drain(app: string, containerId: string, now: number): void {
    if (this.draining.has(containerId)) return;
    this.draining.set(containerId, now);
    this.lastBatchDone.set(app, now);
  }

  /** A draining replica is wanted again: it may be routed again. */
  undrain(containerId: string): void {
    this.draining.delete(containerId);
  }

  drainingNow(): ReadonlyMap<string, number> {
    return new Map(this.draining);
  }

  /**
   * A running container first seen less than `withinMs` ago has not passed its health check
   * yet: it is about to be routed, and the loop looks again sooner than its interval, so it
   * serves as soon as it answers rather than up to an interval later.
   */
  awaitingFirstHealth(s: ClusterSnapshot, withinMs: number): boolean {
    return s.replicas.some((o) => o.state === 'running' && !s.healthy.has(o.containerId) && s.at - (this.firstSeen.get(o.containerId) ?? s.at) < withinMs);
  }

  state(now: number, healthy: ReadonlySet<string>): RolloutState {
    return { now, draining: this.draining, firstSeen: this.firstSeen, lastBatchDone: this.lastBatchDone, healthy };
  }
}
