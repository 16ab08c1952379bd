/** The few Engine API operations the controllers need, per node. */
import type Docker from 'dockerode';
import { MatrixError } from '../../core/errors.ts';
import { LABELS, type DesiredReplica, type ObservedReplica } from '../../core/model.ts';
import { containerName, createContainerBody, toObserved, type ListedContainer } from './container-spec.ts';
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

export async function startReplica(docker: Docker, r: DesiredReplica, readSecret: SecretReader): Promise<string> {
  // a secret that cannot be read (removed, key lost) fails this start with its own code
  const secrets = secretMaterial(r.secrets ?? [], readSecret);
  const name = containerName(r);
  const dir = secrets.files.length ? secretsDirName(name, randomBytes(4).toString('hex')) : undefined;
  const body = createContainerBody(r, { env: secrets.env, ...(dir !== undefined ? { dir } : {}) });
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
