/**
 * Pure: the routes of the cluster network ("host-gw"). Every node reaches another node's
 * containers through one route: that node's /24 via that node's address. What a node needs
 * is computed from the registered nodes alone (up or not: a node that comes back finds its
 * peers' routes in place), and rendered as one idempotent script for busybox `ip` that also
 * removes routes into the range that no node owns any more.
 */
import { parseIpv4, formatCidr, nodeSubnet, type Cidr } from './cluster-network.ts';

export interface NetworkNode {
  name: string;
  address: string;
  subnet?: number;
  /** sim nodes live in the manager's memory: nothing to route to. */
  driver: string | null;
  /** An engine reached on a unix socket is the manager's own host (the local driver). */
  socket?: string;
}

export interface PeerRoute {
  /** The peer's share, `10.220.2.0/24`. */
  dst: string;
  /** The peer's address: the next hop. */
  via: string;
  node: string;
  /** The peer's number in the range (its VTEP's MAC and address under VXLAN). */
  index: number;
}

export interface NodeRoutes {
  node: string;
  /** The node's own share (its bridge's route, which the cleanup keeps). */
  own: string;
  /** Its own number in the range, and its address (VXLAN's local end). */
  index: number;
  address: string;
  routes: PeerRoute[];
}

/**
 * sim nodes answer nothing; the manager's own engine (a unix socket, the local driver) keeps
 * Docker's default bridge: routes there would change the manager host's own routing table.
 */
export function onClusterNetwork(n: Pick<NetworkNode, 'driver' | 'socket'>): boolean {
  return n.driver !== 'sim' && n.socket === undefined;
}

/** Nodes that take part: numbered, a real engine with an IPv4 address, a share inside the range. */
function members(range: Cidr, nodes: readonly NetworkNode[]): { node: NetworkNode; share: string; index: number }[] {
  const out: { node: NetworkNode; share: string; index: number }[] = [];
  for (const n of nodes) {
    if (!onClusterNetwork(n) || n.subnet === undefined || parseIpv4(n.address) === null) continue;
    const share = nodeSubnet(range, n.subnet);
    if (share) out.push({ node: n, share: share.subnet, index: n.subnet });
  }
  return out;
}

/** For each taking part, by node name: its own share and a route to every other's. */
export function clusterRoutes(range: Cidr, nodes: readonly NetworkNode[]): Map<string, NodeRoutes> {
  const m = members(range, nodes);
  return new Map(
    m.map(({ node, share, index }) => [
      node.name,
      {
        node: node.name,
        own: share,
        index,
        address: node.address,
        routes: m.filter((p) => p.node.name !== node.name).map((p) => ({ dst: p.share, via: p.node.address, node: p.node.name, index: p.index })),
      },
    ]),
  );
}

/** The manager host's routes: every node's share via that node (it is on their L2 network too). */
export function managerRoutes(range: Cidr, nodes: readonly NetworkNode[]): PeerRoute[] {
  return members(range, nodes).map(({ node, share, index }) => ({ dst: share, via: node.address, node: node.name, index }));
}

/**
 * busybox sh: replace every peer route, then delete routes into the range that are neither
 * the node's own nor a peer's (a node that left the cluster). Each `ip route replace`
 * fails when the next hop is not on a directly connected network: host-gw needs the nodes
 * on one L2 network, and that error names the peer.
 */
export function routeScript(range: Cidr, plan: NodeRoutes): string {
  const keep = [plan.own, ...plan.routes.map((r) => r.dst)];
  const lines = [
    'set -e',
    // a VTEP left from the vxlan mode goes: host-gw routes go straight to the peers
    'ip link del mx-vxlan 2>/dev/null || true',
    ...plan.routes.map(
      (r) =>
        `ip route replace ${r.dst} via ${r.via} || { echo "no route to ${r.node} (${r.via}): host-gw needs every node on one L2 network (else: networkMode vxlan)" >&2; exit 3; }`,
    ),
    `ip route show root ${formatCidr(range)} | while read -r dst rest; do`,
    `  case "$dst" in ${keep.join('|')}) ;; *) ip route del "$dst" ;; esac`,
    'done',
  ];
  return lines.join('\n') + '\n';
}
