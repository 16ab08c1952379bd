import { describe, expect, it } from 'vitest';
import type { DesiredReplica, NodeStatus, ObservedReplica } from './model.ts';
import { appCounts, replicaRows } from './replica-status.ts';

const nodes: NodeStatus[] = [
  { name: 'node1', address: '10.0.0.11', enginePort: 2376, state: 'down' },
  { name: 'node2', address: '10.0.0.12', enginePort: 2376, state: 'up' },
];
const d = (app: string, node: string, port: number, revision = 'r1'): DesiredReplica => ({
  app,
  node,
  image: `reg/cloud/${app}:latest`,
  hostPort: port,
  containerPort: 8080,
  id: `${app}.${node}.${port}`,
  revision,
});
const o = (r: DesiredReplica, state: ObservedReplica['state'] = 'running', revision = r.revision): ObservedReplica => ({
  containerId: `c-${r.id}`,
  node: r.node,
  app: r.app,
  id: r.id,
  revision,
  state,
  hostPort: r.hostPort,
  containerPort: 8080,
});

describe('replicaRows', () => {
  it("an internal replica shows its cluster address and container port, not the node's loopback-bound port", () => {
    const db = { ...d('db', 'node2', 32768), internal: true };
    const rows = replicaRows([db, { ...db, id: 'db.1' }], [{ ...o(db), internal: true, address: '10.220.2.3' }], nodes);
    expect(rows.map((r) => [r.id, r.address])).toEqual([
      ['db.1', '?:8080'],
      ['db.node2.32768', '10.220.2.3:8080'],
    ]);
  });

  it('shows observed containers and marks desired replicas without one', () => {
    const a1 = d('web', 'node1', 5050);
    const a2 = d('web', 'node2', 5050);
    const b2 = d('api', 'node2', 6000);
    const rows = replicaRows([a1, a2, b2], [o(a2)], nodes);
    expect(rows.map((r) => [r.app, r.node, r.state, r.address, r.containerId])).toEqual([
      ['api', 'node2', 'missing', '10.0.0.12:6000', null],
      ['web', 'node1', 'unknown (node down)', '10.0.0.11:5050', null],
      ['web', 'node2', 'running', '10.0.0.12:5050', 'c-web.node2.5050'],
    ]);
  });

  it('flags containers that are not (or no longer) desired', () => {
    const a2 = d('web', 'node2', 5050);
    const rows = replicaRows([a2], [o(a2, 'running', 'old'), o(d('gone', 'node2', 7000), 'exited')], nodes);
    expect(rows.map((r) => [r.app, r.state, r.desired])).toEqual([
      ['gone', 'exited', false],
      ['web', 'running', false],
    ]);
  });
});

describe('a slot that moved while its node was away', () => {
  it('the copy left on the old node is not desired, and the desired replica elsewhere still shows (missing until it runs)', () => {
    const here = d('web', 'node2', 5050);
    const moved = { ...here, node: 'node1' };
    const stale = o(here); // same id and revision, on node2
    const rows = replicaRows([moved], [stale], [{ ...nodes[0]!, state: 'up' }, nodes[1]!]);
    expect(rows.map((r) => [r.node, r.state, r.desired])).toEqual([
      ['node1', 'missing', true],
      ['node2', 'running', false],
    ]);
  });
});

describe('appCounts', () => {
  it('counts running desired replicas, and running containers on their way out apart', () => {
    const a = d('web', 'node2', 5050);
    const b = d('web', 'node2', 5051);
    const rows = replicaRows([a, b], [o(a), o(b, 'running', 'old'), o(d('web', 'node2', 5052)), o(d('api', 'node2', 6000))], nodes);
    expect(appCounts(rows, 'web')).toEqual({ running: 1, leaving: 2 });
    expect(appCounts(rows, 'nope')).toEqual({ running: 0, leaving: 0 });
  });
});

describe('replicaRows addresses', () => {
  it('never shows null: a replica with an engine-assigned port and no container shows "-"', () => {
    const lost = { ...d('web', 'node1', 5050), hostPort: null };
    const waiting = { ...d('api', 'node2', 6000), hostPort: null };
    const rows = replicaRows([lost, waiting], [], nodes);
    expect(rows.map((r) => r.address)).toEqual(['10.0.0.12:-', '10.0.0.11:-']);
    expect(rows.every((r) => !r.address.includes('null'))).toBe(true);
  });
});
