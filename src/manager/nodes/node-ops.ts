/** The few Engine API operations the controllers need, per node. */
import type Docker from 'dockerode';
import { MatrixError } from '../../core/errors.ts';
import { LABELS, type DesiredReplica, type ObservedReplica } from '../../core/model.ts';
import { containerName, createContainerBody, toObserved, type ContainerNetwork, type ListedContainer } from './container-spec.ts';
import { CLUSTER_NETWORK, type NodeSubnet } from '../../core/network/cluster-network.ts';
import { randomBytes } from 'node:crypto';
import { secretMaterial, secretsDirName, secretsDirOf, wipeSecretFiles, writeSecretFiles } from './secret-files.ts';
import type { SecretReader } from '../secrets/vault.ts';

export async function listManaged(node: string, docker: Docker): Promise<ObservedReplica[]> {
  const list = (await docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } })) as ListedContainer[];
  return list.map((c) => toObserved(node, c)).filter((o): o is ObservedReplica => o !== null);
}

export async function pullImage(node: string, docker: Docker, image: string): Promise<void> {
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
        const failed = output?.find((o) => o.error);
        if (err || failed) reject(err ?? new Error(failed?.error));
        else resolve();
      });
    });
  } catch (e) {
    throw new MatrixError('E_DEPLOY_FAILED', `${node} could not pull ${image}: ${(e as Error).message}`);
  }
}

export async function startReplica(docker: Docker, r: DesiredReplica, readSecret: SecretReader, network: ContainerNetwork | null = null): Promise<string> {
  // a secret that cannot be read (removed, key lost) fails this start with its own code
  const secrets = secretMaterial(r.secrets ?? [], readSecret);
  const name = containerName(r);
  const dir = secrets.files.length ? secretsDirName(name, randomBytes(4).toString('hex')) : undefined;
  const body = createContainerBody(r, { env: secrets.env, ...(dir !== undefined ? { dir } : {}) }, network);
  try {
    const stale = docker.getContainer(body.name);
    // a container of this exact name is a leftover of an interrupted start: replace it
    await stale.remove({ force: true }).catch(() => undefined);
    if (dir !== undefined) await writeSecretFiles(docker, r.image, dir, secrets.files);
    const c = await docker.createContainer(body);
    try {
      await c.start();
    } catch (e) {
      await c.remove({ force: true }).catch(() => undefined);
      throw e;
    }
    return c.id;
  } catch (e) {
    if (dir !== undefined) await wipeSecretFiles(docker, r.image, dir).catch(() => undefined);
    throw new MatrixError('E_DEPLOY_FAILED', `${r.node} could not start ${r.id} (${r.image}): ${(e as Error).message}`);
  }
}

export async function stopAndRemove(docker: Docker, node: string, containerId: string, graceSeconds = 5): Promise<void> {
  const c = docker.getContainer(containerId);
  try {
    const info = (await c.inspect().catch(() => null)) as { Image: string; Mounts?: { Source?: string; Destination?: string }[] } | null;
    const secretsDir = secretsDirOf(info?.Mounts);
    await c.stop({ t: graceSeconds }).catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 304 && e.statusCode !== 404) throw e; // 304: already stopped
    });
    await c.remove({ force: true }).catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 404) throw e;
    });
    // its secret files leave the node with it
    if (info && secretsDir !== null) await wipeSecretFiles(docker, info.Image, secretsDir);
  } catch (e) {
    throw new MatrixError('E_DEPLOY_FAILED', `${node} could not stop ${containerId.slice(0, 12)}: ${(e as Error).message}`);
  }
}

interface NetworkInspect {
  Name: string;
  IPAM?: { Config?: { Subnet?: string }[] | null };
  Containers?: Record<string, unknown> | null;
}

/**
 * The cluster's bridge network on the node, with the node's share of the range. One made
 * with another share (the node was numbered anew, the range changed) is replaced while no
 * container uses it; with containers on it, that is an error naming the node.
 */
export async function ensureClusterNetwork(node: string, docker: Docker, share: NodeSubnet): Promise<void> {
  const existing = (await docker
    .getNetwork(CLUSTER_NETWORK)
    .inspect()
    .catch((e: { statusCode?: number }) => {
      if (e.statusCode === 404) return null;
      throw e;
    })) as NetworkInspect | null;
  if (existing) {
    const subnets = (existing.IPAM?.Config ?? []).map((c) => c.Subnet);
    if (subnets.length === 1 && subnets[0] === share.subnet) return;
    if (Object.keys(existing.Containers ?? {}).length > 0) {
      throw new MatrixError(
        'E_DEPLOY_FAILED',
        `${node}: the network ${CLUSTER_NETWORK} has ${subnets.join(', ') || 'no subnet'} but the node's share of the cluster range is ${share.subnet}; remove its containers (\`matrix node drain ${node}\`) so it can be made anew`,
      );
    }
    await docker.getNetwork(CLUSTER_NETWORK).remove();
  }
  await docker
    .createNetwork({
      Name: CLUSTER_NETWORK,
      Driver: 'bridge',
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: share.subnet, Gateway: share.gateway }] },
      Options: { 'com.docker.network.bridge.name': CLUSTER_BRIDGE },
      Labels: { [LABELS.managed]: 'true' },
    })
    .catch((e: { statusCode?: number }) => {
      // another start made it meanwhile
      if (e.statusCode !== 409) throw e;
    });
}

/** The bridge's interface name on the node (at most 15 characters). */
export const CLUSTER_BRIDGE = 'mx-cluster';
