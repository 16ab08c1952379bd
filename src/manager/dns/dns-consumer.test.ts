import { describe, expect, it } from 'vitest';
import type { DnsZone } from '../../core/dns/zone.ts';
import type { ObservedNode, PublishedState, RoutedReplica } from '../../core/snapshot.ts';
import type { ObservedReplica } from '../../core/model.ts';
import { dnsConsumer, zoneOf, zoneRows } from './dns-consumer.ts';

const node = (name: string, address: string, driver: string | null = 'lab'): ObservedNode => ({
  name,
  address,
  enginePort: 2376,
  state: 'up',
  labels: {},
  apiLabels: {},
  availability: 'active',
  driver,
  capacity: null,
  engineVersion: null,
});
const replica = (containerId: string, n: string, id: string, address?: string): ObservedReplica => ({
  containerId,
  node: n,
  app: id.split('.')[0]!,
  id,
  revision: 'r1',
  state: 'running',
  hostPort: 30000,
  containerPort: 8080,
  ...(address !== undefined ? { address } : {}),
});
const routed = (r: ObservedReplica): RoutedReplica => ({
  route: { app: r.app, node: r.node, address: '10.210.0.1', port: 30000 },
  containerId: r.containerId,
  health: undefined,
});

const web0 = replica('c0', 'node2', 'web.0', '10.220.2.2');
const web1 = replica('c1', 'node3', 'web.1', '10.220.3.2');
const web2 = replica('c2', 'node3', 'web.2', '10.220.3.3');
const old = replica('c3', 'node1', 'web.3'); // started before the cluster network: no address
const state: PublishedState = {
  snapshot: {
    at: 0,
    nodes: [node('node1', '10.210.0.11'), node('node2', '10.210.0.12'), node('node3', '10.210.0.13'), node('sim1', '10.0.0.1', 'sim')],
    replicas: [web0, web1, web2, old],
    healthy: new Set(['c0', 'c1', 'c2', 'c3']),
  },
  // web.2 is not routed (unhealthy or draining): it is not answered either
  routes: [routed(web0), routed(web1), routed(old)],
  version: 1,
  generation: 1,
  apps: ['web'],
  // a warming replica is no name: DNS answers what serves
  warming: [routed(web2)],
};

describe('the .matrix names of a published state', () => {
  it('answers the routed replicas that have a cluster address, by app, by slot and SRV, and the real nodes', () => {
    const { zone } = zoneOf(state, 7);
    expect(zone.serial).toBe(7);
    expect(zone.a['web.matrix']).toEqual(['10.220.2.2', '10.220.3.2']);
    expect(zone.a['0.web.matrix']).toEqual(['10.220.2.2']);
    expect(zone.a['2.web.matrix']).toBeUndefined();
    expect(zone.a['3.web.matrix']).toBeUndefined();
    expect(zone.a['node3.matrix']).toEqual(['10.210.0.13']);
    expect(zone.a['sim1.matrix']).toBeUndefined();
    expect(zone.srv['_8080._tcp.web.matrix']).toEqual([
      { target: '0.web.matrix', port: 8080 },
      { target: '1.web.matrix', port: 8080 },
    ]);
  });

  it("a node that stops answering takes its replicas out of the zone at once, before the loop's next state", async () => {
    const published: DnsZone[] = [];
    const c = dnsConsumer({ publish: (z) => published.push(z) });
    await c.apply(state);
    await c.nodeDown!('node3', state);
    expect(published.map((z) => z.a['web.matrix'])).toEqual([['10.220.2.2', '10.220.3.2'], ['10.220.2.2']]);
    expect(published[1]!.serial).toBeGreaterThan(published[0]!.serial);
  });

  it('says a name it leaves out once, not at every publication', async () => {
    const said: string[][] = [];
    const bad: PublishedState = { ...state, snapshot: { ...state.snapshot, nodes: [...state.snapshot.nodes, node('web', '10.210.0.20')] } };
    const c = dnsConsumer({ publish: () => undefined }, (w) => said.push(w));
    await c.apply(bad);
    await c.apply({ ...bad, version: 2 });
    expect(said).toHaveLength(1);
    expect(said[0]!.join(' ')).toMatch(/web/);
  });

  it('lists the zone as rows: A records, then SRV, by name', () => {
    const rows = zoneRows(zoneOf(state, 1).zone);
    expect(rows[0]).toEqual({ name: '0.web.matrix', type: 'A', ttl: 1, value: '10.220.2.2' });
    expect(rows.at(-1)).toEqual({ name: '_8080._tcp.web.matrix', type: 'SRV', ttl: 1, value: '1.web.matrix:8080' });
    expect(rows.filter((r) => r.type === 'A').map((r) => r.name)).toEqual([...rows.filter((r) => r.type === 'A').map((r) => r.name)].sort());
  });
});
