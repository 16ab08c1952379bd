/**
 * The shared vocabulary of cloudmatrix. Plain data only: every module of the pure core
 * takes and returns these, and the manager stores and serves them as JSON.
 */

/** Labels every container started by cloudmatrix carries; observed state is rebuilt from them. */
export const LABELS = {
  managed: 'matrix.managed',
  app: 'matrix.app',
  replica: 'matrix.replica',
  revision: 'matrix.revision',
  node: 'matrix.node',
  health: 'matrix.health',
  /** Set on host-network containers, which publish nothing: the node port the app listens on. */
  hostNetworkPort: 'matrix.host-network-port',
  /** `true` on a simulated node (the sim driver): only apps with a constraint on this key are placed there. */
  sim: 'matrix.sim',
  /** `true` on an `expose: internal` app's containers: reachable on the cluster network only. */
  internal: 'matrix.internal',
  /** On a named volume: its name in the app's spec (the engine's name is `mx.<replica>.<name>`). */
  volume: 'matrix.volume',
} as const;

export interface NodeInfo {
  name: string; // node1
  address: string; // 10.210.0.11 — where the engine and published ports answer
  enginePort: number; // 2376
  /**
   * The engine's unix socket, for the engine on the manager's own host (the local driver):
   * reached there without TLS (the socket is root's alone); `address` is still where its
   * published ports answer.
   */
  socket?: string;
  /** Its share of the cluster network (`10.220.<subnet>.0/24`); absent for a node the store has not numbered. */
  subnet?: number;
}

/** The engine as lists show it: `10.0.0.11:2376`, or `unix:///var/run/docker.sock`. */
export function engineShown(n: Pick<NodeInfo, 'address' | 'enginePort' | 'socket'>): string {
  return n.socket !== undefined ? engineHost(n) : engineHost(n).slice('tcp://'.length);
}

/** How the docker CLI names the node's engine: `tcp://10.0.0.11:2376`, `tcp://[fd00::1]:2376` or `unix:///var/run/docker.sock`. */
export function engineHost(n: Pick<NodeInfo, 'address' | 'enginePort' | 'socket'>): string {
  if (n.socket !== undefined) return `unix://${n.socket}`;
  return `tcp://${n.address.includes(':') ? `[${n.address}]` : n.address}:${n.enginePort}`;
}

export type NodeState = 'up' | 'down';
/** `drain`: takes no new replica, and the ones it runs move elsewhere (start-first); `active`: the default. */
export type NodeAvailability = 'active' | 'drain';
export const NODE_AVAILABILITIES: readonly NodeAvailability[] = ['active', 'drain'];

export interface NodeStatus extends NodeInfo {
  state: NodeState;
}

/** One replica the user wants on a node: the scheduler's placement made concrete. */
export interface DesiredReplica {
  app: string;
  node: string;
  image: string; // full reference: 10.210.0.1:5000/cloud/simplewebapp1:latest
  /** null: the engine picks a free host port (routes read it back from the container). */
  hostPort: number | null;
  containerPort: number;
  /** Stable identity of the replica across deploys: `<app>.<slot>`. */
  id: string;
  /** Hash of everything that, when changed, needs a new container. */
  revision: string;
  /** Where it came from (`applications.plan:3`), for error messages and `ps`. */
  source?: string;
  env?: Record<string, string>;
  command?: string[];
  entrypoint?: string[];
  /** Of an `expose: internal` app (AppSpec.expose). */
  internal?: boolean;
  /** The app's named volumes (AppSpec.volumes), this slot's copy of each on its node. */
  volumes?: VolumeMount[];
  resources?: Resources;
  restart?: RestartPolicy;
  /** Travels with the container (a label): each revision is probed by its own check. */
  health?: HealthCheck;
  /** Secrets the container receives; their values are looked up only when it is started. */
  secrets?: SecretRef[];
  /** What of the node the container gets (allowed by the cluster policy at deploy). */
  host?: HostAccess;
}

export type ContainerState = 'running' | 'exited' | 'created' | 'restarting' | 'paused' | 'dead' | 'removing';

/** A container observed on a node, read back from its labels. */
export interface ObservedReplica {
  containerId: string;
  node: string;
  app: string;
  id: string; // matrix.replica
  revision: string;
  state: ContainerState;
  hostPort: number | null;
  containerPort: number | null;
  /** The health check the container was started with, from its label. */
  health?: HealthCheck;
  /** Of an `expose: internal` app: never routed by the ingress (its port is on the node's loopback only). */
  internal?: boolean;
  /** Its address on the cluster network (DNS answers it); absent for a container outside it. */
  address?: string;
}

export type Action =
  | { kind: 'start'; replica: DesiredReplica }
  | { kind: 'stop'; node: string; containerId: string; app: string; id: string; reason: string }
  /** Take a replica out of the ingress so in-flight requests finish; a later stop ends it. */
  | { kind: 'drain'; node: string; containerId: string; app: string; id: string; reason: string };

/** A backend the ingress may route to: one running replica reachable at address:port. */
export interface Route {
  app: string;
  node: string;
  address: string;
  port: number;
}

// ---------------------------------------------------------------------------------------
// Apps and scheduling (matrix.yaml). A plan file becomes apps whose replicas are pinned.

/** Reservations: what the scheduler counts against node capacity (also enforced as limits). */
export interface Resources {
  cpus: number; // 0.5 = half a core
  memoryMb: number;
}

export type Strategy = 'spread' | 'binpack';

/** `zone==a`, `node!=node2`: key `node` is the node name, any other key a node label. */
export interface Constraint {
  key: string;
  op: '==' | '!=';
  value: string;
}

export interface HealthCheck {
  path: string; // HTTP path probed on the container port
  intervalS: number;
  timeoutS: number;
  /** Consecutive passes (of the last `window`) that make a replica healthy. */
  threshold: number;
  window: number;
}

export interface Dependency {
  app: string;
  /** When true, a replica may only go to a node that runs a replica of `app`. */
  colocate: boolean;
}

export type RestartPolicy = 'always' | 'unless-stopped' | 'on-failure' | 'no';

/** Where the seed's plan file puts each replica: slot i runs on pins[i].node. */
export interface Pin {
  node: string;
  hostPort: number;
  containerPort: number;
}

/** How a new revision replaces running replicas (Swarm's update_config). */
export interface UpdatePolicy {
  /** Replicas replaced at a time. */
  parallelism: number;
  /** Pause after a batch completes before the next starts. */
  delayS: number;
  /** start-first: the new replica runs and passes its health check before the old one leaves. */
  order: 'start-first' | 'stop-first';
  /** How long an old replica stays out of the ingress, finishing in-flight requests, before it is stopped. */
  drainS: number;
  /** A new replica not healthy after this long fails the rollout, which is then rolled back. */
  monitorS: number;
}

/**
 * A secret an app receives, by name: as a file under /run/secrets (on tmpfs, read-only) and/or
 * as an environment variable. Values live only in the manager's encrypted store.
 */
export interface SecretRef {
  /** The secret in the cluster's store (`matrix secret set <name>`). */
  name: string;
  /** File name under /run/secrets; absent when the secret is only given as `env`. */
  file?: string;
  /** Environment variable that gets the value (only when asked: env shows in `docker inspect`). */
  env?: string;
  /** The store's version the revision uses, stamped by the manager: rotating a secret is a new revision. */
  version?: number;
}

/**
 * What of its node a container may get. Every field is refused at deploy unless the cluster
 * policy (manager.json `policy`) allows it: each hands the container part of the node.
 */
export interface HostAccess {
  /** policy.privileged */
  privileged?: true;
  /** Kernel capabilities to add, upper case without CAP_ (`NET_ADMIN`). policy.capabilities */
  capAdd?: string[];
  /** Host devices (`/dev/fuse`, or host:container[:rwm]). policy.devices */
  devices?: { host: string; container: string; permissions: string }[];
  /** The node's PID / IPC namespace. policy.hostNamespaces */
  pid?: 'host';
  ipc?: 'host';
  /** The node's network: the app listens on the node's port directly (`publish` = `port`). policy.hostNamespaces */
  network?: 'host';
  /** Node paths mounted into the container. policy.hostPaths */
  binds?: { source: string; target: string; readOnly: boolean }[];
}

export interface AppSpec {
  name: string;
  /** The project (deployed file) that owns the app; set when the app is deployed. */
  project?: string;
  image: string;
  replicas: number;
  port: number; // container port
  /** Host port every replica publishes; absent = the engine picks one per replica. */
  publish?: number;
  health?: HealthCheck;
  resources: Resources;
  constraints: Constraint[];
  affinity: string[]; // apps this app must share a node with
  antiAffinity: string[]; // apps this app must not share a node with (may name itself)
  dependsOn: Dependency[];
  env: Record<string, string>;
  /** The container's Cmd (Docker exec form); absent = the image's own. */
  command?: string[];
  /** The container's Entrypoint; absent = the image's own. */
  entrypoint?: string[];
  /** Named volumes: each replica slot's own, on its node; absent = none. */
  volumes?: VolumeMount[];
  /** `internal`: no ingress route and no published port, reached only over the cluster network by name; absent = through the ingress. */
  expose?: 'internal';
  /** Secrets by name (values never in the spec); absent = none. */
  secrets?: SecretRef[];
  /** Host access the app asks for; absent = none (the default and the safe case). */
  host?: HostAccess;
  restart: RestartPolicy;
  strategy?: Strategy; // default: the cluster's
  /**
   * Whether the scheduler may move this app's running replicas to even out its spread (a node
   * that returns or joins gets replicas back; a scale-down that left them on one node is undone).
   * Absent = on under spread; binpack never rebalances. Moves roll like an update (start-first,
   * `update.parallelism` at a time) and are not a new revision.
   */
  rebalance?: boolean;
  /** Rolling-update settings; defaults in core/reconcile/rollout.ts. */
  update?: UpdatePolicy;
  /** Set for apps from a plan file: replicas === pins.length and they never move. */
  pins?: Pin[];
  /** Where the spec came from, for messages: `matrix.yaml` or `applications.plan:3`. */
  source?: string;
}

/** A named volume mounted into the app's containers (appspec/volumes.ts). */
export interface VolumeMount {
  name: string;
  target: string;
  readOnly: boolean;
}

/** What the scheduler sees of a node. */
export interface SchedNode {
  name: string;
  up: boolean;
  /** Drained: no replica may be placed there (what runs there moves). Absent: false. */
  drain?: boolean;
  labels: Record<string, string>;
  capacity: Resources;
}

/** One replica slot of an app assigned to a node (persisted: it is the scheduler's memory). */
export interface Placement {
  app: string;
  slot: number; // 0-based; the replica id is `<app>.<slot>`
  node: string;
  hostPort: number | null; // null: engine-assigned
}
