/**
 * Pure: the cluster network over VXLAN, for nodes that do not share one L2 network (flannel's
 * "vxlan" backend, with static entries instead of learning). Each node has a VTEP `mx-vxlan`
 * whose MAC and address follow from its number k (`02:4d:58:00:<k>`, `10.220.k.0/32`), so
 * every node can compute every other's without asking: for each peer j, a route to its /24 via
 * its VTEP address (onlink), a permanent neighbour entry for that address, and a forwarding
 * entry sending that MAC to the peer's node address over UDP 4789.
 */
import { contains, formatCidr, nodeSubnet, parseCidr, parseIpv4, type Cidr, type HostRoute } from './cluster-network.ts';
import type { NodeRoutes } from './routes.ts';

export const VXLAN_DEVICE = 'mx-vxlan';
export const VXLAN_ID = 4220;
export const VXLAN_PORT = 4789;

/** The VTEP MAC of node `index` (locally administered, unicast). */
export function vtepMac(index: number): string {
  return ['02', '4d', '58', '00', (index >> 8) & 255, index & 255].map((b) => (typeof b === 'string' ? b : b.toString(16).padStart(2, '0'))).join(':');
}

/** The VTEP address of node `index`: the network address of its share (never given to a container). */
export function vtepAddress(range: Cidr, index: number): string {
  return nodeSubnet(range, index)!.subnet.split('/')[0]!;
}

export type NetworkMode = 'host-gw' | 'vxlan';
/** What manager.json may say: a mode, or `auto` (chooseNetworkMode). */
export type NetworkSetting = NetworkMode | 'auto';
export const NETWORK_SETTINGS: readonly NetworkSetting[] = ['auto', 'host-gw', 'vxlan'];

/**
 * `auto`: host-gw when every node's address is on a network the manager's host reaches
 * directly (a route without a gateway: one L2 network, as the lab's bridge), else vxlan.
 */
export function chooseNetworkMode(nodeAddresses: readonly string[], hostRoutes: readonly HostRoute[]): NetworkMode {
  const connected = hostRoutes.filter((r) => r.gateway === undefined && r.dst.includes('/')).map((r) => parseCidr(r.dst));
  const direct = (a: string) => {
    const ip = parseIpv4(a);
    return ip !== null && connected.some((c) => c !== null && c.prefix > 0 && contains(c, { base: ip, prefix: 32 }));
  };
  return nodeAddresses.every(direct) ? 'host-gw' : 'vxlan';
}

/**
 * iproute2 sh: the VTEP made (or remade when its settings differ), one route, neighbour and
 * forwarding entry per peer, and routes into the range that no node owns removed.
 */
export function vxlanScript(range: Cidr, plan: NodeRoutes): string {
  const dev = VXLAN_DEVICE;
  const self = vtepAddress(range, plan.index);
  const keep = [plan.own, ...plan.routes.map((r) => r.dst)];
  return [
    'set -e',
    // a VTEP from before (another local address or id) is replaced: its settings cannot be changed in place
    `if ! ip -d link show ${dev} 2>/dev/null | grep -q "vxlan id ${VXLAN_ID} local ${plan.address} "; then ip link del ${dev} 2>/dev/null || true; ` +
      `ip link add ${dev} address ${vtepMac(plan.index)} type vxlan id ${VXLAN_ID} local ${plan.address} dstport ${VXLAN_PORT} nolearning; fi`,
    `ip addr replace ${self}/32 dev ${dev}`,
    `ip link set ${dev} up`,
    ...plan.routes.flatMap((r) => {
      const peer = vtepAddress(range, r.index);
      return [
        `bridge fdb replace ${vtepMac(r.index)} dev ${dev} dst ${r.via}`,
        `ip neigh replace ${peer} lladdr ${vtepMac(r.index)} dev ${dev} nud permanent`,
        `ip route replace ${r.dst} via ${peer} dev ${dev} onlink`,
      ];
    }),
    `ip route show root ${formatCidr(range)} | while read -r dst rest; do`,
    `  case "$dst" in ${keep.join('|')}) ;; *) ip route del "$dst" ;; esac`,
    'done',
    '',
  ].join('\n');
}
