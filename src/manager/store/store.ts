/**
 * Desired state, placements and cluster membership. Observed state is never stored: it is
 * read back from the nodes (container labels). One interface; SQLite now, etcd later for HA.
 */
import type { AppSpec, NodeAvailability, NodeInfo, Placement, Strategy } from '../../core/model.ts';
import type { ClusterEvent, EventKind } from '../../shared/api-types.ts';

/** How many events the store keeps: the oldest go first. */
export const EVENTS_KEPT = 10_000;

export interface EventQuery {
  /** Only events with a larger id (`--follow`). */
  afterId?: number;
  /** Only events at or after this ISO time. */
  since?: string;
  app?: string;
  node?: string;
  kind?: EventKind;
  limit: number;
}

export interface Deployment {
  /** Increases by one per accepted change of desired state (deploy, scale, rm, rollback). */
  generation: number;
  /** The file of the change that made this generation (each project's own file: ProjectRecord). */
  kind: 'plan' | 'matrix' | 'compose';
  file: string;
  source: string;
  /** Every project's apps; each carries its `project`. */
  apps: AppSpec[];
  strategy: Strategy;
  createdAt: string;
}

/** A project: the file its apps were last deployed from. */
export interface ProjectRecord {
  name: string;
  kind: Deployment['kind'];
  file: string;
  source: string;
  updatedAt: string;
}

/** Project records written in the same transaction as a deployment. */
export interface ProjectChanges {
  put?: Omit<ProjectRecord, 'updatedAt'>[];
  drop?: string[];
}

/** An API token: only its SHA-256 is kept. */
export interface TokenRecord {
  id: string;
  name: string;
  role: 'viewer' | 'deployer' | 'admin';
  hash: string;
  createdAt: string;
}

/** A secret as the store keeps it: encrypted (manager/secrets/secret-box.ts); the key is not here. */
export interface SecretRecord {
  name: string;
  /** 1 on creation, +1 per `secret set`; bound into the encryption and stamped into app specs. */
  version: number;
  nonce: Buffer;
  ciphertext: Buffer;
  /** Plaintext length, for `secret ls`. */
  bytes: number;
  createdAt: string;
  updatedAt: string;
}

export type SecretMeta = Omit<SecretRecord, 'nonce' | 'ciphertext'>;

export interface StoredNode extends NodeInfo {
  /** Labels set through the API; engine labels are merged under them. */
  labels: Record<string, string>;
  availability: NodeAvailability;
  /** The machine driver that made it (`matrix node create`), or null. */
  driver: string | null;
  /**
   * Its index in the cluster network's range (1-based; `10.220.<subnet>.0/24` by default),
   * given when it joins and kept while it stays: its containers' addresses come from there.
   */
  subnet: number;
}

/** A node as registered or changed: labels, availability and driver are kept as they were when absent. */
export type NodeUpdate = NodeInfo & { labels?: Record<string, string>; availability?: NodeAvailability; driver?: string | null };

export interface Store {
  listNodes(): StoredNode[];
  upsertNode(node: NodeUpdate): void;
  removeNode(name: string): boolean;
  currentDeployment(): Deployment | null;
  /** Newest first. */
  deploymentHistory(limit: number): Deployment[];
  /** Atomically records a new desired state (and project records); returns it with its generation. */
  saveDeployment(d: Omit<Deployment, 'generation' | 'createdAt'>, now: Date, projects?: ProjectChanges): Deployment;
  listProjects(): ProjectRecord[];
  listPlacements(): Placement[];
  /** One transaction: upserts `put`, deletes `drop` (by app+slot). */
  updatePlacements(put: Placement[], drop: Pick<Placement, 'app' | 'slot'>[]): void;
  getSetting(key: string): string | null;
  setSetting(key: string, value: string): void;
  deleteSetting(key: string): void;
  listSecrets(): SecretMeta[];
  getSecret(name: string): SecretRecord | null;
  /**
   * Writes the secret (created or replaced); with `next`, that deployment (the apps that
   * receive the secret at its new version) is saved in the same transaction and returned.
   */
  putSecret(s: Omit<SecretRecord, 'createdAt' | 'updatedAt'>, now: Date, next?: Omit<Deployment, 'generation' | 'createdAt'>): Deployment | null;
  removeSecret(name: string): boolean;
  listTokens(): TokenRecord[];
  addToken(t: TokenRecord): void;
  removeToken(id: string): boolean;
  /** Keeps the event (the oldest go beyond EVENTS_KEPT); returns it with its id. */
  addEvent(e: ClusterEvent): ClusterEvent;
  /** Oldest first: the newest `limit` events that match. */
  listEvents(q: EventQuery): ClusterEvent[];
  /** Throws unless the store answers a trivial query (health checks). */
  ping(): void;
  close(): void;
}

/** The same deployment with other apps, ready to save as the next generation (scale, rollback). */
export function withApps(d: Deployment, apps: AppSpec[]): Omit<Deployment, 'generation' | 'createdAt'> {
  return { kind: d.kind, file: d.file, source: d.source, strategy: d.strategy, apps };
}
