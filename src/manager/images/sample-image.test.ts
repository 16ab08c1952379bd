import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MatrixError } from '../../core/errors.ts';
import { MEDIA } from '../registry/registry-client.ts';
import { type TestRegistry, startTestRegistry } from '../registry/test-registry.ts';
import { MEDIA_IMAGE_CONFIG, MEDIA_LAYER_GZIP, buildSampleImage, pushSampleImages } from './sample-image.ts';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('buildSampleImage', () => {
  it('describes a runnable image whose digests match its bytes', async () => {
    const img = await buildSampleImage('simplewebapp2');
    expect(img.repo).toBe('cloud/simplewebapp2');
    expect(img.config).toMatchObject({
      architecture: 'amd64',
      os: 'linux',
      config: {
        Entrypoint: ['/bin/sh', '/start.sh'],
        Env: ['PATH=/bin', 'APP=simplewebapp2', 'PORT=8080'],
        ExposedPorts: { '8080/tcp': {} },
        Labels: { 'matrix.sample': 'true' },
      },
      rootfs: { type: 'layers', diff_ids: [sha(gunzipSync(img.layer))] },
    });
    expect(img.config.history).toHaveLength(1);
    expect(img.manifest).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: MEDIA_IMAGE_CONFIG, size: img.configBytes.length, digest: sha(img.configBytes) },
      layers: [{ mediaType: MEDIA_LAYER_GZIP, size: img.layer.length, digest: sha(img.layer) }],
    });
    expect(img.manifestDigest).toBe(sha(img.manifestBytes));
  });

  it('is deterministic down to the manifest digest', async () => {
    const [a, b] = await Promise.all([buildSampleImage('simplewebapp1'), buildSampleImage('simplewebapp1')]);
    expect(a.manifestDigest).toBe(b.manifestDigest);
    expect(a.layer.equals(b.layer)).toBe(true);
  });

  it('refuses app names that are not safe in a script and a repository', async () => {
    await expect(buildSampleImage("x'; rm -rf /")).rejects.toBeInstanceOf(MatrixError);
    await expect(buildSampleImage('Upper')).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
  });
});

describe('pushSampleImages into a real docker-registry', () => {
  let reg: TestRegistry | undefined;
  beforeAll(async () => {
    reg = await startTestRegistry();
  }, 30_000);
  afterAll(async () => {
    await reg?.stop();
  }, 30_000);

  it('pushes both seed apps and they read back byte for byte', async () => {
    const { client } = reg!;
    const progress: string[] = [];
    const refs = await pushSampleImages(client, undefined, (m) => progress.push(m));
    expect(refs).toEqual([`${client.addr}/cloud/simplewebapp1:latest`, `${client.addr}/cloud/simplewebapp2:latest`]);
    expect(progress.some((m) => m.startsWith(`pushed ${client.addr}/cloud/simplewebapp2:latest@sha256:`))).toBe(true);

    for (const app of ['simplewebapp1', 'simplewebapp2']) {
      const repo = `cloud/${app}`;
      expect(await client.manifestExists(repo, 'latest')).toBe(true);
      expect(await client.listTags(repo)).toEqual(['latest']);
      const fetched = await client.getManifest(repo, 'latest');
      expect(fetched.mediaType).toBe(MEDIA.dockerManifest);
      expect(fetched.digest).toBe(sha(fetched.body));
      const manifest = JSON.parse(fetched.body.toString()) as { config: { digest: string }; layers: { digest: string; size: number }[] };
      const config = await client.getBlob(repo, manifest.config.digest);
      expect(sha(config)).toBe(manifest.config.digest);
      const layer = await client.getBlob(repo, manifest.layers[0]!.digest);
      expect(sha(layer)).toBe(manifest.layers[0]!.digest);
      expect(layer.length).toBe(manifest.layers[0]!.size);
      const diffIds = (JSON.parse(config.toString()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
      expect(diffIds).toEqual([sha(gunzipSync(layer))]);
      expect(fetched.digest).toBe((await buildSampleImage(app)).manifestDigest);
    }
  });

  it('pushing again is a no-op with the same digests', async () => {
    const { client } = reg!;
    const before = await client.getManifest('cloud/simplewebapp1', 'latest');
    await pushSampleImages(client, ['simplewebapp1']);
    expect((await client.getManifest('cloud/simplewebapp1', 'latest')).digest).toBe(before.digest);
  });
});
