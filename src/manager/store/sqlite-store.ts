import Database from 'better-sqlite3';
import type { AppSpec, Placement } from '../../core/model.ts';
import { projectNameFromFile } from '../../core/projects.ts';
import { lowestFreeIndex } from '../../core/network/cluster-network.ts';
import type { ClusterEvent, EventKind } from '../../shared/api-types.ts';
import {
  EVENTS_KEPT,
  type Deployment,
  type EventQuery,
  type ProjectChanges,
  type ProjectRecord,
  type SecretMeta,
  type SecretRecord,
  type Store,
  type StoredNode,
  type NodeUpdate,
  type TokenRecord,
} from './store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cluster_nodes (
  name TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  engine_port INTEGER NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}',
  availability TEXT NOT NULL DEFAULT 'active',
  driver TEXT,
  engine_socket TEXT,
  subnet INTEGER UNIQUE
);
CREATE TABLE IF NOT EXISTS app_deployments (
  generation INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  file TEXT NOT NULL,
  source TEXT NOT NULL,
  apps TEXT NOT NULL,
  strategy TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS placements (
  app TEXT NOT NULL,
  slot INTEGER NOT NULL,
  node TEXT NOT NULL,
  host_port INTEGER,
  PRIMARY KEY (app, slot)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS projects (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  file TEXT NOT NULL,
  source TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (
  name TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  nonce BLOB NOT NULL,
  ciphertext BLOB NOT NULL,
  bytes INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  app TEXT,
  node TEXT,
  message TEXT NOT NULL,
  data TEXT
);
CREATE INDEX IF NOT EXISTS events_app ON events (app, id);
CREATE INDEX IF NOT EXISTS events_node ON events (node, id);
`;

interface EventRow {
  id: number;
  at: string;
  kind: string;
  subject: string;
  app: string | null;
  node: string | null;
  message: string;
  data: string | null;
}

interface DeploymentRow {
  generation: number;
  kind: Deployment['kind'];
  file: string;
  source: string;
  apps: string;
  strategy: Deployment['strategy'];
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
    this.migrate();
  }

  /** Columns added after a store was first created: added to older stores, with their defaults. */
  private migrate(): void {
    const has = (table: string, column: string) =>
      this.db
        .prepare<[], { name: string }>(`PRAGMA table_info(${table})`)
        .all()
        .some((c) => c.name === column);
    if (!has('cluster_nodes', 'availability')) this.db.exec("ALTER TABLE cluster_nodes ADD COLUMN availability TEXT NOT NULL DEFAULT 'active'");
    if (!has('cluster_nodes', 'driver')) this.db.exec('ALTER TABLE cluster_nodes ADD COLUMN driver TEXT');
    if (!has('cluster_nodes', 'engine_socket')) this.db.exec('ALTER TABLE cluster_nodes ADD COLUMN engine_socket TEXT');
    if (!has('cluster_nodes', 'subnet')) {
      this.db.exec('ALTER TABLE cluster_nodes ADD COLUMN subnet INTEGER');
      this.db.exec('CREATE UNIQUE INDEX IF NOT EXISTS cluster_nodes_subnet ON cluster_nodes (subnet)');
    }
    // nodes registered before the cluster network existed get theirs now, in name order
    const without = this.db.prepare<[], { name: string }>('SELECT name FROM cluster_nodes WHERE subnet IS NULL ORDER BY name').all();
    for (const { name } of without) this.giveSubnet(name);
  }

  /** The lowest free index: one that left the cluster is given again only once it has gone. */
  private giveSubnet(name: string): void {
    const used = this.db
      .prepare<[], { subnet: number }>('SELECT subnet FROM cluster_nodes WHERE subnet IS NOT NULL')
      .all()
      .map((r) => r.subnet);
    this.db.prepare('UPDATE cluster_nodes SET subnet = ? WHERE name = ? AND subnet IS NULL').run(lowestFreeIndex(used), name);
  }

  listNodes(): StoredNode[] {
    return this.db
      .prepare<
        [],
        {
          name: string;
          address: string;
          engine_port: number;
          labels: string;
          availability: string;
          driver: string | null;
          engine_socket: string | null;
          subnet: number;
        }
      >('SELECT * FROM cluster_nodes ORDER BY name')
      .all()
      .map((r) => ({
        name: r.name,
        address: r.address,
        enginePort: r.engine_port,
        ...(r.engine_socket !== null ? { socket: r.engine_socket } : {}),
        labels: JSON.parse(r.labels) as Record<string, string>,
        availability: r.availability === 'drain' ? 'drain' : 'active',
        driver: r.driver,
        subnet: r.subnet,
      }));
  }

  upsertNode(n: NodeUpdate): void {
    const labels = n.labels ? JSON.stringify(n.labels) : null;
    const availability = n.availability ?? null;
    const driver = n.driver ?? null;
    const upsert = this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO cluster_nodes (name, address, engine_port, engine_socket, labels, availability, driver) VALUES (?, ?, ?, ?, COALESCE(?, '{}'), COALESCE(?, 'active'), ?)
         ON CONFLICT(name) DO UPDATE SET address = excluded.address, engine_port = excluded.engine_port, engine_socket = excluded.engine_socket,
           labels = COALESCE(?, cluster_nodes.labels), availability = COALESCE(?, cluster_nodes.availability),
           driver = COALESCE(?, cluster_nodes.driver)`,
        )
        .run(n.name, n.address, n.enginePort, n.socket ?? null, labels, availability, driver, labels, availability, driver);
      this.giveSubnet(n.name);
    });
    upsert();
  }

  removeNode(name: string): boolean {
    return this.db.prepare('DELETE FROM cluster_nodes WHERE name = ?').run(name).changes > 0;
  }

  currentDeployment(): Deployment | null {
    const row = this.db.prepare<[], DeploymentRow>('SELECT * FROM app_deployments ORDER BY generation DESC LIMIT 1').get();
    return row ? toDeployment(row) : null;
  }

  deploymentHistory(limit: number): Deployment[] {
    return this.db.prepare<[number], DeploymentRow>('SELECT * FROM app_deployments ORDER BY generation DESC LIMIT ?').all(limit).map(toDeployment);
  }

  saveDeployment(d: Omit<Deployment, 'generation' | 'createdAt'>, now: Date, projects: ProjectChanges = {}): Deployment {
    return this.db.transaction(() => this.insertDeployment(d, now, projects))();
  }

  /** Call inside a transaction. */
  private insertDeployment(d: Omit<Deployment, 'generation' | 'createdAt'>, now: Date, projects: ProjectChanges): Deployment {
    const at = now.toISOString();
    const insert = this.db.prepare('INSERT INTO app_deployments (kind, file, source, apps, strategy, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    const put = this.db.prepare(
      `INSERT INTO projects (name, kind, file, source, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, file = excluded.file, source = excluded.source, updated_at = excluded.updated_at`,
    );
    const drop = this.db.prepare('DELETE FROM projects WHERE name = ?');
    const info = insert.run(d.kind, d.file, d.source, JSON.stringify(d.apps), d.strategy, at);
    for (const p of projects.put ?? []) put.run(p.name, p.kind, p.file, p.source, at);
    for (const name of projects.drop ?? []) drop.run(name);
    return { ...d, generation: Number(info.lastInsertRowid), createdAt: at };
  }

  listProjects(): ProjectRecord[] {
    return this.db
      .prepare<[], { name: string; kind: ProjectRecord['kind']; file: string; source: string; updated_at: string }>('SELECT * FROM projects ORDER BY name')
      .all()
      .map((r) => ({ name: r.name, kind: r.kind, file: r.file, source: r.source, updatedAt: r.updated_at }));
  }

  listPlacements(): Placement[] {
    return this.db
      .prepare<[], { app: string; slot: number; node: string; host_port: number | null }>('SELECT * FROM placements ORDER BY app, slot')
      .all()
      .map((r) => ({ app: r.app, slot: r.slot, node: r.node, hostPort: r.host_port }));
  }

  updatePlacements(put: Placement[], drop: Pick<Placement, 'app' | 'slot'>[]): void {
    const up = this.db.prepare(
      'INSERT INTO placements (app, slot, node, host_port) VALUES (?, ?, ?, ?) ON CONFLICT(app, slot) DO UPDATE SET node = excluded.node, host_port = excluded.host_port',
    );
    const del = this.db.prepare('DELETE FROM placements WHERE app = ? AND slot = ?');
    this.db.transaction(() => {
      for (const d of drop) del.run(d.app, d.slot);
      for (const p of put) up.run(p.app, p.slot, p.node, p.hostPort);
    })();
  }

  getSetting(key: string): string | null {
    return this.db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get(key)?.value ?? null;
  }

  setSetting(key: string, value: string): void {
    this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  deleteSetting(key: string): void {
    this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  }

  listSecrets(): SecretMeta[] {
    return this.db
      .prepare<[], SecretRow>('SELECT name, version, bytes, created_at, updated_at FROM secrets ORDER BY name')
      .all()
      .map((r) => ({ name: r.name, version: r.version, bytes: r.bytes, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  getSecret(name: string): SecretRecord | null {
    const r = this.db.prepare<[string], SecretRow & { nonce: Buffer; ciphertext: Buffer }>('SELECT * FROM secrets WHERE name = ?').get(name);
    return r
      ? { name: r.name, version: r.version, nonce: r.nonce, ciphertext: r.ciphertext, bytes: r.bytes, createdAt: r.created_at, updatedAt: r.updated_at }
      : null;
  }

  putSecret(s: Omit<SecretRecord, 'createdAt' | 'updatedAt'>, now: Date, next?: Omit<Deployment, 'generation' | 'createdAt'>): Deployment | null {
    const at = now.toISOString();
    const up = this.db.prepare(
      `INSERT INTO secrets (name, version, nonce, ciphertext, bytes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET version = excluded.version, nonce = excluded.nonce, ciphertext = excluded.ciphertext,
         bytes = excluded.bytes, updated_at = excluded.updated_at`,
    );
    return this.db.transaction(() => {
      up.run(s.name, s.version, s.nonce, s.ciphertext, s.bytes, at, at);
      return next ? this.insertDeployment(next, now, {}) : null;
    })();
  }

  removeSecret(name: string): boolean {
    return this.db.prepare('DELETE FROM secrets WHERE name = ?').run(name).changes > 0;
  }

  listTokens(): TokenRecord[] {
    return this.db
      .prepare<[], { id: string; name: string; role: TokenRecord['role']; hash: string; created_at: string }>(
        'SELECT * FROM api_tokens ORDER BY created_at, id',
      )
      .all()
      .map((r) => ({ id: r.id, name: r.name, role: r.role, hash: r.hash, createdAt: r.created_at }));
  }

  addToken(t: TokenRecord): void {
    this.db.prepare('INSERT INTO api_tokens (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)').run(t.id, t.name, t.role, t.hash, t.createdAt);
  }

  removeToken(id: string): boolean {
    return this.db.prepare('DELETE FROM api_tokens WHERE id = ?').run(id).changes > 0;
  }

  addEvent(e: ClusterEvent): ClusterEvent {
    const r = this.db
      .prepare('INSERT INTO events (at, kind, subject, app, node, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(e.at, e.kind, e.subject, e.app ?? null, e.node ?? null, e.message, e.data ? JSON.stringify(e.data) : null);
    const id = Number(r.lastInsertRowid);
    // bounded: trimmed in steps, not at every insert
    if (id % 100 === 0) this.db.prepare('DELETE FROM events WHERE id <= ?').run(id - EVENTS_KEPT);
    return { ...e, id };
  }

  listEvents(q: EventQuery): ClusterEvent[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const cond = (sql: string, v: string | number | undefined): void => {
      if (v === undefined) return;
      where.push(sql);
      args.push(v);
    };
    cond('id > ?', q.afterId);
    cond('at >= ?', q.since);
    cond('app = ?', q.app);
    cond('node = ?', q.node);
    cond('kind = ?', q.kind);
    const rows = this.db
      .prepare<(string | number)[], EventRow>(
        `SELECT * FROM (SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?) ORDER BY id`,
      )
      .all(...args, q.limit);
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      kind: r.kind as EventKind,
      subject: r.subject,
      ...(r.app !== null ? { app: r.app } : {}),
      ...(r.node !== null ? { node: r.node } : {}),
      message: r.message,
      ...(r.data !== null ? { data: JSON.parse(r.data) as Record<string, string> } : {}),
    }));
  }

  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  close(): void {
    this.db.close();
  }
}

interface SecretRow {
  name: string;
  version: number;
  bytes: number;
  created_at: string;
  updated_at: string;
}

function toDeployment(r: DeploymentRow): Deployment {
  // apps stored before projects existed belong to the project named after their file
  const fallback = projectNameFromFile(r.file);
  return {
    generation: r.generation,
    kind: r.kind,
    file: r.file,
    source: r.source,
    apps: (JSON.parse(r.apps) as AppSpec[]).map((a) => (a.project ? a : { ...a, project: fallback })),
    strategy: r.strategy,
    createdAt: r.created_at,
  };
}
