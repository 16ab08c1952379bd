/** The few Engine API operations the controllers need, per node. */
import type Docker from 'dockerode';
import { MatrixError } from '../../core/errors.ts';
import { LABELS, type DesiredReplica, type ObservedReplica } from '../../core/model.ts';
import { containerName, createContainerBody, toObserved, volumeName, type ContainerNetwork, type ListedContainer } from './container-spec.ts';
import { CLUSTER_NETWORK, type NodeSubnet } from '../../core/network/cluster-network.ts';
import { randomBytes } from 'node:crypto';
import { secretMaterial, secretsDirName, secretsDirOf, wipeSecretFiles, writeSecretFiles } from './secret-files.ts';
import type { SecretReader } from '../secrets/vault.ts';
import type { NodeVolumeView } from '../../shared/api-types.ts';

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
    await ensureVolumes(docker, r);
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

/**
 * The replica's volumes, labelled so `matrix volume ls` finds them (the engine would make an
 * unlabelled one at the create otherwise). Creating one that exists returns it unchanged.
 */
async function ensureVolumes(docker: Docker, r: DesiredReplica): Promise<void> {
  for (const v of r.volumes ?? []) {
    await docker.createVolume({
      Name: volumeName(r.id, v.name),
      Labels: { [LABELS.managed]: 'true', [LABELS.app]: r.app, [LABELS.replica]: r.id, [LABELS.volume]: v.name },
    });
  }
}

/** One of cloudmatrix's named volumes on a node, and the containers that mount it (as `GET /v1/volumes` shows it). */
export type NodeVolume = NodeVolumeView;

interface ListedVolume {
  Name: string;
  Labels?: Record<string, string> | null;
  CreatedAt?: string;
}

export async function listVolumes(docker: Docker): Promise<NodeVolume[]> {
  const { Volumes } = (await docker.listVolumes({ filters: { label: [`${LABELS.managed}=true`] } })) as { Volumes?: ListedVolume[] | null };
  const containers = (await docker.listContainers({ all: true })) as { Names?: string[]; Mounts?: { Type?: string; Name?: string }[] }[];
  const users = new Map<string, string[]>();
  for (const c of containers) {
    for (const m of c.Mounts ?? []) {
      if (m.Type !== 'volume' || !m.Name) continue;
      users.set(m.Name, [...(users.get(m.Name) ?? []), (c.Names?.[0] ?? '?').replace(/^\//, '')]);
    }
  }
  return (Volumes ?? [])
    .filter((v) => v.Labels?.[LABELS.app] && v.Labels?.[LABELS.replica] && v.Labels?.[LABELS.volume])
    .map((v) => ({
      name: v.Name,
      app: v.Labels![LABELS.app]!,
      replica: v.Labels![LABELS.replica]!,
      volume: v.Labels![LABELS.volume]!,
      createdAt: v.CreatedAt ?? null,
      usedBy: users.get(v.Name) ?? [],
    }));
}

/** Removes one of cloudmatrix's volumes; refused while any container (running or not) mounts it. */
export async function removeVolume(node: string, docker: Docker, name: string): Promise<void> {
  const mine = (await listVolumes(docker)).find((v) => v.name === name);
  if (!mine) throw new MatrixError('E_NOT_FOUND', `no cloudmatrix volume ${name} on ${node}`, { path: 'name' });
  if (mine.usedBy.length)
    throw new MatrixError('E_VOLUME_IN_USE', `${name} on ${node} is mounted by ${mine.usedBy.join(', ')}: remove ${mine.app} or scale it down first`, {
      path: 'name',
    });
  await docker
    .getVolume(name)
    .remove()
    .catch((e: { statusCode?: number; message?: string }) => {
      // a container made it its own between the look and the removal
      if (e.statusCode === 409) throw new MatrixError('E_VOLUME_IN_USE', `${name} on ${node} is in use: ${e.message ?? ''}`, { path: 'name' });
      throw e;
    });
}
