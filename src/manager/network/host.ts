/** What the cluster network needs to know of the manager's own host. */
import { isLoopback } from '../../shared/manager-config.ts';
import type { HostRoute } from '../../core/network/cluster-network.ts';
import { runOk } from '../../util/exec.ts';

/** The host's IPv4 routes (`ip -j route show table all`), for the range-overlap check. */
export async function hostRoutes(): Promise<HostRoute[]> {
  const out = await runOk(['ip', '-j', '-4', 'route', 'show', 'table', 'all']);
  return parseIpRoutes(out);
}

/** `ip -j route` output → routes; local and broadcast entries of the host's own addresses are left out. */
export function parseIpRoutes(json: string): HostRoute[] {
  const rows = JSON.parse(json || '[]') as { dst?: string; dev?: string; type?: string }[];
  return rows
    .filter((r) => typeof r.dst === 'string' && r.dst !== 'default' && (r.type === undefined || r.type === 'unicast'))
    .map((r) => ({ dst: r.dst!, ...(r.dev ? { dev: r.dev } : {}) }));
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
