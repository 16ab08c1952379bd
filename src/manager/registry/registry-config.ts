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
}

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

// JSON strings are valid YAML double-quoted scalars: paths with spaces or colons stay safe.
const q = (s: string): string => JSON.stringify(s);

/**
 * Access is limited by TLS and the network (nodes sit on the cluster bridge), hence no auth
 * section; delete is on so the manager can garbage-collect old revisions.
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
