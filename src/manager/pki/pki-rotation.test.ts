/** Pki's side of `matrix ca rotate`, on real certificates: what is trusted and issued in each phase. */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MatrixError } from '../../core/errors.ts';
import { Pki } from './pki.ts';
import { nodeSans } from './sans.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function cluster(): Promise<Pki> {
  const d = mkdtempSync(join(tmpdir(), 'mx-rot-'));
  dirs.push(d);
  const pki = new Pki(join(d, 'pki'));
  await pki.ensureServerCert('node1', SANS);
  await pki.ensureClientCert('manager');
  return pki;
}

const SANS = nodeSans({ name: 'node1', address: '10.210.0.11' });
const certsIn = (pem: string): X509Certificate[] =>
  (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
const fp = (pem: string): string[] => certsIn(pem).map((c) => c.fingerprint256);
const signedBy = (leafFile: string, caPem: string): boolean => {
  const leaf = new X509Certificate(readFileSync(leafFile));
  return certsIn(caPem).some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
};
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof MatrixError ? e.code : 'not a MatrixError';
  }
  return undefined;
};

describe('Pki CA rotation', () => {
  it('without a rotation, everything trusts the CA alone', async () => {
    const pki = await cluster();
    const ca = readFileSync(pki.caPaths().cert, 'utf8');
    expect(pki.rotation()).toBeNull();
    expect(pki.trustFile()).toBe(pki.caPaths().cert);
    expect(pki.engineTrust()).toEqual({ file: pki.caPaths().cert, pem: ca });
    expect(pki.clientTls().ca).toBe(ca);
  });

  it('goes through both rounds: trust both, switch the issuer, reissue, trust the new CA alone', async () => {
    const pki = await cluster();
    const oldCa = readFileSync(pki.caPaths().cert, 'utf8');
    const oldKey = readFileSync(pki.caPaths().key, 'utf8');
    const oldServer = readFileSync(pki.serverPaths('node1').cert, 'utf8');

    // round 1: a new CA trusted beside the old one; nothing issued by it yet
    const begun = await pki.beginRotation(new Date('2026-11-27T10:00:00Z'));
    expect(begun).toEqual({ phase: 'trust-both', started: '2026-11-27T10:00:00.000Z', done: [], managerOnNewCa: false });
    const bundle = readFileSync(pki.trustFile(), 'utf8');
    expect(fp(bundle)).toHaveLength(2);
    expect(fp(bundle)[0]).toBe(fp(oldCa)[0]);
    const newCa = certsIn(bundle)[1]!;
    expect(newCa.subject).toContain('CN=cloudmatrix CA 2026-11-27T10:00:00Z');
    expect(newCa.ca).toBe(true);
    expect(pki.engineTrust().pem).toBe(bundle);
    expect(pki.clientTls().ca).toBe(bundle);
    expect(readFileSync(pki.caPaths().cert, 'utf8')).toBe(oldCa); // still the issuer
    await pki.ensureServerCert('node1', SANS);
    expect(readFileSync(pki.serverPaths('node1').cert, 'utf8')).toBe(oldServer); // kept: still from the issuer
    expect(statSync(join(pki.dir, 'rotation', 'next-ca-key.pem')).mode & 0o777).toBe(0o600);
    // begun twice is the same rotation
    expect(await pki.beginRotation()).toEqual(begun);
    expect(readFileSync(pki.trustFile(), 'utf8')).toBe(bundle);
    expect(pki.rotationDone('node1').done).toEqual(['node1']);
    expect(pki.rotationDone('node1').done).toEqual(['node1']);

    // the switch: the new CA issues; the old one's key is gone, its certificate still trusted
    expect(pki.switchCa()).toEqual({ phase: 'issue-new', started: begun.started, done: [], managerOnNewCa: false });
    expect(fp(readFileSync(pki.caPaths().cert, 'utf8'))).toEqual([newCa.fingerprint256]);
    expect(readFileSync(pki.caPaths().key, 'utf8')).not.toBe(oldKey);
    expect(existsSync(join(pki.dir, 'rotation', 'next-ca-key.pem'))).toBe(false);
    expect(readFileSync(pki.trustFile(), 'utf8')).toBe(bundle); // the manager trusts both until the end
    expect(fp(pki.engineTrust().pem)).toEqual([newCa.fingerprint256]); // round 2's engines trust the new alone
    // leaves from the old CA are reissued by the new one on their next ensure
    await pki.ensureServerCert('node1', SANS);
    await pki.ensureClientCert('manager');
    expect(signedBy(pki.serverPaths('node1').cert, newCa.toString())).toBe(true);
    expect(signedBy(pki.serverPaths('node1').cert, oldCa)).toBe(false);
    expect(signedBy(pki.clientPaths('manager').cert, pki.clientTls().ca)).toBe(true);
    expect(codeOf(() => pki.switchCa())).toBe('E_PKI'); // not twice
    expect(codeOf(() => pki.finishRotation())).toBeUndefined();

    // done: the new CA alone, everywhere
    expect(pki.rotation()).toBeNull();
    expect(pki.trustFile()).toBe(pki.caPaths().cert);
    expect(fp(pki.clientTls().ca)).toEqual([newCa.fingerprint256]);
    expect(existsSync(join(pki.dir, 'rotation'))).toBe(false);
    expect(codeOf(() => pki.finishRotation())).toBe('E_PKI');
  });

  it('a switch stopped after the new CA was written is finished by running it again', async () => {
    const pki = await cluster();
    await pki.beginRotation();
    const next = {
      cert: readFileSync(join(pki.dir, 'rotation', 'next-ca.pem'), 'utf8'),
      key: readFileSync(join(pki.dir, 'rotation', 'next-ca-key.pem'), 'utf8'),
    };
    // as if the process died right after writing the CA files
    writeFileSync(pki.caPaths().key, next.key);
    writeFileSync(pki.caPaths().cert, next.cert);
    expect(pki.switchCa().phase).toBe('issue-new');
    expect(readFileSync(pki.caPaths().cert, 'utf8')).toBe(next.cert);
    await pki.ensureCa(); // the pair matches
  });

  it('finishing before the switch, or a rotation state it did not write, is E_PKI and changes nothing', async () => {
    const pki = await cluster();
    expect(codeOf(() => pki.rotationDone('node1'))).toBe('E_PKI');
    expect(codeOf(() => pki.switchCa())).toBe('E_PKI');
    await pki.beginRotation();
    const bundle = readFileSync(pki.trustFile(), 'utf8');
    expect(codeOf(() => pki.finishRotation())).toBe('E_PKI');
    expect(readFileSync(pki.trustFile(), 'utf8')).toBe(bundle);
    writeFileSync(join(pki.dir, 'rotation', 'state.json'), '{"phase":"later"}');
    expect(codeOf(() => pki.rotation())).toBe('E_PKI');
    expect(codeOf(() => pki.engineTrust())).toBe('E_PKI');
  });
});
