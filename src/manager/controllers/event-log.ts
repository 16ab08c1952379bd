/**
 * What happened in the cluster and why, newest last: deploys, replicas started (with why
 * there), stopped and failed, node up/down, rollbacks, ingress reloads, consumer and
 * component failures and recoveries. The newest are kept in memory for the manager's own
 * questions (`matrix status`, rollbacks of an app); with a store, every event is also kept
 * there (bounded, store.ts EVENTS_KEPT), where `GET /v1/events` reads them across restarts.
 */
import type { ClusterEvent, EventKind } from '../../shared/api-types.ts';
import type { Store } from '../store/store.ts';

export type { ClusterEvent, EventKind };

export class EventLog {
  private readonly events: ClusterEvent[] = [];
  private readonly listeners: ((e: ClusterEvent) => void)[] = [];

  constructor(
    private readonly limit = 1000,
    private readonly now: () => number = Date.now,
    private readonly store: Pick<Store, 'addEvent' | 'listEvents'> | null = null,
    private readonly onStoreError: (e: unknown) => void = () => undefined,
  ) {
    if (store) this.events.push(...store.listEvents({ limit }));
  }

  add(e: Omit<ClusterEvent, 'at' | 'id'>): ClusterEvent {
    let ev: ClusterEvent = { at: new Date(this.now()).toISOString(), ...e };
    try {
      if (this.store) ev = this.store.addEvent(ev);
    } catch (err) {
      this.onStoreError(err); // an event the store cannot take is still told in memory: never a failed action
    }
    this.events.push(ev);
    if (this.events.length > this.limit) this.events.splice(0, this.events.length - this.limit);
    for (const l of this.listeners) l(ev);
    return ev;
  }

  /** Calls `f` with each event from now on (metrics count them). */
  onEvent(f: (e: ClusterEvent) => void): void {
    this.listeners.push(f);
  }

  list(filter: { kind?: EventKind; subject?: string } = {}): ClusterEvent[] {
    return this.events.filter((e) => (!filter.kind || e.kind === filter.kind) && (!filter.subject || e.subject === filter.subject));
  }
}
