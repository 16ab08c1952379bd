/**
 * The manager API's request and answer bodies: one definition, used by the server's routes
 * (src/manager/api) and by the CLI's typed client (src/cli/api-client.ts).
 */
import type { AppRevisionEntry } from '../core/app-revision.ts';
import type { BlockKind } from '../core/reconcile/reconcile.ts';
import type { AppSpec, Placement } from '../core/model.ts';
import type { ReplicaRow } from '../core/replica-status.ts';
import type { ObservedNode } from '../core/snapshot.ts';
import type { SpecWarning } from '../core/appspec/load-spec.ts';

export type { AppRevisionEntry, AppSpec, Placement, ReplicaRow, SpecWarning };

export interface DeployRequest {
  /** The file's name (its base name names the project when nothing else does). */
  file: string;
  source: string;
  dryRun: boolean;
  /** `--project`: used when the file has no `name:` key. */
  project?: string;
  /** Remove the project's apps that are missing from the file. */
  prune?: boolean;
}

export interface ScaleRequest {
  replicas: number;
  dryRun: boolean;
}

export interface RemoveAppsRequest {
  apps: string[];
  dryRun: boolean;
}

export interface BlockedView {
  app: string;
  id: string;
  node: string;
  kind: BlockKind;
  reason: string;
}

export interface UnplacedView {
  app: string;
  slot: number;
  message: string;
}

/** The answer to every change of desired state: deploy, scale, rm, project rm, rollback. */
export interface ChangeResult {
  /** The project the change belongs to (deploy, project rm); null for changes by app. */
  project: string | null;
  dryRun: boolean;
  /** The recorded generation; null for a dry run. */
  generation: number | null;
  /** What the loop's first pass on the change did (or, dry run, would do) to the apps it touches. */
  actions: string[];
  blocked: BlockedView[];
  unplaced: UnplacedView[];
  warnings: SpecWarning[];
  failed: { action: string; error: string }[];
  /** Desired replicas of the apps the change touches. */
  replicas: number;
  added: string[];
  changed: string[];
  unchanged: string[];
  /** The project's apps missing from the file, left running (no `--prune`). */
  kept: string[];
  removed: string[];
  /** The change is recorded but the loop had not finished a pass on it when this was sent. */
  pending: boolean;
}

export interface RollbackResult extends ChangeResult {
  from: string;
  to: string;
}

export interface RollbackView {
  at: string;
  reason: string;
  fromImage: string;
  toImage: string;
}

export interface AppSummary {
  name: string;
  project: string;
  image: string;
  revision: string;
  desired: number;
  running: number;
  /** Containers of the app not in the desired state that still run: drained and on their way out. */
  leaving: number;
  unplaced: number;
  /** Desired replicas placed on simulated nodes (the sim driver): they run, but nothing routes to them. */
  simulated: number;
  /** Its replicas never leave their node: a plan file pins them, or they stay with their volumes. */
  pinned: boolean;
  /** `expose: internal`: answered inside the cluster only, never through the ingress. */
  internal: boolean;
  /** It has named volumes (its replicas stay on their nodes with them: `pinned` is true too). */
  volumes: boolean;
  /** A rolling update is under way (replicas that only drain, out of the ingress already, do not count). */
  updating: boolean;
  /** Replicas the ingress routes to now (its last applied configuration). */
  serving: number;
  /** Of those, replicas that are not the desired state (an old revision, a moved or scaled-away one): the change is not through the ingress yet. */
  servingOld: number;
  rollbacks: number;
}

export interface AppDetail {
  app: AppSpec;
  revision: string;
  placements: Placement[];
  replicas: ReplicaRow[];
  unplaced: UnplacedView[];
  blocked: BlockedView[];
  rollbacks: RollbackView[];
}

export type NodeView = ObservedNode;

export interface ReplicasView {
  replicas: ReplicaRow[];
  desired: number;
  unplaced: UnplacedView[];
}

export interface ProjectView {
  name: string;
  apps: string[];
  kind: string | null;
  file: string | null;
  updatedAt: string | null;
}

export interface ConsumerStatus {
  name: string;
  state: 'ok' | 'failing' | 'waiting';
  /** The version of the newest cluster state applied. */
  applied: number;
  /** The version of the newest cluster state offered. */
  offered: number;
  /** The desired generation of the newest state applied: for the ingress, the generation its loaded VCL routes. */
  appliedGeneration: number;
  /** The desired generation of the newest state offered. */
  offeredGeneration: number;
  failures: number;
  lastError?: string;
  failingSince?: string;
  nextRetryAt?: string;
}

export const EVENT_KINDS = [
  'deploy',
  'replica-started',
  'replica-stopped',
  'replica-failed',
  'node-up',
  'node-down',
  'rollback',
  'ingress-reload',
  'consumer-failing',
  'consumer-recovered',
  'app-failed',
  'component-down',
  'component-restarted',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** One of the manager's own processes (ingress, registry), as its supervisor sees it. */
export interface ComponentStatus {
  name: string;
  state: 'up' | 'down';
  /** When it last went up or down. */
  since: string;
  restarts: number;
  lastError: string | null;
  /** Besides up or down, while up: for the ingress, the active VCL. */
  detail?: string;
}

export interface ClusterEvent {
  /** Increasing; set once the event is kept in the store (`matrix events --follow` asks for those after the last it saw). */
  id?: number;
  at: string;
  kind: EventKind;
  /** The node, app or consumer the event is about. */
  subject: string;
  /** The app and the node it concerns, when it concerns one (what `matrix events --app/--node` filter on). */
  app?: string;
  node?: string;
  message: string;
  /** Structured details (a rollback's images), never secrets. */
  data?: Record<string, string>;
}

/** `GET /v1/events`: oldest first. */
export interface EventsView {
  events: ClusterEvent[];
}

/** A node in `GET /v1/stats`: its usage is its cloudmatrix containers' (null: not measured, the node did not answer). */
export interface NodeStats {
  name: string;
  state: string;
  cpus: number | null;
  /** Percent of one CPU, summed over its containers (as `docker stats`). */
  cpuPercent: number | null;
  memoryBytes: number | null;
  memoryTotalBytes: number | null;
  /** Images, containers' writable layers and volumes on the engine. */
  diskBytes: number | null;
  containers: number;
}

export interface AppStats {
  name: string;
  desired: number;
  running: number;
  cpuPercent: number | null;
  memoryBytes: number | null;
  /** Requests the ingress fetched from its replicas, per second, over the reading (null: the ingress did not answer). */
  requestsPerSecond: number | null;
  /** Fetches that failed (no connection, timeouts), per second. */
  failedPerSecond: number | null;
}

export interface StatsView {
  at: string;
  nodes: NodeStats[];
  apps: AppStats[];
  /** What could not be read (a node, the ingress): the rest is still given. */
  errors: { subject: string; message: string }[];
}

/** One line an app's replica wrote, as `GET /v1/apps/:name/logs` answers it. */
export interface LogLine {
  /** When the engine received it: RFC 3339 with 9 digits of fraction (these order as strings). */
  at: string;
  replica: string;
  node: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface LogsView {
  /** Every replica's lines, merged in time order. */
  lines: LogLine[];
  /** Replicas whose logs could not be read (a node down, say): the others' lines are still given. */
  errors: { replica: string; node: string; message: string }[];
}

export type TokenRole = 'viewer' | 'deployer' | 'admin';

export interface TokenView {
  id: string;
  name: string;
  role: TokenRole;
  createdAt: string | null;
}

/** The answer to `POST /v1/tokens`: the only time the token itself is shown. */
export interface NewToken extends TokenView {
  token: string;
}

/** A secret as the API shows it: never its value. */
export interface SecretView {
  name: string;
  version: number;
  bytes: number;
  createdAt: string;
  updatedAt: string;
  /** Apps that receive it (a secret in use cannot be removed). */
  usedBy: string[];
}

/** The answer to `PUT /v1/secrets/:name`: the apps that receive it roll to the new version. */
export interface SecretSetResult {
  secret: SecretView;
  created: boolean;
  /** The rollout of the apps that use it; null when none does. */
  change: ChangeResult | null;
}

export interface StatusView {
  generation: number;
  nodes: { up: number; down: number };
  apps: number;
  /** Desired counts unplaced replicas too, as `matrix ps` does. */
  replicas: { desired: number; running: number };
  consumers: ConsumerStatus[];
  /** The manager's own processes; absent from a manager that does not supervise them. */
  components?: ComponentStatus[];
  store: { state: 'up' | 'down'; lastError: string | null };
  /** Each node's engine as the last observation saw it. */
  engines: { name: string; address: string; state: 'up' | 'down'; since: string | null; lastError: string | null }[];
  events: ClusterEvent[];
}

/** `GET /v1/volumes`: cloudmatrix's named volumes on the nodes that answer. */
export interface VolumesView {
  volumes: (NodeVolumeView & { node: string })[];
  /** Nodes that did not answer: their volumes are not listed. */
  unreachable: string[];
}

export interface NodeVolumeView {
  /** The engine's name, `mx.<replica>.<volume>`. */
  name: string;
  app: string;
  replica: string;
  /** Its name in the app's spec. */
  volume: string;
  createdAt: string | null;
  /** The containers that mount it, running or not. */
  usedBy: string[];
}

/** `GET /v1/dns`: the `.matrix` names as the DNS server answers them now. */
export interface DnsView {
  /** address:port the server listens on (`dig @address web.matrix`). */
  listen: string;
  /** The resolver containers are given; null: they keep the engine's default (see docs/network.md). */
  containerDns: string | null;
  /** The zone's serial; null before the first publication. */
  serial: number | null;
  records: { name: string; type: 'A' | 'SRV'; ttl: number; value: string }[];
}
