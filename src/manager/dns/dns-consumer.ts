/**
 * The `.matrix` names as a consumer of the snapshot: the replicas the ingress may route to
 * (running, healthy, not draining, on up nodes) that have a cluster address, and the nodes.
 * A node that stops answering leaves the answers at once (`nodeDown`), before the loop has
 * planned the state without it.
 */
import { dnsZone, type DnsZone, type ZoneReplica } from '../../core/dns/zone.ts';
import type { PublishedState } from '../../core/snapshot.ts';
import type { SnapshotConsumer } from '../controllers/consumers.ts';
import type { DnsView } from '../../shared/api-types.ts';
import { byCodeUnit } from '../../core/compare.ts';

/** Pure: the zone of a published state, less the replicas of `without` nodes. */
export function zoneOf(
  state: Pick<PublishedState, 'snapshot' | 'routes'>,
  serial: number,
  without: ReadonlySet<string> = new Set(),
): { zone: DnsZone; warnings: string[] } {
  const byId = new Map(state.snapshot.replicas.map((r) => [r.containerId, r]));
  const replicas: ZoneReplica[] = [];
  for (const r of state.routes) {
    const o = byId.get(r.containerId);
    if (!o || o.address === undefined || o.containerPort === null || without.has(o.node)) continue;
    replicas.push({ app: o.app, id: o.id, address: o.address, port: o.containerPort });
  }
  const nodes = state.snapshot.nodes.filter((n) => n.driver !== 'sim').map((n) => ({ name: n.name, address: n.address }));
  return dnsZone({ nodes, replicas, serial });
}

export interface DnsTarget {
  publish(zone: DnsZone): void;
}

export function dnsConsumer(target: DnsTarget, onWarnings: (w: string[]) => void = () => undefined): SnapshotConsumer {
  let serial = 0;
  let lastWarnings = '';
  const publish = (state: Pick<PublishedState, 'snapshot' | 'routes'>, without?: ReadonlySet<string>) => {
    const { zone, warnings } = zoneOf(state, ++serial, without);
    target.publish(zone);
    // the same warnings on every publication would flood the log: say them when they change
    if (warnings.join('\n') !== lastWarnings && warnings.length) onWarnings(warnings);
    lastWarnings = warnings.join('\n');
  };
  return {
    name: 'dns',
    apply: async (state) => publish(state),
    nodeDown: async (node, last) => {
      if (last) publish(last, new Set([node]));
    },
  };
}

/** The zone as rows (`matrix dns`): A records, then SRV, each sorted by name. */
export function zoneRows(zone: DnsZone): DnsView['records'] {
  const a = Object.entries(zone.a).flatMap(([name, addrs]) => addrs.map((value) => ({ name, type: 'A' as const, ttl: zone.ttl, value })));
  const srv = Object.entries(zone.srv).flatMap(([name, rs]) => rs.map((r) => ({ name, type: 'SRV' as const, ttl: zone.ttl, value: `${r.target}:${r.port}` })));
  return [...a, ...srv].sort((x, y) => (x.type === y.type ? byCodeUnit(x.name, y.name) || byCodeUnit(x.value, y.value) : x.type === 'A' ? -1 : 1));
}
