/** The few Engine API operations the controllers need, per node. */
import type Docker from 'dockerode';
import { MatrixError } from '../../core/errors.ts';
import { LABELS, type DesiredReplica, type ObservedReplica } from '../../core/model.ts';
import { createContainerBody, toObserved, type ListedContainer } from './container-spec.ts';

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

export async function startReplica(docker: Docker, r: DesiredReplica): Promise<string> {
  const body = createContainerBody(r);
  try {
    const stale = docker.getContainer(body.name);
    // a container of this exact name is a leftover of an interrupted start: replace it
    await stale.remove({ force: true }).catch(() => undefined);
    const c = await docker.createContainer(body);
    await c.start();
    return c.id;
  } catch (e) {
    throw new MatrixError('E_DEPLOY_FAILED', `${r.node} could not start ${r.id} (${r.image}): ${(e as Error).message}`);
  }
}

export async function stopAndRemove(docker: Docker, node: string, containerId: string, graceSeconds = 5): Promise<void> {
  const c = docker.getContainer(containerId);
  try {
    await c.stop({ t: graceSeconds }).catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 304 && e.statusCode !== 404) throw e; // 304: already stopped
    });
    await c.remove({ force: true }).catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 404) throw e;
    });
  } catch (e) {
    throw new MatrixError('E_DEPLOY_FAILED', `${node} could not stop ${containerId.slice(0, 12)}: ${(e as Error).message}`);
  }
}
