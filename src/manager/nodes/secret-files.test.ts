import { describe, expect, it } from 'vitest';
import { extract } from 'tar-stream';
import type { DesiredReplica } from '../../core/model.ts';
import { tarBuffer } from '../../util/tar.ts';
import { createContainerBody } from './container-spec.ts';
import {
  NODE_SECRETS_ROOT,
  putSecretsArchive,
  secretFilesEntries,
  secretMaterial,
  secretsDirName,
  secretsDirOf,
  secretsMount,
  wipeEntries,
} from './secret-files.ts';

const r: DesiredReplica = {
  app: 'web',
  node: 'node1',
  image: 'reg:5000/cloud/web:latest',
  hostPort: null,
  containerPort: 8080,
  id: 'web.0',
  revision: 'abcdef123456',
};

const values: Record<string, string> = { db: 'pw-1', smtp: 'mail-pw' };
const read = (name: string): Buffer => {
  if (!(name in values)) throw Object.assign(new Error(`no secret ${name}`), { code: 'E_NOT_FOUND' });
  return Buffer.from(values[name]!);
};

async function listTar(buf: Buffer): Promise<{ name: string; mode: number; type: string; body: string }[]> {
  const out: { name: string; mode: number; type: string; body: string }[] = [];
  const ex = extract();
  ex.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out.push({ name: h.name, mode: h.mode ?? 0, type: h.type ?? 'file', body: Buffer.concat(chunks).toString() });
      next();
    });
  });
  const done = new Promise<void>((resolve) => ex.on('finish', () => resolve()));
  ex.end(buf);
  await done;
  return out;
}

describe('secrets on a container', () => {
  it('resolves files and env from the references, reading each secret once', () => {
    const reads: string[] = [];
    const m = secretMaterial(
      [
        { name: 'db', file: 'db' },
        { name: 'db', env: 'DB_PASSWORD' },
        { name: 'smtp', file: 'mail', env: 'SMTP' },
      ],
      (n) => (reads.push(n), read(n)),
    );
    expect(m.files.map((f) => [f.file, f.data.toString()])).toEqual([
      ['db', 'pw-1'],
      ['mail', 'mail-pw'],
    ]);
    expect(m.env).toEqual({ DB_PASSWORD: 'pw-1', SMTP: 'mail-pw' });
    expect(reads).toEqual(['db', 'smtp']);
  });

  it('a secret that cannot be read fails the start with its own error', () => {
    expect(() => secretMaterial([{ name: 'gone', file: 'gone' }], read)).toThrow(/no secret gone/);
  });

  it('file secrets mount their own node directory on /dev/shm read-only at /run/secrets; env-only ones mount nothing', () => {
    const dir = secretsDirName('mx.web.0.abcdef123456', '1a2b3c4d');
    const withFile = createContainerBody({ ...r, secrets: [{ name: 'db', file: 'db' }] }, { dir });
    // a Mounts bind, not Binds: a missing source (a rebooted node) fails the start instead of giving an empty directory
    expect(withFile.HostConfig.Mounts).toEqual([
      { Type: 'bind', Source: `${NODE_SECRETS_ROOT}/mx.web.0.abcdef123456.1a2b3c4d`, Target: '/run/secrets', ReadOnly: true },
    ]);
    expect(secretsMount(dir)).toEqual(withFile.HostConfig.Mounts![0]);
    expect(NODE_SECRETS_ROOT.startsWith('/dev/shm/')).toBe(true);
    const envOnly = createContainerBody({ ...r, secrets: [{ name: 'db', env: 'DB' }] }, { env: { DB: 'pw-1' } });
    expect(envOnly.HostConfig).not.toHaveProperty('Mounts');
    expect(envOnly.Env).toContain('DB=pw-1');
    // the values are never in the labels (which `docker ps` and the manager read back)
    expect(JSON.stringify(envOnly.Labels)).not.toContain('pw-1');
    expect(createContainerBody(r).HostConfig).not.toHaveProperty('Mounts');
  });

  it('finds a container instance its secret directory from its mounts, and nothing else', () => {
    const source = `${NODE_SECRETS_ROOT}/mx.web.0.abc.1a2b3c4d`;
    expect(
      secretsDirOf([
        { Source: '/var/lib/x', Destination: '/data' },
        { Source: source, Destination: '/run/secrets' },
      ]),
    ).toBe('mx.web.0.abc.1a2b3c4d');
    expect(secretsDirOf([{ Source: source, Destination: '/elsewhere' }])).toBeNull();
    expect(secretsDirOf([{ Source: '/etc', Destination: '/run/secrets' }])).toBeNull();
    expect(secretsDirOf([{ Source: `${NODE_SECRETS_ROOT}/../../etc`, Destination: '/run/secrets' }])).toBeNull();
    expect(secretsDirOf(undefined)).toBeNull();
  });

  it('the archive makes a root-only parent, the container directory, and read-only files', async () => {
    const entries = await listTar(await tarBuffer(secretFilesEntries('mx.web.0.abc', [{ file: 'db', data: Buffer.from('pw-1') }])));
    expect(entries).toEqual([
      { name: 'matrix-secrets/', mode: 0o700, type: 'directory', body: '' },
      { name: 'matrix-secrets/mx.web.0.abc/', mode: 0o755, type: 'directory', body: '' },
      { name: 'matrix-secrets/mx.web.0.abc/db', mode: 0o444, type: 'file', body: 'pw-1' },
    ]);
  });

  it('the wipe replaces the container directory with an empty file', async () => {
    const entries = await listTar(await tarBuffer(wipeEntries('mx.web.0.abc')));
    expect(entries.map((e) => [e.name, e.type, e.body])).toEqual([
      ['matrix-secrets/', 'directory', ''],
      ['matrix-secrets/mx.web.0.abc', 'file', ''],
    ]);
  });

  it('an archive that lost the race for the shared parent directory is put once more; other errors are not retried', async () => {
    const calls: string[] = [];
    const racing = {
      putArchive: async (_a: Buffer, o: { path: string }) => {
        calls.push(o.path);
        if (calls.length === 1)
          throw new Error('(HTTP code 500) server error - Error processing tar file(exit status 1): mkdir /shm/matrix-secrets: file exists');
      },
    };
    await putSecretsArchive(racing, Buffer.alloc(0));
    expect(calls).toEqual(['/shm', '/shm']);
    let n = 0;
    const failing = {
      putArchive: async () => {
        n++;
        throw new Error('no space left on device');
      },
    };
    await expect(putSecretsArchive(failing, Buffer.alloc(0))).rejects.toThrow(/no space/);
    expect(n).toBe(1);
  });
});
