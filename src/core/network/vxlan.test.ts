import { describe, expect, it } from 'vitest';
import { parseCidr } from './cluster-network.ts';
import { clusterRoutes } from './routes.ts';
import { chooseNetworkMode, vtepAddress, vtepMac, vxlanScript } from './vxlan.ts';

const range = parseCidr('10.220.0.0/16')!;
const node = (i: number) => ({ name: `node${i}`, address: `192.168.${i}.10`, subnet: i, driver: 'ssh' });

describe('the vxlan mode', () => {
  it("names each node's VTEP from its number alone: a unicast, locally administered MAC, and its share's network address", () => {
    expect(vtepMac(3)).toBe('02:4d:58:00:00:03');
    expect(vtepMac(258)).toBe('02:4d:58:00:01:02');
    expect(vtepAddress(range, 3)).toBe('10.220.3.0');
  });

  it('makes the VTEP once (again when its local address changed), then one forwarding entry, neighbour and onlink route per peer', () => {
    const plan = clusterRoutes(range, [node(1), node(2), node(3)]).get('node1')!;
    expect(vxlanScript(range, plan).split('\n')).toEqual([
      'set -e',
      'if ! ip -d link show mx-vxlan 2>/dev/null | grep -q "vxlan id 4220 local 192.168.1.10 "; then ip link del mx-vxlan 2>/dev/null || true; ip link add mx-vxlan address 02:4d:58:00:00:01 type vxlan id 4220 local 192.168.1.10 dstport 4789 nolearning; fi',
      'ip addr replace 10.220.1.0/32 dev mx-vxlan',
      'ip link set mx-vxlan up',
      'bridge fdb replace 02:4d:58:00:00:02 dev mx-vxlan dst 192.168.2.10',
      'ip neigh replace 10.220.2.0 lladdr 02:4d:58:00:00:02 dev mx-vxlan nud permanent',
      'ip route replace 10.220.2.0/24 via 10.220.2.0 dev mx-vxlan onlink',
      'bridge fdb replace 02:4d:58:00:00:03 dev mx-vxlan dst 192.168.3.10',
      'ip neigh replace 10.220.3.0 lladdr 02:4d:58:00:00:03 dev mx-vxlan nud permanent',
      'ip route replace 10.220.3.0/24 via 10.220.3.0 dev mx-vxlan onlink',
      'ip route show root 10.220.0.0/16 | while read -r dst rest; do',
      '  case "$dst" in 10.220.1.0/24|10.220.2.0/24|10.220.3.0/24) ;; *) ip route del "$dst" ;; esac',
      'done',
      '',
    ]);
  });

  it('auto: host-gw when every node is on a network the host reaches without a gateway, else vxlan', () => {
    const routes = [
      { dst: '10.210.0.0/24', dev: 'mx0' },
      { dst: '192.168.0.0/16', gateway: '10.0.0.1' },
      { dst: '10.220.2.0/24', gateway: '10.210.0.12', protocol: '77' },
      { dst: '10.210.0.1' },
    ];
    expect(chooseNetworkMode(['10.210.0.11', '10.210.0.12'], routes)).toBe('host-gw');
    expect(chooseNetworkMode(['10.210.0.11', '192.168.5.20'], routes)).toBe('vxlan');
    expect(chooseNetworkMode([], routes)).toBe('host-gw');
  });
});
