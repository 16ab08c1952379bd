import { describe, expect, it } from 'vitest';
import {
  checkRangeAgainstRoutes,
  contains,
  formatCidr,
  lowestFreeIndex,
  nodeCapacity,
  nodeSubnet,
  overlaps,
  parseCidr,
  parseClusterRange,
  parseIpv4,
} from './cluster-network.ts';

describe('cluster network addressing', () => {
  it('reads IPv4 addresses and ranges strictly', () => {
    expect(parseIpv4('10.220.3.1')).toBe(((10 << 24) | (220 << 16) | (3 << 8) | 1) >>> 0);
    for (const bad of ['10.220.3', '10.220.3.256', '1.2.3.4.5', 'a.b.c.d', '', ' 10.0.0.1']) expect(parseIpv4(bad)).toBeNull();
    expect(formatCidr(parseCidr('10.220.0.0/16')!)).toBe('10.220.0.0/16');
    // host bits set, a missing or odd prefix
    for (const bad of ['10.220.0.1/16', '10.220.0.0', '10.220.0.0/33', '10.220.0.0/1x', '10.220.0.0/16/2']) expect(parseCidr(bad)).toBeNull();
  });

  it('a cluster range is private, from /8 to /23, and says which field is wrong', () => {
    expect(parseClusterRange('10.220.0.0/16')).toEqual(parseCidr('10.220.0.0/16'));
    expect(parseClusterRange('172.20.0.0/20')).toEqual(parseCidr('172.20.0.0/20'));
    expect(() => parseClusterRange('10.220.0.0/24')).toThrow(/between \/8 and \/23/);
    expect(() => parseClusterRange('8.8.0.0/16')).toThrow(/private range/);
    expect(() => parseClusterRange('10.220.0.1/16')).toThrow(/no host bits/);
    try {
      parseClusterRange('nonsense');
    } catch (e) {
      expect(e).toMatchObject({ code: 'E_BAD_REQUEST', path: 'network' });
    }
  });

  it("node k's share is the k-th /24 of the range; index 0 and indexes beyond the range have none", () => {
    const r = parseCidr('10.220.0.0/16')!;
    expect(nodeSubnet(r, 1)).toEqual({ subnet: '10.220.1.0/24', gateway: '10.220.1.1' });
    expect(nodeSubnet(r, 255)).toEqual({ subnet: '10.220.255.0/24', gateway: '10.220.255.1' });
    expect(nodeCapacity(r)).toBe(255);
    expect(nodeSubnet(r, 0)).toBeNull();
    expect(nodeSubnet(r, 256)).toBeNull();
    const small = parseCidr('172.20.16.0/22')!;
    expect(nodeSubnet(small, 2)).toEqual({ subnet: '172.20.18.0/24', gateway: '172.20.18.1' });
    expect(nodeSubnet(small, 4)).toBeNull();
  });

  it('gives the lowest free index', () => {
    expect(lowestFreeIndex([])).toBe(1);
    expect(lowestFreeIndex([1, 2, 4])).toBe(3);
    expect(lowestFreeIndex([2, 3])).toBe(1);
  });

  it('refuses a range that overlaps a host route, naming the route and the field', () => {
    const r = parseCidr('10.220.0.0/16')!;
    expect(contains(r, parseCidr('10.220.5.0/24')!)).toBe(true);
    expect(overlaps(parseCidr('10.0.0.0/8')!, r)).toBe(true);
    expect(() => checkRangeAgainstRoutes(r, [{ dst: '10.210.0.0/24', dev: 'mx0' }, { dst: '172.17.0.0/16' }])).not.toThrow();
    expect(() => checkRangeAgainstRoutes(r, [{ dst: '10.220.7.0/24', dev: 'eth1' }])).toThrow(/overlaps the host route 10\.220\.7\.0\/24 \(eth1\)/);
    expect(() => checkRangeAgainstRoutes(r, [{ dst: '10.0.0.0/8' }])).toThrow(/overlaps/);
    expect(() => checkRangeAgainstRoutes(r, [{ dst: '10.220.9.9' }])).toThrow(/overlaps/);
    // the manager's own routes to its nodes (marked, via one of them) are not in the way; another cluster's are
    const own = { dst: '10.220.2.0/24', gateway: '10.210.0.12', protocol: '77' };
    expect(() => checkRangeAgainstRoutes(r, [own], 'network', new Set(['10.210.0.12']))).not.toThrow();
    expect(() => checkRangeAgainstRoutes(r, [own], 'network', new Set(['10.211.0.12']))).toThrow(/overlaps/);
    expect(() => checkRangeAgainstRoutes(r, [{ ...own, protocol: 'boot' }], 'network', new Set(['10.210.0.12']))).toThrow(/overlaps/);
  });
});
