/**
 * Secret files on a node without an agent, through the Engine API alone. A container's
 * files live in a directory of its own on the node's /dev/shm (tmpfs: never on disk) under a
 * root-only parent, bind-mounted read-only at /run/secrets; they are written before its process
 * starts and outlive a restart by the restart policy (a tmpfs mount of its own would come back
 * empty). Writing goes through a helper container that is created, never started: extracting
 * an archive into a created container writes through its bind mounts onto the node.
 * The directory is named per container instance (a replacement of the same name gets another),
 * so wiping a stopped container's files can never reach its successor's. The mount is a
 * `Mounts` bind, which fails when its source is missing: after a node reboot emptied /dev/shm
 * the container does not start without its secrets, and the manager replaces it.
 */
import type Docker from 'dockerode';
import { SECRETS_DIR } from '../../core/secrets.ts';
import type { SecretRef } from '../../core/model.ts';
import type { SecretReader } from '../secrets/vault.ts';
import { tarBuffer, type TarEntry } from '../../util/tar.ts';

/** On the node: /dev/shm is a tmpfs on every Linux host. */
const SHM = '/dev/shm';
const ROOT_NAME = 'matrix-secrets';
export const NODE_SECRETS_ROOT = `${SHM}/${ROOT_NAME}`;
/** Where the helper sees the node's /dev/shm. */
const HELPER_MOUNT = '/shm';

export interface SecretMaterial {
  files: { file: string; data: Buffer }[];
  env: Record<string, string>;
}

/** One container instance's directory name: its name and a nonce (the caller's randomness). */
export function secretsDirName(containerName: string, nonce: string): string {
  return `${containerName}.${nonce}`;
}

export function secretsHostDir(dirName: string): string {
  return `${NODE_SECRETS_ROOT}/${dirName}`;
}

export interface ContainerMount {
  /** `volume`: a named volume on the node (Source is its name). */
  Type: 'bind' | 'volume';
  Source: string;
  Target: string;
  ReadOnly: boolean;
}

/** The mount that shows a container its secret files. */
export function secretsMount(dirName: string): ContainerMount {
  return { Type: 'bind', Source: secretsHostDir(dirName), Target: SECRETS_DIR, ReadOnly: true };
}

/** The directory name of a container's secrets, from its mounts (inspect), or null. */
export function secretsDirOf(mounts: readonly { Source?: string; Destination?: string }[] | undefined | null): string | null {
  const m = (mounts ?? []).find((x) => x.Destination === SECRETS_DIR && x.Source?.startsWith(`${NODE_SECRETS_ROOT}/`));
  const name = m?.Source?.slice(NODE_SECRETS_ROOT.length + 1) ?? '';
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) ? name : null;
}

/** The values a replica's references resolve to; throws (E_NOT_FOUND, E_SECRET_KEY) when one cannot be read. */
export function secretMaterial(refs: readonly SecretRef[], read: SecretReader): SecretMaterial {
  const values = new Map<string, Buffer>();
  const value = (name: string): Buffer => values.get(name) ?? values.set(name, read(name)).get(name)!;
  const out: SecretMaterial = { files: [], env: {} };
  for (const r of refs) {
    if (r.file !== undefined) out.files.push({ file: r.file, data: value(r.name) });
    if (r.env !== undefined) out.env[r.env] = value(r.name).toString('utf8');
  }
  return out;
}

/** Writes the files into the container's directory on the node (replacing whatever was there). */
export async function writeSecretFiles(docker: Docker, image: string, dirName: string, files: SecretMaterial['files']): Promise<void> {
  await throughHelper(docker, image, dirName, secretFilesEntries(dirName, files));
}

/** Deletes the container's secret files from the node: a plain file replaces the directory. */
export async function wipeSecretFiles(docker: Docker, image: string, dirName: string): Promise<void> {
  await throughHelper(docker, image, dirName, wipeEntries(dirName));
}

const base = { uid: 0, gid: 0, mtime: new Date(0) };

/** The archive extracted at the node's /dev/shm: the root-only parent, the container's directory, its files. */
export function secretFilesEntries(dirName: string, files: SecretMaterial['files']): TarEntry[] {
  return [
    { header: { ...base, name: `${ROOT_NAME}/`, type: 'directory', mode: 0o700 } },
    { header: { ...base, name: `${ROOT_NAME}/${dirName}/`, type: 'directory', mode: 0o755 } },
    // readable by the container's user, whoever it is (Swarm's default); the parent keeps node users out
    ...files.map((f): TarEntry => ({
      header: { ...base, name: `${ROOT_NAME}/${dirName}/${f.file}`, type: 'file', mode: 0o444, size: f.data.length },
      body: f.data,
    })),
  ];
}

/** Extracting a plain file over a directory removes the directory (the API's default, noOverwriteDirNonDir=false). */
export function wipeEntries(dirName: string): TarEntry[] {
  return [
    { header: { ...base, name: `${ROOT_NAME}/`, type: 'directory', mode: 0o700 } },
    { header: { ...base, name: `${ROOT_NAME}/${dirName}`, type: 'file', mode: 0o400, size: 0 }, body: Buffer.alloc(0) },
  ];
}

async function throughHelper(docker: Docker, image: string, dirName: string, entries: TarEntry[]): Promise<void> {
  const archive = await tarBuffer(entries);
  const name = `${dirName}.writer`;
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
  const helper = await docker.createContainer({
    name,
    Image: image,
    // never started: the command only satisfies images that have none
    Cmd: ['/matrix-secrets-helper'],
    NetworkDisabled: true,
    HostConfig: { Binds: [`${SHM}:${HELPER_MOUNT}`] },
  });
  try {
    await putSecretsArchive(helper, archive);
  } finally {
    await helper.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * The engine creates an entry's directory with check-then-mkdir, so two replicas started on one
 * node at the same moment (both archives carry the shared parent) can lose that race with
 * "mkdir …: file exists". The directory is there by then and extracting is idempotent: once more.
 */
export async function putSecretsArchive(helper: { putArchive(archive: Buffer, o: { path: string }): Promise<unknown> }, archive: Buffer): Promise<void> {
  try {
    await helper.putArchive(archive, { path: HELPER_MOUNT });
  } catch (e) {
    if (!/mkdir .*: file exists/.test((e as Error).message)) throw e;
    await helper.putArchive(archive, { path: HELPER_MOUNT });
  }
}
