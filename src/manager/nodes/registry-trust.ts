/**
 * An engine on this host trusting the cluster registry: dockerd reads a registry's CA and its
 * own client certificate only from /etc/docker/certs.d/<host:port>/ (global to the host's
 * engines), ca.crt to trust the registry, client.cert/key to be let in by it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CERTS_D = '/etc/docker/certs.d';

/** Writes the trust for `registry` (host:port); `created` says whether its directory is new (so whoever made it removes it). */
export function writeRegistryTrust(
  registry: string,
  ca: string | Buffer,
  client: { cert: string; key: string },
  root = CERTS_D,
): { dir: string; created: boolean } {
  const dir = join(root, registry);
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileSync(join(dir, 'ca.crt'), ca);
  writeFileSync(join(dir, 'client.cert'), client.cert);
  writeFileSync(join(dir, 'client.key'), client.key, { mode: 0o600 });
  return { dir, created };
}
