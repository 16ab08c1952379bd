import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DesiredReplica } from '../../core/model.ts';
import { SqliteStore } from './sqlite-store.ts';

const dirs: string[] = [];
function fresh(): { path: string } {
  const d = mkdtempSync(join(tmpdir(), 'mx-store-'));
  dirs.push(d);
  return { path: join(d, 'state.db') };
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const replica: DesiredReplica = {
  app: 'web', node: 'node1', image: 'r:5000/cloud/web:latest', hostPort: 5050, containerPort: 8080,
  id: 'web.node1.5050', revision: 'abc', source: 'p:1',
};

describe('SqliteStore', () => {
  it('upserts, lists and removes nodes', () => {
    const s = new SqliteStore(fresh().path);
    s.upsertNode({ name: 'node2', address: '10.0.0.12', enginePort: 2376 });
    s.upsertNode({ name: 'node1', address: '10.0.0.11', enginePort: 2376 });
    s.upsertNode({ name: 'node1', address: '10.0.0.99', enginePort: 2377 });
    expect(s.listNodes()).toEqual([
      { name: 'node1', address: '10.0.0.99', enginePort: 2377 },
      { name: 'node2', address: '10.0.0.12', enginePort: 2376 },
    ]);
    expect(s.removeNode('node2')).toBe(true);
    expect(s.removeNode('node2')).toBe(false);
    expect(s.listNodes().map((n) => n.name)).toEqual(['node1']);
  });

  it('keeps deployments in generations and survives reopening', () => {
    const { path } = fresh();
    const s = new SqliteStore(path);
    expect(s.currentDeployment()).toBeNull();
    const a = s.saveDeployment({ file: 'a.plan', source: 'x', replicas: [replica] }, new Date(0));
    const b = s.saveDeployment({ file: 'b.plan', source: 'y', replicas: [] }, new Date(1000));
    expect(b.generation).toBe(a.generation + 1);
    s.close();
    const again = new SqliteStore(path);
    expect(again.currentDeployment()).toEqual(b);
    again.close();
  });

  it('stores settings', () => {
    const s = new SqliteStore(fresh().path);
    expect(s.getSetting('token')).toBeNull();
    s.setSetting('token', 't1');
    s.setSetting('token', 't2');
    expect(s.getSetting('token')).toBe('t2');
  });
});
