/**
 * Desired state and cluster membership. Observed state is never stored: it is read back
 * from the nodes (container labels). One interface; SQLite now, etcd later for HA.
 */
import type { DesiredReplica, NodeInfo } from '../../core/model.ts';

export interface Deployment {
  /** Increases by one per accepted deploy. */
  generation: number;
  file: string;
  source: string;
  replicas: DesiredReplica[];
  createdAt: string;
}

export interface Store {
  listNodes(): NodeInfo[];
  upsertNode(node: NodeInfo): void;
  removeNode(name: string): boolean;
  currentDeployment(): Deployment | null;
  /** Atomically records a new desired state; returns it with its generation. */
  saveDeployment(d: Omit<Deployment, 'generation' | 'createdAt'>, now: Date): Deployment;
  getSetting(key: string): string | null;
  setSetting(key: string, value: string): void;
  close(): void;
}
