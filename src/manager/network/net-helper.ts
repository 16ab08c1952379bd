/**
 * Routes on a node without an agent, through the Engine API alone: a one-shot container on
 * the node's own network namespace (`NetworkMode: host`, `NET_ADMIN`) runs a script. Its
 * image is imported into each engine from the manager host (no registry, no pull): busybox-static
 * for the shell, and iproute2's `ip` and `bridge` with the libraries they load (busybox's `ip`
 * cannot make a VXLAN device nor set neighbour and forwarding entries). Named by the digest of
 * its contents, so an engine that has it is not sent it again.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { MatrixError } from '../../core/errors.ts';
import { demuxText } from '../../core/logs.ts';
import { HOST_BUSYBOX } from '../images/rootfs.ts';
import { tarBuffer, type TarEntry } from '../../util/tar.ts';
import { runOk } from '../../util/exec.ts';
import { basename, dirname } from 'node:path';

const REPO = 'matrix-net-helper';
/** busybox applets the scripts call by name (busybox picks the applet from argv[0]). */
const LINKS = ['sh', 'echo', 'grep', 'true'];
/** iproute2, from the manager host, in /sbin (ahead of /bin in PATH). */
export const IPROUTE2 = ['/usr/sbin/ip', '/usr/sbin/bridge'];

/** busybox's shell runs its own applets before anything on PATH: functions come first of all. */
const IPROUTE2_FIRST = `${IPROUTE2.map((b) => `${basename(b)}() { /sbin/${basename(b)} "$@"; }`).join('\n')}\n`;

/** Pure: the libraries `ldd` says a binary loads (and the loader), as absolute paths. */
export function lddPaths(out: string): string[] {
  const paths = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)\s+\(/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) paths.add(m[1]!);
  }
  return [...paths].sort();
}

export interface NetHelperImage {
  ref: string;
  /** Built when an engine lacks the image, not kept: it is megabytes the manager would hold while idle. */
  tar: () => Promise<Buffer>;
}

export async function netHelperImage(busyboxPath = HOST_BUSYBOX): Promise<NetHelperImage> {
  const files = await helperFiles(busyboxPath);
  const hash = createHash('sha256');
  for (const [name, body] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(name).update(body);
  return { ref: `${REPO}:${hash.digest('hex').slice(0, 12)}`, tar: async () => helperTar(await helperFiles(busyboxPath)) };
}

/** The image's files by their path in it: busybox, iproute2 and the libraries it loads, read from this host. */
async function helperFiles(busyboxPath: string): Promise<Map<string, Buffer>> {
  const read = (path: string, pkg: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new MatrixError('E_INTERNAL', `cannot read ${path} (install ${pkg}): ${(e as Error).message}`);
    }
  };
  const libs = lddPaths((await runOk(['ldd', ...IPROUTE2])).toString());
  const files = new Map<string, Buffer>([['bin/busybox', read(busyboxPath, 'busybox-static')]]);
  for (const bin of IPROUTE2) files.set(`sbin/${basename(bin)}`, read(bin, 'iproute2'));
  for (const lib of libs) files.set(lib.slice(1), read(lib, 'iproute2'));
  return files;
}

function helperTar(files: Map<string, Buffer>): Promise<Buffer> {
  const base = { mtime: new Date(0), uid: 0, gid: 0 };
  const dirs = new Set<string>();
  for (const name of files.keys()) for (let d = dirname(name); d !== '.'; d = dirname(d)) dirs.add(`${d}/`);
  const entries: TarEntry[] = [
    ...[...dirs].sort().map((d): TarEntry => ({ header: { ...base, name: d, type: 'directory', mode: 0o755 } })),
    ...[...files].map(([name, body]): TarEntry => ({ header: { ...base, name, type: 'file', mode: 0o755, size: body.length }, body })),
    ...LINKS.map((l): TarEntry => ({ header: { ...base, name: `bin/${l}`, type: 'symlink', linkname: 'busybox', mode: 0o777 } })),
  ];
  return tarBuffer(entries);
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
  const stream = (await docker.importImage((await image.tar()) as unknown as NodeJS.ReadableStream, { repo, tag })) as NodeJS.ReadableStream;
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
    Cmd: ['/bin/sh', '-c', `${IPROUTE2_FIRST}${script}`],
    Env: ['PATH=/sbin:/bin'],
    Labels: { 'matrix.helper': 'network' },
    HostConfig: { NetworkMode: 'host', CapAdd: ['NET_ADMIN'] },
  });
  try {
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    if (StatusCode !== 0) {
      const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
      throw new Error(`route script exited ${StatusCode}: ${demuxText(logs).trim().split('\n').slice(-3).join('; ')}`);
    }
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}
