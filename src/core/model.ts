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
} as const;

export interface NodeInfo {
  name: string; // node1
  address: string; // 10.210.0.11 — where the engine and published ports answer
  enginePort: number; // 2376
}

export type NodeState = 'up' | 'down';

export interface NodeStatus extends NodeInfo {
  state: NodeState;
}

/** One replica the user wants: an image pinned to a node, publishing ext -> int. */
export interface DesiredReplica {
  app: string;
  node: string;
  image: string; // full reference: 10.210.0.1:5000/cloud/simplewebapp1:latest
  hostPort: number;
  containerPort: number;
  /** Stable identity of the replica across deploys: `<app>.<node>.<hostPort>`. */
  id: string;
  /** Hash of everything that, when changed, needs a new container. */
  revision: string;
  /** Where it came from (`applications.plan:3`), for error messages and `ps`. */
  source?: string;
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
}

export type Action =
  | { kind: 'start'; replica: DesiredReplica }
  | { kind: 'stop'; node: string; containerId: string; app: string; id: string; reason: string };

/** A backend the ingress may route to: one running replica reachable at address:port. */
export interface Route {
  app: string;
  node: string;
  address: string;
  port: number;
}
