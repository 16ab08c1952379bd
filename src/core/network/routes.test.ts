import { describe, expect, it } from 'vitest';
import { parseCidr } from './cluster-network.ts';
import { clusterRoutes, managerRoutes, routeScript, type NetworkNode } from './routes.ts';

const range = parseCidr('10.220.0.0/16')!;
const node = (i: number, o: Partial<NetworkNode> = {}): NetworkNode => ({ name: `node${i}`, address: `10.210.0.${10 + i}`, subnet: i, driver: 'lab', ...o });

describe('host-gw routes', () => {
  it("every node routes each peer's share via the peer's address", () => {
    const plans = clusterRoutes(range, [node(1), node(2), node(3)]);
    expect(plans.get('node1')).toEqual({
      node: 'node1',
      own: '10.220.1.0/24',
      index: 1,
      address: '10.210.0.11',
      routes: [
        { dst: '10.220.2.0/24', via: '10.210.0.12', node: 'node2', index: 2 },
        { dst: '10.220.3.0/24', via: '10.210.0.13', node: 'node3', index: 3 },
      ],
    });
    expect(plans.get('node3')!.routes.map((r) => r.node)).toEqual(['node1', 'node2']);
  });

  it('leaves out sim nodes, the manager host own engine, unnumbered nodes and shares beyond the range', () => {
    const plans = clusterRoutes(range, [
      node(1),
      node(2, { driver: 'sim' }),
      node(3, { socket: '/var/run/docker.sock' }),
      node(4, { subnet: undefined }),
      node(5, { subnet: 300 }),
      node(6, { address: 'fd00::6' }),
      node(7),
    ]);
    expect([...plans.keys()]).toEqual(['node1', 'node7']);
    expect(plans.get('node1')!.routes.map((r) => r.node)).toEqual(['node7']);
  });

  it('the script replaces each peer route, says which peer is not on the L2 network, and removes routes no node owns', () => {
    const script = routeScript(range, clusterRoutes(range, [node(1), node(2)]).get('node1')!);
    expect(script.split('\n')).toEqual([
      'set -e',
      'ip link del mx-vxlan 2>/dev/null || true',
      'ip route replace 10.220.2.0/24 via 10.210.0.12 || { echo "no route to node2 (10.210.0.12): host-gw needs every node on one L2 network (else: networkMode vxlan)" >&2; exit 3; }',
      'ip route show root 10.220.0.0/16 | while read -r dst rest; do',
      '  case "$dst" in 10.220.1.0/24|10.220.2.0/24) ;; *) ip route del "$dst" ;; esac',
      'done',
      '',
    ]);
  });

  it("the manager host routes every taking part node's share via that node", () => {
    expect(managerRoutes(range, [node(1), node(2, { driver: 'sim' }), node(3)])).toEqual([
      { dst: '10.220.1.0/24', via: '10.210.0.11', node: 'node1', index: 1 },
      { dst: '10.220.3.0/24', via: '10.210.0.13', node: 'node3', index: 3 },
    ]);
  });

  it('a lone node keeps only its own share', () => {
    const script = routeScript(range, clusterRoutes(range, [node(4)]).get('node4')!);
    expect(script).not.toContain('replace');
    expect(script).toContain('case "$dst" in 10.220.4.0/24) ;;');
  });
});
