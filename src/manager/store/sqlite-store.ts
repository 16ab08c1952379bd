import Database from 'better-sqlite3';
import type { NodeInfo } from '../../core/model.ts';
import type { Deployment, Store } from './store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS nodes (
  name TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  engine_port INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deployments (
  generation INTEGER PRIMARY KEY AUTOINCREMENT,
  file TEXT NOT NULL,
  source TEXT NOT NULL,
  replicas TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

interface DeploymentRow {
  generation: number;
  file: string;
  source: string;
  replicas: string;
  created_at: string;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    // WAL + synchronous NORMAL: a killed manager never leaves a torn write behind
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
  }

  listNodes(): NodeInfo[] {
    return this.db
      .prepare<[], { name: string; address: string; engine_port: number }>('SELECT name, address, engine_port FROM nodes ORDER BY name')
      .all()
      .map((r) => ({ name: r.name, address: r.address, enginePort: r.engine_port }));
  }

  upsertNode(n: NodeInfo): void {
    this.db
      .prepare('INSERT INTO nodes (name, address, engine_port) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET address = excluded.address, engine_port = excluded.engine_port')
      .run(n.name, n.address, n.enginePort);
  }

  removeNode(name: string): boolean {
    return this.db.prepare('DELETE FROM nodes WHERE name = ?').run(name).changes > 0;
  }

  currentDeployment(): Deployment | null {
    const row = this.db.prepare<[], DeploymentRow>('SELECT * FROM deployments ORDER BY generation DESC LIMIT 1').get();
    return row ? toDeployment(row) : null;
  }

  saveDeployment(d: Omit<Deployment, 'generation' | 'createdAt'>, now: Date): Deployment {
    const info = this.db
      .prepare('INSERT INTO deployments (file, source, replicas, created_at) VALUES (?, ?, ?, ?)')
      .run(d.file, d.source, JSON.stringify(d.replicas), now.toISOString());
    return { ...d, generation: Number(info.lastInsertRowid), createdAt: now.toISOString() };
  }

  getSetting(key: string): string | null {
    return this.db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get(key)?.value ?? null;
  }

  setSetting(key: string, value: string): void {
    this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    this.db.close();
  }
}

function toDeployment(r: DeploymentRow): Deployment {
  return { generation: r.generation, file: r.file, source: r.source, replicas: JSON.parse(r.replicas), createdAt: r.created_at };
}
