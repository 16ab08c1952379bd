import { describe, expect, it } from 'vitest';
import { containerDns, parseIpRoutes } from './host.ts';

describe("the manager host's side of the cluster network", () => {
  it('reads `ip -j route show table all`: unicast routes with their device, not default, local or broadcast ones', () => {
    const json = JSON.stringify([
      { dst: 'default', gateway: '192.168.1.1', dev: 'eth0' },
      { dst: '10.210.0.0/24', dev: 'mx0', protocol: 'kernel', scope: 'link' },
      { type: 'local', dst: '10.210.0.1', table: 'local', dev: 'mx0' },
      { type: 'broadcast', dst: '10.210.0.255', table: 'local', dev: 'mx0' },
      { dst: '172.17.0.0/16', dev: 'docker0' },
    ]);
    expect(parseIpRoutes(json)).toEqual([
      { dst: '10.210.0.0/24', dev: 'mx0' },
      { dst: '172.17.0.0/16', dev: 'docker0' },
    ]);
    expect(parseIpRoutes('')).toEqual([]);
  });

  it('containers are given the DNS server only where nodes can ask it: an address other than loopback or any, on port 53', () => {
    expect(containerDns({ address: '10.210.0.1', port: 53 })).toBe('10.210.0.1');
    expect(containerDns({ address: '127.0.0.1', port: 53 })).toBeNull();
    expect(containerDns({ address: '0.0.0.0', port: 53 })).toBeNull();
    expect(containerDns({ address: '10.210.0.1', port: 5353 })).toBeNull();
  });
});
