/**
 * The sample images' root filesystem as one deterministic tar: the same bytes on every
 * build, so re-pushing is a no-op for the registry and digests are stable across runs.
 */
import { readFileSync } from 'node:fs';
import { type Header, pack as tarPack } from 'tar-stream';
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

type EntryHeader = Partial<Header> & Pick<Header, 'name'>;

interface Entry {
  header: EntryHeader;
  body?: Buffer;
}

const EPOCH = new Date(0);

export function rootfsEntries(app: string, busybox: Buffer): Entry[] {
  const base = { mtime: EPOCH, uid: 0, gid: 0, uname: 'root', gname: 'root' };
  const dir = (name: string, mode = 0o755): Entry => ({ header: { ...base, name, type: 'directory', mode } });
  const file = (name: string, body: Buffer, mode: number): Entry => ({ header: { ...base, name, type: 'file', mode, size: body.length }, body });
  const entries: Entry[] = [
    dir('bin/'),
    file('bin/busybox', busybox, 0o755),
    ...BUSYBOX_LINKS.map((l): Entry => ({ header: { ...base, name: `bin/${l}`, type: 'symlink', linkname: 'busybox', mode: 0o777 } })),
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
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (c: unknown) => {
      chunks.push(c as Buffer); // streamx types data as unknown; a tar pack only emits Buffers
    });
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const e of rootfsEntries(app, busybox)) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (e.body) pack.entry(e.header, e.body, cb);
      else pack.entry(e.header, cb);
    });
  }
  pack.finalize();
  return done;
}
