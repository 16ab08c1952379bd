/** NodeEngine over the Docker Engine API (dockerode) with the cluster's client certificate. */
import type Docker from 'dockerode';
import { LABELS, type NodeInfo } from '../../core/model.ts';
import { engineClient, pingEngine, type ClientTls } from './docker-client.ts';
import type { EngineFactory, EngineInfo, NodeEngine } from './engine.ts';
import type { EngineContainerStats } from '../../core/stats.ts';
import { MatrixError } from '../../core/errors.ts';
import type { SecretReader } from '../secrets/vault.ts';
import { ensureClusterNetwork, listManaged, listVolumes, pullImage, removeVolume, startReplica, stopAndRemove } from './node-ops.ts';
import { CLUSTER_NETWORK, nodeSubnet, type Cidr } from '../../core/network/cluster-network.ts';
import { onClusterNetwork } from '../../core/network/routes.ts';

/** Reads (info, list) answer in milliseconds on a live engine: a short timeout keeps a dead node from stalling the loop. */
const READ_TIMEOUT_MS = 2_000;
/** Usage (stats, disk) takes the engine a second or more to measure: longer than a read, far shorter than a write. */
const USAGE_TIMEOUT_MS = 8_000;
/** Writes (pull, create, stop) may legitimately take a while. */
const WRITE_TIMEOUT_MS = 120_000;

/** The cluster network as the manager runs it: its range and the DNS address nodes reach. */
export interface ClusterNetworkSettings {
  range: Cidr;
  dns: string | null;
}

export class DockerEngine implements NodeEngine {
  private readonly reader: Docker;
  private readonly docker: Docker;
  private readonly usage: Docker;
  /** The node's cluster network, made once per engine client (again after a failure). */
  private networkReady: Promise<void> | null = null;

  constructor(
    private readonly node: NodeInfo,
    private readonly tls: ClientTls,
    private readonly readSecret: SecretReader = noSecrets,
    private readonly network: ClusterNetworkSettings | null = null,
  ) {
    this.reader = engineClient(node, tls, READ_TIMEOUT_MS);
    this.docker = engineClient(node, tls, WRITE_TIMEOUT_MS);
    this.usage = engineClient(node, tls, USAGE_TIMEOUT_MS);
  }

  ping(timeoutMs: number): Promise<boolean> {
    return pingEngine(this.node, this.tls, timeoutMs);
  }

  async info(): Promise<EngineInfo> {
    const i = (await this.reader.info()) as { NCPU: number; MemTotal: number; Labels?: string[]; ServerVersion?: string };
    const labels: Record<string, string> = {};
    for (const l of i.Labels ?? []) {
      const at = l.indexOf('=');
      if (at > 0) labels[l.slice(0, at)] = l.slice(at + 1);
    }
    return { capacity: { cpus: i.NCPU, memoryMb: Math.floor(i.MemTotal / (1024 * 1024)) }, labels, version: i.ServerVersion ?? 'unknown' };
  }

  listManaged() {
    return listManaged(this.node.name, this.reader);
  }

  pull(image: string) {
    return pullImage(this.node.name, this.docker, image);
  }

  async start(r: Parameters<NodeEngine['start']>[0]) {
    const share = this.network && this.node.subnet !== undefined ? nodeSubnet(this.network.range, this.node.subnet) : null;
    if (!this.network || !share) return startReplica(this.docker, r, this.readSecret);
    this.networkReady ??= ensureClusterNetwork(this.node.name, this.docker, share).catch((e: unknown) => {
      this.networkReady = null;
      throw e instanceof MatrixError ? e : new MatrixError('E_DEPLOY_FAILED', `${this.node.name} could not make the cluster network: ${(e as Error).message}`);
    });
    await this.networkReady;
    return startReplica(this.docker, r, this.readSecret, { name: CLUSTER_NETWORK, dns: this.network.dns }).catch((e: unknown) => {
      // removed by hand meanwhile: made again at the next start
      if (/network \S+ not found/i.test((e as Error).message)) this.networkReady = null;
      throw e;
    });
  }

  listVolumes() {
    return listVolumes(this.reader);
  }

  removeVolume(name: string) {
    return removeVolume(this.node.name, this.docker, name);
  }

  async logs(containerId: string, o: { tail?: number; since?: string }): Promise<Buffer> {
    // dockerode types since as a number; the engine also takes Unix seconds with nanoseconds
    const opts = {
      stdout: true,
      stderr: true,
      timestamps: true,
      follow: false,
      ...(o.tail !== undefined ? { tail: o.tail } : {}),
      ...(o.since ? { since: o.since } : {}),
    };
    return (await this.reader.getContainer(containerId).logs(opts as unknown as { follow: false })) as Buffer;
  }

  async containerStats(containerId: string): Promise<EngineContainerStats> {
    return (await this.usage.getContainer(containerId).stats({ stream: false })) as EngineContainerStats;
  }

  async diskBytes(): Promise<number> {
    const df = (await this.usage.df()) as {
      LayersSize?: number;
      Containers?: { SizeRw?: number }[];
      Volumes?: { UsageData?: { Size?: number } }[];
    };
    const sizes = [df.LayersSize ?? 0, ...(df.Containers ?? []).map((c) => c.SizeRw ?? 0), ...(df.Volumes ?? []).map((v) => v.UsageData?.Size ?? 0)];
    // the engine answers -1 for a size it has not computed
    return sizes.reduce((a, b) => a + Math.max(0, b), 0);
  }

  stop(containerId: string, graceSeconds: number) {
    return stopAndRemove(this.docker, this.node.name, containerId, graceSeconds);
  }

  /** The engine's event stream, filtered to our containers' lifecycle. */
  async watch(onChange: () => void, onEnd: () => void): Promise<() => void> {
    // a long-lived stream: its own client without the request timeout
    const stream = (await engineClient(this.node, this.tls).getEvents({
      filters: { type: ['container'], label: [`${LABELS.managed}=true`], event: ['start', 'die', 'destroy', 'health_status'] },
    })) as NodeJS.ReadableStream & { destroy(): void };
    stream.on('data', () => onChange());
    stream.on('end', onEnd);
    stream.on('error', onEnd);
    return () => stream.destroy();
  }
}

/** `readSecret` gives containers their secrets' values (the manager's vault); `network`: containers join the cluster network. */
export function dockerEngines(tls: ClientTls, readSecret: SecretReader = noSecrets, network: ClusterNetworkSettings | null = null): EngineFactory {
  return (node) => new DockerEngine(node, tls, readSecret, onClusterNetwork({ driver: null, ...node }) ? network : null);
}

function noSecrets(name: string): Buffer {
  throw new MatrixError('E_NOT_FOUND', `secret ${name}: this engine was built without a secret store`);
}
