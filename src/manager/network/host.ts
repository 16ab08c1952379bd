/** What the cluster network needs to know of the manager's own host. */
import { isLoopback } from '../../shared/manager-config.ts';
import { formatCidr, HOST_ROUTE_PROTO, type Cidr, type HostRoute } from '../../core/network/cluster-network.ts';
import type { PeerRoute } from '../../core/network/routes.ts';
import { runOk } from '../../util/exec.ts';

/** The host's IPv4 routes (`ip -j route show table all`), for the range-overlap check. */
export async function hostRoutes(): Promise<HostRoute[]> {
  const out = await runOk(['ip', '-j', '-4', 'route', 'show', 'table', 'all']);
  return parseIpRoutes(out);
}

/** `ip -j route` output → routes; local and broadcast entries of the host's own addresses are left out. */
export function parseIpRoutes(json: string): HostRoute[] {
  const rows = JSON.parse(json || '[]') as { dst?: string; dev?: string; type?: string; gateway?: string; protocol?: string }[];
  return rows
    .filter((r) => typeof r.dst === 'string' && r.dst !== 'default' && (r.type === undefined || r.type === 'unicast'))
    .map((r) => ({
      dst: r.dst!,
      ...(r.dev ? { dev: r.dev } : {}),
      ...(r.gateway ? { gateway: r.gateway } : {}),
      ...(r.protocol !== undefined ? { protocol: String(r.protocol) } : {}),
    }));
}

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
