import { describe, expect, it } from 'vitest';
import { registryCommand, registryConfig } from './registry-config.ts';

describe('registryConfig', () => {
  const yaml = registryConfig({
    addr: '10.210.0.1:5000',
    rootDir: '/var/lib/matrix/registry/data',
    certFile: '/var/lib/matrix/pki/servers/registry/cert.pem',
    keyFile: '/var/lib/matrix/pki/servers/registry/key.pem',
    clientCaFile: '/var/lib/matrix/pki/ca.pem',
  });

  it('renders the distribution 2.8 config the manager runs with', () => {
    expect(yaml).toBe(`version: 0.1
log:
  level: info
  formatter: text
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: "/var/lib/matrix/registry/data"
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: "10.210.0.1:5000"
  tls:
    certificate: "/var/lib/matrix/pki/servers/registry/cert.pem"
    key: "/var/lib/matrix/pki/servers/registry/key.pem"
    clientcas:
      - "/var/lib/matrix/pki/ca.pem"
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`);
  });

  it('has no auth section (Debian default htpasswd must not leak in)', () => {
    expect(yaml).not.toMatch(/^auth:/m);
    expect(yaml).not.toContain('htpasswd');
  });

  it('quotes paths so odd characters stay one scalar', () => {
    expect(registryConfig({ addr: '127.0.0.1:1', rootDir: '/tmp/a b: "c"', certFile: 'c', keyFile: 'k', clientCaFile: 'ca' })).toContain(
      'rootdirectory: "/tmp/a b: \\"c\\""',
    );
  });
});

describe('registryCommand', () => {
  it('is data', () => {
    expect(registryCommand('/x/config.yml')).toEqual(['/usr/bin/docker-registry', 'serve', '/x/config.yml']);
  });
});
