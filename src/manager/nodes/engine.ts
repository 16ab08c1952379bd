/**
 * What the controllers need from a node. Two implementations: a real Docker engine over
 * mTLS (docker-engine.ts) and an in-process simulated node (drivers/sim) for scale tests.
 */
import type { DesiredReplica, NodeInfo, ObservedReplica, Resources } from '../../core/model.ts';
import type { NodeVolume } from './node-ops.ts';
import type { EngineContainerStats } from '../../core/stats.ts';

export interface EngineInfo {
  capacity: Resources;
  /** The engine's version, as `docker version` prints it for the server. */
  version: string;
  /** Engine labels (`dockerd --label zone=a`), merged under the labels set through the API. */
  labels: Record<string, string>;
}

export interface NodeEngine {
  ping(timeoutMs: number): Promise<boolean>;
  info(): Promise<EngineInfo>;
  listManaged(): Promise<ObservedReplica[]>;
  pull(image: string): Promise<void>;
  /** Creates and starts the replica's container; returns its id. */
  start(r: DesiredReplica): Promise<string>;
  stop(containerId: string, graceSeconds: number): Promise<void>;
  /** cloudmatrix's named volumes on the node (a simulated node has none). */
  listVolumes?(): Promise<NodeVolume[]>;
  /** Removes one; E_VOLUME_IN_USE while a container mounts it. */
  removeVolume?(name: string): Promise<void>;
  /** A container's logs as the engine answers them (multiplexed frames, lines stamped); a simulated node keeps none. */
  logs?(containerId: string, o: { tail?: number; since?: string }): Promise<Buffer>;
  /** A container's usage, as `docker stats --no-stream` reads it (two readings about a second apart). */
  containerStats?(containerId: string): Promise<EngineContainerStats>;
  /** Bytes the engine keeps on disk: images, containers' writable layers, volumes. */
  diskBytes?(): Promise<number>;
  /** Calls `onChange` on a managed container's start, death, removal or health change; returns an unsubscribe. */
  watch?(onChange: () => void, onEnd: () => void): Promise<() => void>;
}

export type EngineFactory = (node: NodeInfo) => NodeEngine;
