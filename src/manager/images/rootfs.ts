/**
 * The sample images' root filesystem as one deterministic tar: the same bytes on every
 * build, so re-pushing is a no-op for the registry and digests are stable across runs.
 */
import { readFileSync } from 'node:fs';
import { tarBuffer, type TarEntry } from '../../util/tar.ts';
import { MatrixError } from '../../core/errors.ts';
import { startScript } from './start-script.ts';
import { byCodeUnit } from '../../core/compare.ts';

export const HOST_BUSYBOX = '/bin/busybox';

/** Applets linked into /bin; every one must be in Debian's busybox-static (a test checks). */
export const BUSYBOX_LINKS = [
  '[',
  'ash',
  'cat',
  'cp',
  'date',
  'echo',
  'env',
  'false',
  'grep',
  'hostname',
  'httpd',
  'id',
  'kill',
  'ln',
  'ls',
  'mkdir',
  'mv',
  'nc',
  'printf',
  'ps',
  'pwd',
  'rm',
  'sed',
  'sh',
  'sleep',
  'test',
  'true',
  'uname',
] as const;

const EPOCH = new Date(0);

export function rootfsEntries(app: string, busybox: Buffer): TarEntry[] {
  const base = { mtime: EPOCH, uid: 0, gid: 0, uname: 'root', gname: 'root' };
  const dir = (name: string, mode = 0o755): TarEntry => ({ header: { ...base, name, type: 'directory', mode } });
  const file = (name: string, body: Buffer, mode: number): TarEntry => ({ header: { ...base, name, type: 'file', mode, size: body.length }, body });
  const entries: TarEntry[] = [
    dir('bin/'),
    file('bin/busybox', busybox, 0o755),
    ...BUSYBOX_LINKS.map((l): TarEntry => ({ header: { ...base, name: `bin/${l}`, type: 'symlink', linkname: 'busybox', mode: 0o777 } })),
    file('start.sh', Buffer.from(startScript(app)), 0o755),
    dir('tmp/', 0o1777),
    dir('www/'),
  ];
  // Byte order, not locale order: a parent directory always sorts before its children.
  return entries.sort((a, b) => byCodeUnit(a.header.name, b.header.name));
}

/** Uncompressed tar (its sha256 is the layer's diff_id). */
export async function buildRootfsTar(app: string, busyboxPath = HOST_BUSYBOX): Promise<Buffer> {
  let busybox: Buffer;
  try {
    busybox = readFileSync(busyboxPath);
  } catch (e) {
    throw new MatrixError('E_INTERNAL', `cannot read ${busyboxPath} (install busybox-static): ${(e as Error).message}`);
  }
  return tarBuffer(rootfsEntries(app, busybox));
}
