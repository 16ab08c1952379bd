/**
 * The seed's two sample apps as real OCI-compatible Docker images, built without the
 * internet (busybox from the host) and pushed straight into the cluster registry.
 */
import { gzipSync } from 'node:zlib';
import { MEDIA, type RegistryClient, sha256Digest } from '../registry/registry-client.ts';
import { buildRootfsTar } from './rootfs.ts';
import { SAMPLE_APPS, assertAppName } from './start-script.ts';

export const MEDIA_IMAGE_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const MEDIA_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
export const SAMPLE_PORT = 8080;

export interface SampleImage {
  app: string;
  /** `cloud/<app>`, the repository the seed's scripts use. */
  repo: string;
  tag: string;
  /** gzipped rootfs tar, as pushed. */
  layer: Buffer;
  layerDigest: string;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  config: ImageConfig;
  configBytes: Buffer;
  configDigest: string;
  manifest: ImageManifest;
  manifestBytes: Buffer;
  manifestDigest: string;
}

export interface ImageConfig {
  architecture: string;
  os: 'linux';
  created: string;
  config: {
    Entrypoint: string[];
    Env: string[];
    ExposedPorts: Record<string, Record<string, never>>;
    Labels: Record<string, string>;
    WorkingDir: string;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history: { created: string; created_by: string }[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: typeof MEDIA.dockerManifest;
  config: { mediaType: string; size: number; digest: string };
  layers: { mediaType: string; size: number; digest: string }[];
}

// Fixed so the config (and thus the image id) is the same on every build.
const CREATED = '1970-01-01T00:00:00Z';

// busybox is copied from the host, so the image is for the host's architecture.
function dockerArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

export async function buildSampleImage(app: string, opts: { busybox?: string; tag?: string } = {}): Promise<SampleImage> {
  assertAppName(app);
  const tarball = await buildRootfsTar(app, opts.busybox);
  const diffId = sha256Digest(tarball);
  // Node's gzip header carries no mtime or name, so equal tars give equal layers.
  const layer = gzipSync(tarball, { level: 9 });
  const layerDigest = sha256Digest(layer);
  const config: ImageConfig = {
    architecture: dockerArch(),
    os: 'linux',
    created: CREATED,
    config: {
      Entrypoint: ['/bin/sh', '/start.sh'],
      Env: ['PATH=/bin', `APP=${app}`, `PORT=${SAMPLE_PORT}`],
      ExposedPorts: { [`${SAMPLE_PORT}/tcp`]: {} },
      // Image labels are copied onto containers, so never a `matrix.app`/`matrix.managed` here.
      Labels: { 'matrix.sample': 'true' },
      WorkingDir: '/',
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: CREATED, created_by: `cloudmatrix sample image ${app} (busybox httpd)` }],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = sha256Digest(configBytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.dockerManifest,
    config: { mediaType: MEDIA_IMAGE_CONFIG, size: configBytes.length, digest: configDigest },
    layers: [{ mediaType: MEDIA_LAYER_GZIP, size: layer.length, digest: layerDigest }],
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return {
    app,
    repo: `cloud/${app}`,
    tag: opts.tag ?? 'latest',
    layer,
    layerDigest,
    diffId,
    config,
    configBytes,
    configDigest,
    manifest,
    manifestBytes,
    manifestDigest: sha256Digest(manifestBytes),
  };
}

/** Pushes `cloud/<app>:latest` for each app; returns the references nodes pull (`<registry>/cloud/<app>:latest`). */
export async function pushSampleImages(client: RegistryClient, apps: readonly string[] = SAMPLE_APPS, onProgress?: (msg: string) => void): Promise<string[]> {
  const refs: string[] = [];
  for (const app of apps) {
    const img = await buildSampleImage(app);
    const ref = client.reference(img.repo, img.tag);
    onProgress?.(`building ${ref}: layer ${(img.layer.length / 1024).toFixed(0)} KiB`);
    await client.pushBlob(img.repo, img.layer);
    await client.pushBlob(img.repo, img.configBytes);
    const digest = await client.pushManifest(img.repo, img.tag, img.manifestBytes, MEDIA.dockerManifest);
    onProgress?.(`pushed ${ref}@${digest}`);
    refs.push(ref);
  }
  return refs;
}
