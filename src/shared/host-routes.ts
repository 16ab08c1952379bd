/**
 * The host's IPv4 routes, as `ip -j route` gives them: the manager checks its cluster range
 * against them at start, and `matrix manager start --network` before it writes the setting.
 */
import type { HostRoute } from '../core/network/cluster-network.ts';
import { runOk } from '../util/exec.ts';

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
