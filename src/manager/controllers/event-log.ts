/**
 * What happened in the cluster and why, newest last: node up/down, rollbacks, consumer
 * failures and recoveries. Bounded and in memory for now (the API serves it in
 * `matrix status`); keeping it in the store is the events feature's job.
 */
import type { ClusterEvent, EventKind } from '../../shared/api-types.ts';

export type { ClusterEvent, EventKind };

export class EventLog {
  private readonly events: ClusterEvent[] = [];

  constructor(
    private readonly limit = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  add(e: Omit<ClusterEvent, 'at'>): ClusterEvent {
    const ev = { at: new Date(this.now()).toISOString(), ...e };
    this.events.push(ev);
    if (this.events.length > this.limit) this.events.splice(0, this.events.length - this.limit);
    return ev;
  }

  list(filter: { kind?: EventKind; subject?: string } = {}): ClusterEvent[] {
    return this.events.filter((e) => (!filter.kind || e.kind === filter.kind) && (!filter.subject || e.subject === filter.subject));
  }
}
