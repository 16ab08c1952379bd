/** The cluster network on the manager's own host: its routes to the nodes' shares, and the resolver containers get. */
import { isLoopback } from '../../shared/manager-config.ts';
import { formatCidr, HOST_ROUTE_PROTO, type Cidr, type HostRoute } from '../../core/network/cluster-network.ts';
import { parseIpRoutes } from '../../shared/host-routes.ts';
import type { PeerRoute } from '../../core/network/routes.ts';
import { runOk } from '../../util/exec.ts';

/**
 * The resolver containers are given: the DNS server's address when nodes can reach it there
 * (port 53: the engine takes addresses only); otherwise none, and containers keep the
 * engine's default resolvers (a manager on loopback has no address nodes could ask).
 */
export function containerDns(listen: { address: string; port: number }): string | null {
  if (listen.port !== 53 || isLoopback(listen.address) || listen.address === '0.0.0.0' || listen.address.includes(':')) return null;
  return listen.address;
}

/**
 * Pure: the `ip` commands that make the manager host's routes into the range exactly `want`
 * (every node's share via the node): the manager probes `expose: internal` replicas at their
 * cluster address. Only routes it marked are ever removed.
 */
export function hostRouteCommands(want: readonly PeerRoute[], current: readonly HostRoute[]): string[][] {
  const keep = new Set(want.map((r) => `${r.dst} ${r.via}`));
  return [
    ...current.filter((c) => !keep.has(`${c.dst} ${c.gateway ?? ''}`)).map((c) => ['ip', 'route', 'del', c.dst, 'proto', HOST_ROUTE_PROTO]),
    ...want
      .filter((r) => !current.some((c) => c.dst === r.dst && c.gateway === r.via))
      .map((r) => ['ip', 'route', 'replace', r.dst, 'via', r.via, 'proto', HOST_ROUTE_PROTO]),
  ];
}

/** Sets the manager host's routes into the range to `want`. */
export async function setHostRoutes(range: Cidr, want: readonly PeerRoute[]): Promise<void> {
  const current = parseIpRoutes(await runOk(['ip', '-j', '-4', 'route', 'show', 'root', formatCidr(range), 'proto', HOST_ROUTE_PROTO]));
  for (const argv of hostRouteCommands(want, current)) await runOk(argv);
}
