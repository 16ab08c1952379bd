/**
 * Pure builders for the registry process: its config file and its command line.
 * Debian's packaged config demands htpasswd auth, so the manager always writes its own.
 */

export interface RegistryConfigInput {
  /** host:port the registry listens on, e.g. '10.210.0.1:5000'. */
  addr: string;
  rootDir: string;
  certFile: string;
  keyFile: string;
  /** The cluster CA: only clients with a certificate it signed (the manager, the nodes) get in. */
  clientCaFile: string;
}

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

// JSON strings are valid YAML double-quoted scalars: paths with spaces or colons stay safe.
const q = (s: string): string => JSON.stringify(s);

/**
 * Access needs a client certificate from the cluster CA (`clientcas`: distribution then
 * requires and verifies one in the TLS handshake): the manager and the nodes have one, a
 * container or a stranger on the network does not, so nobody else can list, pull or push
 * (overwriting `cloud/<app>` would run their code on every node). Delete is on so the
 * manager can garbage-collect old revisions.
 */
export function registryConfig(input: RegistryConfigInput): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    '  fields:',
    '    service: registry',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(input.rootDir)}`,
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: inmemory',
    'http:',
    `  addr: ${q(input.addr)}`,
    '  tls:',
    `    certificate: ${q(input.certFile)}`,
    `    key: ${q(input.keyFile)}`,
    '    clientcas:',
    `      - ${q(input.clientCaFile)}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    'health:',
    '  storagedriver:',
    '    enabled: true',
    '    interval: 10s',
    '    threshold: 3',
    '',
  ].join('\n');
}

export function registryCommand(configPath: string, binary = REGISTRY_BINARY): string[] {
  return [binary, 'serve', configPath];
}
