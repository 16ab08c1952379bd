import { describe, expect, it } from 'vitest';
import { parseIpRoutes } from './host-routes.ts';

describe("the host's routes", () => {
  it('reads `ip -j route show table all`: unicast routes with their device, not default, local or broadcast ones', () => {
    const json = JSON.stringify([
      { dst: 'default', gateway: '192.168.1.1', dev: 'eth0' },
      { dst: '10.210.0.0/24', dev: 'mx0', protocol: 'kernel', scope: 'link' },
      { type: 'local', dst: '10.210.0.1', table: 'local', dev: 'mx0' },
      { type: 'broadcast', dst: '10.210.0.255', table: 'local', dev: 'mx0' },
      { dst: '172.17.0.0/16', dev: 'docker0' },
    ]);
    expect(parseIpRoutes(json)).toEqual([
      { dst: '10.210.0.0/24', dev: 'mx0', protocol: 'kernel' },
      { dst: '172.17.0.0/16', dev: 'docker0' },
    ]);
    expect(parseIpRoutes('')).toEqual([]);
    expect(parseIpRoutes(JSON.stringify([{ dst: '10.220.2.0/24', gateway: '10.210.0.12', dev: 'mx0', protocol: '77' }]))).toEqual([
      { dst: '10.220.2.0/24', dev: 'mx0', gateway: '10.210.0.12', protocol: '77' },
    ]);
  });
});
