import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pki } from '../pki/pki.ts';
import { registrySans } from '../pki/sans.ts';
import { Agent } from 'node:https';
import { sendRequest } from '../../util/http-request.ts';
import { MEDIA, RegistryClient, sha256Digest } from './registry-client.ts';
import { probeAddr, startRegistry } from './registry-process.ts';
import { type TestRegistry, freePort, startTestRegistry } from './test-registry.ts';

let reg: TestRegistry | undefined;
const r = (): TestRegistry => {
  if (!reg) throw new Error('registry did not start');
  return reg;
};

beforeAll(async () => {
  reg = await startTestRegistry();
}, 30_000);
afterAll(async () => {
  await reg?.stop();
}, 30_000);

// A tar is 512-byte blocks; two zero blocks is the smallest valid (empty) archive.
const layer = gzipSync(Buffer.alloc(1024));
const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest(Buffer.alloc(1024))] } }));

async function pushTiny(client: RegistryClient, repo: string, tag: string): Promise<string> {
  const layerDigest = await client.pushBlob(repo, layer);
  const configDigest = await client.pushBlob(repo, config);
  return client.pushManifest(repo, tag, {
    schemaVersion: 2,
    mediaType: MEDIA.dockerManifest,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: layerDigest }],
  });
}

describe('RegistryClient against a real docker-registry', () => {
  it('pings over TLS verified by the cluster CA', async () => {
    await expect(r().client.ping()).resolves.toBeUndefined();
  });

  it('pushes an image and finds it by tag', async () => {
    const { client } = r();
    expect(await client.manifestExists('test/tiny', 'v1')).toBe(false);
    const digest = await pushTiny(client, 'test/tiny', 'v1');
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(await client.manifestExists('test/tiny', 'v1')).toBe(true);
    expect(await client.manifestExists('test/tiny', 'v2')).toBe(false);
    expect(await client.manifestExists('test/missing', 'latest')).toBe(false);
    expect(await client.blobExists('test/tiny', sha256Digest(layer))).toBe(true);
    expect(await client.getBlob('test/tiny', sha256Digest(config))).toEqual(config);
    const m = await client.getManifest('test/tiny', 'v1');
    expect(m.digest).toBe(digest);
    expect(m.mediaType).toBe(MEDIA.dockerManifest);
  });

  it('lists tags, and none for an unknown repository', async () => {
    const { client } = r();
    await pushTiny(client, 'test/tags', 'b');
    await pushTiny(client, 'test/tags', 'a');
    expect(await client.listTags('test/tags')).toEqual(['a', 'b']);
    expect(await client.listTags('test/nothing-here')).toEqual([]);
  });

  it('does not upload a blob the registry already has', async () => {
    const { client } = r();
    const data = Buffer.from('same bytes twice');
    const first = await client.pushBlob('test/dedupe', data);
    expect(await client.pushBlob('test/dedupe', data)).toBe(first);
    expect(first).toBe(sha256Digest(data));
  });

  it('maps refusals and bad input to MatrixErrors', async () => {
    const { client } = r();
    await expect(client.pushManifest('test/bad', 'v1', { schemaVersion: 2, nonsense: true })).rejects.toMatchObject({ code: 'E_REGISTRY' });
    await expect(client.getManifest('test/tiny', 'nope')).rejects.toMatchObject({ code: 'E_IMAGE_NOT_FOUND' });
    await expect(client.manifestExists('../etc', 'x')).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    await expect(client.manifestExists('ok', 'bad tag')).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
  });

  it('refuses a registry whose certificate another CA signed', async () => {
    const other = new Pki(join(r().dir, 'other-pki'));
    await other.ensureCa();
    const mine = r().pki.clientTls('manager');
    const stranger = new RegistryClient({ addr: r().registry.addr, ca: other.caPem(), cert: mine.cert, key: mine.key });
    await expect(stranger.ping()).rejects.toMatchObject({ code: 'E_REGISTRY' });
    stranger.close();
  });

  it('refuses clients without a certificate from the cluster CA: no catalog, no pull, no push', async () => {
    const ca = r().pki.caPem();
    const rogueCa = new Pki(join(r().dir, 'rogue-pki'));
    await rogueCa.ensureCa();
    await rogueCa.ensureClientCert('intruder');
    const rogue = rogueCa.clientTls('intruder');
    for (const [who, client] of [
      ['no certificate', { ca }],
      ['a certificate from another CA', { ca, cert: rogue.cert, key: rogue.key }],
    ] as const) {
      for (const [method, path] of [
        ['GET', '/v2/_catalog'],
        ['GET', '/v2/cloud/simplewebapp1/manifests/latest'],
        ['POST', '/v2/cloud/evil/blobs/uploads/'],
      ] as const) {
        const got = await sendRequest({
          method,
          url: `https://${r().registry.addr}${path}`,
          agent: new Agent({ ...client, keepAlive: false }),
          timeoutMs: 5000,
        }).then(
          (res) => `HTTP ${res.status}`,
          (e: Error) => `refused: ${e.message}`,
        );
        expect(got, `${who}: ${method} ${path}`).toMatch(/^refused/);
      }
    }
  });
});

describe('startRegistry failures', () => {
  let dir: string;
  let pki: Pki;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mx-registry-fail-'));
    pki = new Pki(join(dir, 'pki'));
    await pki.ensureServerCert('registry', registrySans('127.0.0.1'));
    await pki.ensureClientCert('manager');
  });
  const clientTls = () => {
    const c = pki.clientTls('manager');
    return { clientCaFile: pki.paths().caCert, ca: c.ca, client: { cert: c.cert, key: c.key } };
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports an early exit with the log tail', async () => {
    const err = await startRegistry({
      home: join(dir, 'r1'),
      addr: `127.0.0.1:${await freePort()}`,
      tls: { certFile: join(dir, 'missing.pem'), keyFile: join(dir, 'missing-key.pem'), ...clientTls() },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_REGISTRY' });
    expect(String((err as Error).message)).toMatch(/exited[\s\S]*tail[\s\S]*missing/);
  });

  it('fails fast when the CA does not vouch for the served certificate', async () => {
    const other = new Pki(join(dir, 'other'));
    await other.ensureCa();
    const tls = pki.serverPaths('registry');
    const err = await startRegistry({
      home: join(dir, 'r2'),
      addr: `127.0.0.1:${await freePort()}`,
      tls: { certFile: tls.cert, keyFile: tls.key, ...clientTls(), ca: other.caPem() },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_REGISTRY' });
    expect(String((err as Error).message)).toMatch(/certificate/);
  });

  it('stops and is gone afterwards', async () => {
    const tls = pki.serverPaths('registry');
    const running = await startRegistry({
      home: join(dir, 'r3'),
      addr: `127.0.0.1:${await freePort()}`,
      tls: { certFile: tls.cert, keyFile: tls.key, ...clientTls() },
      detached: true,
    });
    expect(() => process.kill(running.pid, 0)).not.toThrow();
    await running.stop();
    expect(() => process.kill(running.pid, 0)).toThrow();
    await running.stop(); // twice is harmless
  });

  it('probes wildcard listen addresses on loopback', () => {
    expect(probeAddr('0.0.0.0:5000')).toBe('127.0.0.1:5000');
    expect(probeAddr(':5000')).toBe('127.0.0.1:5000');
    expect(probeAddr('10.210.0.1:5000')).toBe('10.210.0.1:5000');
  });
});
