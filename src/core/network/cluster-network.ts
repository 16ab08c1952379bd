/**
 * Pure: the cluster network's addressing. One IPv4 range for the whole cluster (manager.json
 * `network`, 10.220.0.0/16 by default) cut into a /24 per node: node k's containers get
 * addresses from `<range>.<k>.0/24` on a bridge network of its engine, so an address names
 * its node and every node reaches every other node's containers through one route per node
 * (flannel's "host-gw": the next hop is the node itself, which needs one L2 network).
 */
import { MatrixError } from '../errors.ts';

export const DEFAULT_CLUSTER_RANGE = '10.220.0.0/16';
/** Each node's share of the range. */
export const NODE_PREFIX = 24;
/** The bridge network every engine gets, and the name containers join it by. */
export const CLUSTER_NETWORK = 'matrix';

export interface Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

const QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number | null {
  const m = QUAD.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.prefix}`;
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** `a.b.c.d/n` with no host bits set, or null. */
export function parseCidr(text: string): Cidr | null {
  const [addr, len, ...rest] = text.split('/');
  if (rest.length || addr === undefined || len === undefined || !/^\d{1,2}$/.test(len)) return null;
  const base = parseIpv4(addr);
  const prefix = Number(len);
  if (base === null || prefix > 32 || (base & ~mask(prefix)) >>> 0 !== 0) return null;
  return { base, prefix };
}

/** The cluster range as configured: room for at least two nodes, private addresses only. */
export function parseClusterRange(text: string, path = 'network'): Cidr {
  const c = parseCidr(text);
  if (!c)
    throw new MatrixError('E_BAD_REQUEST', `must be an IPv4 range like ${DEFAULT_CLUSTER_RANGE} (network address, no host bits), got "${text}"`, { path });
  if (c.prefix > NODE_PREFIX - 1 || c.prefix < 8) {
    throw new MatrixError('E_BAD_REQUEST', `must be between /8 and /${NODE_PREFIX - 1}: each node takes a /${NODE_PREFIX} of it, got "${text}"`, { path });
  }
  const privateRanges = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].map((r) => parseCidr(r)!);
  if (!privateRanges.some((p) => contains(p, c))) {
    throw new MatrixError('E_BAD_REQUEST', `must be a private range (10/8, 172.16/12, 192.168/16 or 100.64/10), got "${text}"`, { path });
  }
  return c;
}

/** Whether `inner` lies wholly inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && (inner.base & mask(outer.prefix)) >>> 0 === outer.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}

/** How many nodes the range has room for (index 0 is never given: it reads like a network address). */
export function nodeCapacity(range: Cidr): number {
  return 2 ** (NODE_PREFIX - range.prefix) - 1;
}

/** The lowest index from 1 up that `used` does not hold. */
export function lowestFreeIndex(used: readonly number[]): number {
  const taken = new Set(used);
  let i = 1;
  while (taken.has(i)) i++;
  return i;
}

export interface NodeSubnet {
  /** `10.220.3.0/24` */
  subnet: string;
  /** `10.220.3.1`: the bridge's own address on the node. */
  gateway: string;
}

/** Node `index`'s share of the range; null when the range has no room for it. */
export function nodeSubnet(range: Cidr, index: number): NodeSubnet | null {
  if (!Number.isInteger(index) || index < 1 || index > nodeCapacity(range)) return null;
  const base = (range.base + index * 2 ** (32 - NODE_PREFIX)) >>> 0;
  return { subnet: formatCidr({ base, prefix: NODE_PREFIX }), gateway: formatIpv4(base + 1) };
}

/** A host route that would take the range's traffic somewhere else. */
export interface HostRoute {
  dst: string;
  dev?: string;
  gateway?: string;
  /** `ip route`'s protocol: the manager marks the routes it adds to its own host with HOST_ROUTE_PROTO. */
  protocol?: string;
}

/** The `proto` of the routes the manager adds to its own host, so it can tell them from the host's own. */
export const HOST_ROUTE_PROTO = '77';

/**
 * The cluster range must not overlap a network the manager's host already routes (its LAN,
 * the lab bridge, Docker's own bridges): containers could no longer reach those addresses.
 * `default` routes do not count.
 */
export function checkRangeAgainstRoutes(range: Cidr, routes: readonly HostRoute[], path = 'network', ownGateways: ReadonlySet<string> = new Set()): void {
  for (const r of routes) {
    // a route this cluster's manager added (to one of its nodes) is not in the way
    if (r.protocol === HOST_ROUTE_PROTO && r.gateway !== undefined && ownGateways.has(r.gateway)) continue;
    const c = parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
    if (c && c.prefix > 0 && overlaps(range, c)) {
      throw new MatrixError(
        'E_BAD_REQUEST',
        `${formatCidr(range)} overlaps the host route ${r.dst}${r.dev ? ` (${r.dev})` : ''}: choose another range (manager.json "network", \`matrix manager start --network\`)`,
        { path },
      );
    }
  }
}
