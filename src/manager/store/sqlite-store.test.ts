import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppSpec } from '../../core/model.ts';
import Database from 'better-sqlite3';
import { SqliteStore } from './sqlite-store.ts';
import { EVENTS_KEPT } from './store.ts';
import type { ClusterEvent } from '../../shared/api-types.ts';

const dirs: string[] = [];
function fresh(): { path: string } {
  const d = mkdtempSync(join(tmpdir(), 'mx-store-'));
  dirs.push(d);
  return { path: join(d, 'state.db') };
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const web: AppSpec = {
  name: 'web',
  image: 'cloud/web',
  replicas: 3,
  port: 8080,
  resources: { cpus: 0, memoryMb: 0 },
  constraints: [],
  affinity: [],
  antiAffinity: [],
  dependsOn: [],
  env: {},
  restart: 'unless-stopped',
};

describe('SqliteStore', () => {
  it('upserts, lists and removes nodes, keeping labels unless new ones are given', () => {
    const s = new SqliteStore(fresh().path);
    s.upsertNode({ name: 'node2', address: '10.0.0.12', enginePort: 2376 });
    s.upsertNode({ name: 'node1', address: '10.0.0.11', enginePort: 2376, labels: { zone: 'a' } });
    s.upsertNode({ name: 'node1', address: '10.0.0.99', enginePort: 2377 });
    expect(s.listNodes()).toEqual([
      { name: 'node1', address: '10.0.0.99', enginePort: 2377, labels: { zone: 'a' }, availability: 'active', driver: null, subnet: 2 },
      { name: 'node2', address: '10.0.0.12', enginePort: 2376, labels: {}, availability: 'active', driver: null, subnet: 1 },
    ]);
    s.upsertNode({ name: 'node1', address: '10.0.0.99', enginePort: 2377, labels: {} });
    expect(s.listNodes()[0]!.labels).toEqual({});
    expect(s.removeNode('node2')).toBe(true);
    expect(s.removeNode('node2')).toBe(false);
    expect(s.listNodes().map((n) => n.name)).toEqual(['node1']);
  });

  it('keeps a node drained until it is activated; an update without availability leaves it as it was', () => {
    const s = new SqliteStore(fresh().path);
    s.upsertNode({ name: 'node1', address: '10.0.0.11', enginePort: 2376, availability: 'drain' });
    s.upsertNode({ name: 'node1', address: '10.0.0.11', enginePort: 2376, labels: { zone: 'a' } });
    expect(s.listNodes()[0]).toMatchObject({ labels: { zone: 'a' }, availability: 'drain' });
    s.upsertNode({ name: 'node1', address: '10.0.0.11', enginePort: 2376, availability: 'active' });
    expect(s.listNodes()[0]).toMatchObject({ labels: { zone: 'a' }, availability: 'active' });
  });

  it("keeps an engine's unix socket as given with each change, like its address", () => {
    const s = new SqliteStore(fresh().path);
    s.upsertNode({ name: 'local', address: '127.0.0.1', enginePort: 2376, socket: '/var/run/docker.sock', driver: 'local' });
    expect(s.listNodes()[0]).toMatchObject({ socket: '/var/run/docker.sock', driver: 'local' });
    s.upsertNode({ name: 'local', address: '127.0.0.1', enginePort: 2376 });
    expect(s.listNodes()[0]).not.toHaveProperty('socket');
  });

  it('keeps the driver that made a node through later changes that do not name one', () => {
    const s = new SqliteStore(fresh().path);
    s.upsertNode({ name: 'web1', address: '10.0.0.21', enginePort: 2376, driver: 'ssh' });
    s.upsertNode({ name: 'web1', address: '10.0.0.21', enginePort: 2376, availability: 'drain' });
    s.upsertNode({ ...s.listNodes()[0]!, driver: null });
    expect(s.listNodes()[0]).toMatchObject({ driver: 'ssh', availability: 'drain' });
  });

  it('opens a store made before nodes had an availability: its nodes are active, and can be drained', () => {
    const { path } = fresh();
    const old = new Database(path);
    old.exec(`CREATE TABLE cluster_nodes (name TEXT PRIMARY KEY, address TEXT NOT NULL, engine_port INTEGER NOT NULL, labels TEXT NOT NULL DEFAULT '{}');
      INSERT INTO cluster_nodes VALUES ('node1', '10.0.0.11', 2376, '{"zone":"a"}');`);
    old.close();
    const s = new SqliteStore(path);
    expect(s.listNodes()).toEqual([
      { name: 'node1', address: '10.0.0.11', enginePort: 2376, labels: { zone: 'a' }, availability: 'active', driver: null, subnet: 1 },
    ]);
    s.upsertNode({ name: 'node1', address: '10.0.0.11', enginePort: 2376, availability: 'drain' });
    expect(new SqliteStore(path).listNodes()[0]!.availability).toBe('drain');
  });

  it("numbers each node's share of the cluster network when it joins: the lowest free, kept through changes, freed when it leaves", () => {
    const { path } = fresh();
    const s = new SqliteStore(path);
    const add = (name: string) => s.upsertNode({ name, address: `10.0.0.${name.length}`, enginePort: 2376 });
    add('a');
    add('b');
    add('c');
    s.upsertNode({ name: 'b', address: '10.0.0.99', enginePort: 2376, availability: 'drain' });
    const subnets = () => Object.fromEntries(s.listNodes().map((n) => [n.name, n.subnet]));
    expect(subnets()).toEqual({ a: 1, b: 2, c: 3 });
    s.removeNode('b');
    add('d');
    expect(subnets()).toEqual({ a: 1, c: 3, d: 2 });
    expect(new SqliteStore(path).listNodes().map((n) => n.subnet)).toEqual([1, 3, 2]);
  });

  it('numbers the nodes of a store made before the cluster network, in name order', () => {
    const { path } = fresh();
    const old = new Database(path);
    old.exec(`CREATE TABLE cluster_nodes (name TEXT PRIMARY KEY, address TEXT NOT NULL, engine_port INTEGER NOT NULL, labels TEXT NOT NULL DEFAULT '{}');
      INSERT INTO cluster_nodes VALUES ('zeta', '10.0.0.12', 2376, '{}'), ('alpha', '10.0.0.11', 2376, '{}');`);
    old.close();
    expect(new SqliteStore(path).listNodes().map((n) => [n.name, n.subnet])).toEqual([
      ['alpha', 1],
      ['zeta', 2],
    ]);
  });

  it('keeps deployments in generations and survives reopening', () => {
    const { path } = fresh();
    const s = new SqliteStore(path);
    expect(s.currentDeployment()).toBeNull();
    const a = s.saveDeployment({ kind: 'matrix', file: 'a.yaml', source: 'x', apps: [web], strategy: 'spread' }, new Date(0));
    const b = s.saveDeployment({ kind: 'plan', file: 'b.plan', source: 'y', apps: [], strategy: 'binpack' }, new Date(1000));
    expect(b.generation).toBe(a.generation + 1);
    expect(s.deploymentHistory(10).map((d) => d.generation)).toEqual([b.generation, a.generation]);
    expect(s.deploymentHistory(1)).toEqual([b]);
    s.close();
    const again = new SqliteStore(path);
    expect(again.currentDeployment()).toEqual(b);
    again.close();
  });

  it('updates placements in one transaction: upserts and drops', () => {
    const s = new SqliteStore(fresh().path);
    s.updatePlacements(
      [
        { app: 'web', slot: 0, node: 'n1', hostPort: null },
        { app: 'web', slot: 1, node: 'n2', hostPort: 5050 },
      ],
      [],
    );
    s.updatePlacements([{ app: 'web', slot: 0, node: 'n3', hostPort: null }], [{ app: 'web', slot: 1 }]);
    expect(s.listPlacements()).toEqual([{ app: 'web', slot: 0, node: 'n3', hostPort: null }]);
  });

  it('stores settings', () => {
    const s = new SqliteStore(fresh().path);
    expect(s.getSetting('token')).toBeNull();
    s.setSetting('token', 't1');
    s.setSetting('token', 't2');
    expect(s.getSetting('token')).toBe('t2');
  });
});

describe('SqliteStore events', () => {
  const ev = (i: number, o: Partial<ClusterEvent> = {}): ClusterEvent => ({
    at: new Date(Date.UTC(2026, 10, 27, 10, 0, i)).toISOString(),
    kind: 'replica-started',
    subject: `web.${i}`,
    app: 'web',
    node: `node${(i % 3) + 1}`,
    message: `web.${i} started`,
    ...o,
  });

  it('keeps events with increasing ids, across a reopen, and answers by app, node, kind, time and id, newest `limit` oldest first', () => {
    const f = fresh();
    const s = new SqliteStore(f.path);
    for (let i = 0; i < 9; i++) expect(s.addEvent(ev(i)).id).toBe(i + 1);
    s.addEvent(ev(9, { kind: 'node-down', subject: 'node2', app: undefined, node: 'node2', message: 'node node2 is down', data: { why: 'x' } }));
    s.close();
    const again = new SqliteStore(f.path);
    expect(again.listEvents({ limit: 3 }).map((e) => e.id)).toEqual([8, 9, 10]);
    expect(again.listEvents({ limit: 100, node: 'node2' }).map((e) => e.subject)).toEqual(['web.1', 'web.4', 'web.7', 'node2']);
    expect(again.listEvents({ limit: 100, kind: 'node-down' })).toEqual([
      { id: 10, at: ev(9).at, kind: 'node-down', subject: 'node2', node: 'node2', message: 'node node2 is down', data: { why: 'x' } },
    ]);
    expect(again.listEvents({ limit: 100, app: 'web', afterId: 6 }).map((e) => e.id)).toEqual([7, 8, 9]);
    expect(again.listEvents({ limit: 100, since: ev(8).at }).map((e) => e.id)).toEqual([9, 10]);
    expect(again.listEvents({ limit: 100, app: 'nope' })).toEqual([]);
    again.close();
  });

  it('keeps at most EVENTS_KEPT: the oldest go', () => {
    const s = new SqliteStore(fresh().path);
    const n = EVENTS_KEPT + 250;
    for (let i = 0; i < n; i++) s.addEvent(ev(i % 60));
    const all = s.listEvents({ limit: n });
    expect(all.length).toBeLessThanOrEqual(EVENTS_KEPT + 100);
    expect(all.length).toBeGreaterThanOrEqual(EVENTS_KEPT);
    expect(all.at(-1)!.id).toBe(n);
    s.close();
  });
});
