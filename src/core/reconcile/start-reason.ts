/**
 * Pure: why a replica is started where it is, in words for `matrix events`
 * ("moved from node2: node2 down since 10:41:07"). From the slot's placement before the pass
 * that started it, the containers seen for the replica, and the nodes' states.
 */
import type { DesiredReplica, NodeAvailability, ObservedReplica } from '../model.ts';

export interface NodeFacts {
  state: 'up' | 'down';
  availability: NodeAvailability;
  /** When it went into its state (ms), when known. */
  since?: number;
}

/** `10:41:07` (UTC, as the events' own times are). */
const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/**
 * `was`: the node the slot was placed on before this pass (undefined for a new slot);
 * `observed`: the containers seen on the nodes; `nodes`: what is known of each node.
 */
export function startReason(r: DesiredReplica, was: string | undefined, observed: readonly ObservedReplica[], nodes: ReadonlyMap<string, NodeFacts>): string {
  // where it ran: its stored placement, or (a move planned in an earlier pass) its running container elsewhere
  const elsewhere = observed.find((o) => o.id === r.id && o.app === r.app && o.node !== r.node && o.state === 'running')?.node;
  const from = was !== undefined && was !== r.node ? was : elsewhere;
  if (from !== undefined) {
    const n = nodes.get(from);
    const why = !n
      ? `${from} left the cluster`
      : n.state === 'down'
        ? `${from} down${n.since !== undefined ? ` since ${clock(n.since)}` : ''}`
        : n.availability === 'drain'
          ? `${from} drained`
          : 'rebalanced';
    return `moved from ${from}: ${why}`;
  }
  const mine = observed.filter((o) => o.node === r.node && o.id === r.id && o.app === r.app);
  const older = mine.find((o) => o.revision !== r.revision);
  if (older) return `replaces revision ${older.revision.slice(0, 12)} (update)`;
  const dead = mine.find((o) => o.state !== 'running');
  if (dead) return `its container was ${dead.state}`;
  return was === undefined ? 'new replica' : 'its container was gone';
}
