import { X509Certificate } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MatrixError } from '../../core/errors.ts';
import { Pki } from './pki.ts';
import { nodeSans, parseSubjectAltName, registrySans } from './sans.ts';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

let dir: string;
let pki: Pki;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mx-pki-'));
  pki = new Pki(join(dir, 'pki'));
  await pki.ensureCa();
  await pki.ensureServerCert('node1', nodeSans({ name: 'node1', address: '10.210.0.11' }));
  await pki.ensureClientCert();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cert = (p: string): X509Certificate => new X509Certificate(readFileSync(p));
const snapshot = (): string[] => {
  const p = pki.paths();
  return [p.caCert, p.caKey, ...Object.values(p.servers).flatMap((c) => [c.cert, c.key]), ...Object.values(p.clients).flatMap((c) => [c.cert, c.key])].map(
    (f) => `${f}:${statSync(f).mtimeMs}:${readFileSync(f, 'utf8')}`,
  );
};

describe('Pki', () => {
  it('renews a server certificate on demand: a new key and serial from the same CA, the other files untouched', async () => {
    const other = new Pki(join(dir, 'renew'));
    const sans = nodeSans({ name: 'web1', address: '10.0.0.21' });
    const first = await other.ensureServerCert('web1', sans);
    const before = { cert: readFileSync(first.cert, 'utf8'), key: readFileSync(first.key, 'utf8'), ca: readFileSync(other.caPaths().cert, 'utf8') };
    const again = await other.renewServerCert('web1', sans);
    expect(again).toEqual(first);
    const renewed = cert(again.cert);
    expect(readFileSync(again.key, 'utf8')).not.toBe(before.key);
    expect(renewed.serialNumber).not.toBe(new X509Certificate(before.cert).serialNumber);
    expect(renewed.checkIssued(new X509Certificate(before.ca))).toBe(true);
    expect(readFileSync(other.caPaths().cert, 'utf8')).toBe(before.ca);
    expect(statSync(again.key).mode & 0o777).toBe(0o600);
    // and ensure keeps the renewed one
    await other.ensureServerCert('web1', sans);
    expect(cert(again.cert).serialNumber).toBe(renewed.serialNumber);
  });

  it('lays files out docker-machine style with private keys 0600', () => {
    const p = pki.paths();
    expect(p.caCert).toBe(join(dir, 'pki', 'ca.pem'));
    expect(p.caKey).toBe(join(dir, 'pki', 'ca-key.pem'));
    expect(p.servers).toEqual({ node1: { cert: join(dir, 'pki/servers/node1/cert.pem'), key: join(dir, 'pki/servers/node1/key.pem') } });
    expect(p.clients).toEqual({ manager: { cert: join(dir, 'pki/clients/manager/cert.pem'), key: join(dir, 'pki/clients/manager/key.pem') } });
    for (const k of [p.caKey, p.servers.node1!.key, p.clients.manager!.key]) expect(statSync(k).mode & 0o777).toBe(0o600);
  });

  it('signs server and client certs with the CA', () => {
    const ca = cert(pki.paths().caCert);
    expect(ca.ca).toBe(true);
    for (const c of [cert(pki.serverPaths('node1').cert), cert(pki.clientPaths('manager').cert)]) {
      expect(c.ca).toBe(false);
      expect(c.checkIssued(ca)).toBe(true);
      expect(c.verify(ca.publicKey)).toBe(true);
    }
  });

  it('puts exactly the SANs asked for and the right EKU', () => {
    const server = cert(pki.serverPaths('node1').cert);
    expect(server.subjectAltName).toBe('DNS:node1, DNS:node1.matrix, IP Address:10.210.0.11');
    expect(server.keyUsage).toEqual([SERVER_AUTH]);
    const client = cert(pki.clientPaths('manager').cert);
    expect(client.keyUsage).toEqual([CLIENT_AUTH]);
    expect(client.subject).toContain('CN=manager');
  });

  it('is idempotent: a second round of ensures changes no file', async () => {
    const before = snapshot();
    await pki.ensureCa();
    await pki.ensureServerCert('node1', { dns: ['node1.matrix', 'NODE1'], ips: ['10.210.0.11'] });
    await pki.ensureClientCert('manager');
    expect(snapshot()).toEqual(before);
  });

  it('reissues a server cert when its SANs change, keeping the CA', async () => {
    const ca = readFileSync(pki.paths().caCert, 'utf8');
    await pki.ensureServerCert('registry', registrySans('127.0.0.1'));
    const first = readFileSync(pki.serverPaths('registry').cert, 'utf8');
    await pki.ensureServerCert('registry', registrySans('10.210.0.1'));
    const second = cert(pki.serverPaths('registry').cert);
    expect(second.toString()).not.toBe(first);
    expect(parseSubjectAltName(second.subjectAltName)).toEqual(registrySans('10.210.0.1'));
    expect(readFileSync(pki.paths().caCert, 'utf8')).toBe(ca);
  });

  it('reissues a leaf whose key no longer matches, but refuses a broken CA', async () => {
    const p = pki.clientPaths('broken');
    await pki.ensureClientCert('broken');
    writeFileSync(p.key, readFileSync(pki.clientPaths('manager').key));
    await pki.ensureClientCert('broken');
    expect(cert(p.cert).checkPrivateKey((await import('node:crypto')).createPrivateKey(readFileSync(p.key)))).toBe(true);

    const other = new Pki(join(dir, 'other'));
    await other.ensureCa();
    writeFileSync(other.caPaths().key, readFileSync(pki.caPaths().key));
    await expect(other.ensureCa()).rejects.toMatchObject({ code: 'E_PKI' });
  });

  it('gives PEM strings for TLS clients', () => {
    const tls = pki.clientTls();
    expect(tls.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(tls.cert).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(tls.key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(() => pki.clientTls('nobody')).toThrow(MatrixError);
  });

  it('rejects names that would escape the directory', async () => {
    await expect(pki.ensureServerCert('../x', { dns: [], ips: [] })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    await expect(pki.ensureServerCert('ok', { dns: [], ips: ['300.1.1.1'] })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
  });

  it.runIf(hasOpenssl)('passes openssl verify with the intended purpose', () => {
    const ca = pki.paths().caCert;
    const ok = (purpose: string, file: string): string => execFileSync('openssl', ['verify', '-purpose', purpose, '-CAfile', ca, file], { encoding: 'utf8' });
    expect(ok('sslserver', pki.serverPaths('node1').cert)).toContain('OK');
    expect(ok('sslclient', pki.clientPaths('manager').cert)).toContain('OK');
    const wrong = spawnSync('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', ca, pki.serverPaths('node1').cert]);
    expect(wrong.status).not.toBe(0);
  });
});
