/**
 * Test support (not a test): a real docker-registry on loopback with certificates from a
 * throwaway Pki. Shared by the registry and images tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pki } from '../pki/pki.ts';
import { registrySans } from '../pki/sans.ts';
import { RegistryClient } from './registry-client.ts';
import { type RunningRegistry, startRegistry } from './registry-process.ts';

export interface TestRegistry {
  dir: string;
  pki: Pki;
  registry: RunningRegistry;
  client: RegistryClient;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startTestRegistry(): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'mx-registry-'));
  try {
    const pki = new Pki(join(dir, 'pki'));
    await pki.ensureCa();
    const tls = await pki.ensureServerCert('registry', registrySans('127.0.0.1'));
    await pki.ensureClientCert('manager');
    const client_ = pki.clientTls('manager');
    const addr = `127.0.0.1:${await freePort()}`;
    const registry = await startRegistry({
      home: join(dir, 'registry'),
      addr,
      tls: { certFile: tls.cert, keyFile: tls.key, clientCaFile: pki.trustFile(), ca: client_.ca, client: client_ },
    });
    const client = new RegistryClient({ addr, ca: client_.ca, cert: client_.cert, key: client_.key });
    const stop = async (): Promise<void> => {
      client.close();
      await registry.stop();
      rmSync(dir, { recursive: true, force: true });
    };
    return { dir, pki, registry, client, stop };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
