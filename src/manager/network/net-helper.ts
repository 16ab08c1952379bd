/**
 * Routes on a node without an agent, through the Engine API alone: a one-shot container on
 * the node's own network namespace (`NetworkMode: host`, `NET_ADMIN`) runs busybox `ip`.
 * Its image is busybox alone, imported into each engine from the manager host's
 * busybox-static (no registry, no pull): named by the binary's digest, so a new busybox is a
 * new image and an engine that has it is not sent it again.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { MatrixError } from '../../core/errors.ts';
import { HOST_BUSYBOX } from '../images/rootfs.ts';
import { tarBuffer, type TarEntry } from '../../util/tar.ts';

const REPO = 'matrix-net-helper';
/** Applets the route script calls by name (busybox picks the applet from argv[0]). */
const LINKS = ['sh', 'ip', 'echo'];

export interface NetHelperImage {
  ref: string;
  tar: Buffer;
}

export async function netHelperImage(busyboxPath = HOST_BUSYBOX): Promise<NetHelperImage> {
  let busybox: Buffer;
  try {
    busybox = readFileSync(busyboxPath);
  } catch (e) {
    throw new MatrixError('E_INTERNAL', `cannot read ${busyboxPath} (install busybox-static): ${(e as Error).message}`);
  }
  const base = { mtime: new Date(0), uid: 0, gid: 0 };
  const entries: TarEntry[] = [
    { header: { ...base, name: 'bin/', type: 'directory', mode: 0o755 } },
    { header: { ...base, name: 'bin/busybox', type: 'file', mode: 0o755, size: busybox.length }, body: busybox },
    ...LINKS.map((l): TarEntry => ({ header: { ...base, name: `bin/${l}`, type: 'symlink', linkname: 'busybox', mode: 0o777 } })),
  ];
  const tag = createHash('sha256').update(busybox).digest('hex').slice(0, 12);
  return { ref: `${REPO}:${tag}`, tar: await tarBuffer(entries) };
}

async function ensureImage(docker: Docker, image: NetHelperImage): Promise<void> {
  const has = await docker
    .getImage(image.ref)
    .inspect()
    .then(() => true)
    .catch((e: { statusCode?: number }) => {
      if (e.statusCode === 404) return false;
      throw e;
    });
  if (has) return;
  const [repo, tag] = image.ref.split(':');
  const stream = (await docker.importImage(image.tar as unknown as NodeJS.ReadableStream, { repo, tag })) as NodeJS.ReadableStream;
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
      const failed = out?.find((o) => o.error);
      if (err || failed) reject(err ?? new Error(failed?.error));
      else resolve();
    });
  });
}

/** Runs `script` in the node's network namespace; throws with its stderr when it fails. */
export async function runOnNodeNetwork(docker: Docker, image: NetHelperImage, script: string): Promise<void> {
  await ensureImage(docker, image);
  const c = await docker.createContainer({
    Image: image.ref,
    Cmd: ['/bin/sh', '-c', script],
    Env: ['PATH=/bin'],
    Labels: { 'matrix.helper': 'network' },
    HostConfig: { NetworkMode: 'host', CapAdd: ['NET_ADMIN'] },
  });
  try {
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    if (StatusCode !== 0) {
      const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
      throw new Error(`route script exited ${StatusCode}: ${demux(logs).trim().split('\n').slice(-3).join('; ')}`);
    }
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/** The engine's multiplexed log stream (8-byte frame headers) as text. */
function demux(buf: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= buf.length;) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}
