import { describe, expect, it } from 'vitest';
import { apiUrl, DEFAULT_MANAGER_CONFIG, validateManagerConfig, dnsListen } from './manager-config.ts';

describe('manager config', () => {
  it('accepts the defaults and loopback API addresses', () => {
    expect(validateManagerConfig({})).toEqual(DEFAULT_MANAGER_CONFIG);
    for (const api of ['127.0.0.1:7070', '127.1.2.3:1', 'localhost:7070', '[::1]:7070']) expect(validateManagerConfig({ api }).api).toBe(api);
  });

  it('refuses an API bound beyond loopback (the token would travel in clear), with the key as path', () => {
    for (const api of ['0.0.0.0:7070', ':7070', '10.210.0.1:7070', '[::]:7070', 'example.com:7070']) {
      expect(() => validateManagerConfig({ api }), api).toThrow(
        expect.objectContaining({ code: 'E_BAD_REQUEST', path: 'api', message: expect.stringMatching(/loopback.*--api-tls/) }),
      );
    }
  });

  it('accepts any address when the API serves HTTPS, and says where a local client dials', () => {
    for (const api of ['0.0.0.0:7443', ':7443', '10.210.0.1:7443', '[::]:7443']) expect(validateManagerConfig({ api, apiTls: true }).api).toBe(api);
    expect(() => validateManagerConfig({ apiTls: 'yes' as never })).toThrow(expect.objectContaining({ path: 'apiTls' }));
    expect(apiUrl({ api: '0.0.0.0:7443', apiTls: true })).toBe('https://127.0.0.1:7443');
    expect(apiUrl({ api: ':7443', apiTls: true })).toBe('https://127.0.0.1:7443');
    expect(apiUrl({ api: '[::]:7443', apiTls: true })).toBe('https://[::1]:7443');
    expect(apiUrl({ api: '10.0.0.5:7443', apiTls: true })).toBe('https://10.0.0.5:7443');
    expect(apiUrl(DEFAULT_MANAGER_CONFIG)).toBe('http://127.0.0.1:7070');
  });

  it('reads the host-access policy: known keys, true or false, the rest refused', () => {
    expect(validateManagerConfig({}).policy).toEqual({ privileged: false, capabilities: false, devices: false, hostNamespaces: false, hostPaths: false });
    expect(validateManagerConfig({ policy: { devices: true } as never }).policy).toMatchObject({ devices: true, privileged: false });
    expect(() => validateManagerConfig({ policy: { root: true } as never })).toThrow(expect.objectContaining({ path: 'policy.root' }));
    expect(() => validateManagerConfig({ policy: { devices: 'yes' } as never })).toThrow(expect.objectContaining({ path: 'policy.devices' }));
    expect(() => validateManagerConfig({ policy: [] as never })).toThrow(expect.objectContaining({ path: 'policy' }));
  });

  it('lists extra registries by host', () => {
    expect(validateManagerConfig({ allowedRegistries: ['registry.example.com', '10.0.0.5:5000'] }).allowedRegistries).toHaveLength(2);
    for (const bad of [['http://x'], ['a b'], 'x', [1]] as never[]) {
      expect(() => validateManagerConfig({ allowedRegistries: bad })).toThrow(expect.objectContaining({ path: 'allowedRegistries' }));
    }
  });

  it('refuses malformed addresses and domains with their key', () => {
    expect(() => validateManagerConfig({ registry: 'nope' })).toThrow(expect.objectContaining({ path: 'registry' }));
    expect(() => validateManagerConfig({ domain: 'Bad_Domain' })).toThrow(expect.objectContaining({ path: 'domain' }));
  });
});

describe('the cluster network and DNS settings', () => {
  it('refuses a range that is not a private /8../23, naming the key', () => {
    expect(validateManagerConfig({ network: '172.20.0.0/16' }).network).toBe('172.20.0.0/16');
    for (const network of ['10.220.0.0/24', '8.8.0.0/16', 'x']) {
      expect(() => validateManagerConfig({ network })).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: 'network' }));
    }
    expect(() => validateManagerConfig({ dns: 'nope' })).toThrow(expect.objectContaining({ path: 'dns' }));
  });

  it('the DNS listens on the registry address nodes reach, port 53, or where `dns` says; none when the registry is on loopback', () => {
    expect(dnsListen({ dns: '', registry: '10.210.0.1:5000' })).toEqual({ address: '10.210.0.1', port: 53 });
    expect(dnsListen({ dns: '10.0.0.5:5353', registry: '127.0.0.1:5000' })).toEqual({ address: '10.0.0.5', port: 5353 });
    expect(dnsListen({ dns: '', registry: '127.0.0.1:5000' })).toBeNull();
    expect(dnsListen({ dns: '', registry: ':5000' })).toBeNull();
  });
});
