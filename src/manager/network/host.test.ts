import { describe, expect, it } from 'vitest';
import { containerDns, hostRouteCommands } from './host.ts';

describe("the manager host's side of the cluster network", () => {
  it('containers are given the DNS server only where nodes can ask it: an address other than loopback or any, on port 53', () => {
    expect(containerDns({ address: '10.210.0.1', port: 53 })).toBe('10.210.0.1');
    expect(containerDns({ address: '127.0.0.1', port: 53 })).toBeNull();
    expect(containerDns({ address: '0.0.0.0', port: 53 })).toBeNull();
    expect(containerDns({ address: '10.210.0.1', port: 5353 })).toBeNull();
  });

  it("sets the manager host's routes to each node's share: adds what is missing, moves what changed, removes only its own leftovers", () => {
    const want = [
      { dst: '10.220.1.0/24', via: '10.210.0.11', node: 'node1', index: 1 },
      { dst: '10.220.2.0/24', via: '10.210.0.12', node: 'node2', index: 2 },
    ];
    expect(hostRouteCommands(want, [])).toEqual([
      ['ip', 'route', 'replace', '10.220.1.0/24', 'via', '10.210.0.11', 'proto', '77'],
      ['ip', 'route', 'replace', '10.220.2.0/24', 'via', '10.210.0.12', 'proto', '77'],
    ]);
    const current = [
      { dst: '10.220.1.0/24', gateway: '10.210.0.11' },
      { dst: '10.220.2.0/24', gateway: '10.210.0.99' },
      { dst: '10.220.3.0/24', gateway: '10.210.0.13' },
    ];
    expect(hostRouteCommands(want, current)).toEqual([
      ['ip', 'route', 'del', '10.220.2.0/24', 'proto', '77'],
      ['ip', 'route', 'del', '10.220.3.0/24', 'proto', '77'],
      ['ip', 'route', 'replace', '10.220.2.0/24', 'via', '10.210.0.12', 'proto', '77'],
    ]);
    expect(hostRouteCommands(want, current.slice(0, 1).concat([{ dst: '10.220.2.0/24', gateway: '10.210.0.12' }]))).toEqual([]);
  });
});
