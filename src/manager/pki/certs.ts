/**
 * Certificate minting with node-forge. Keys come from node:crypto because forge's pure-JS
 * RSA generation takes seconds per key, which a `lab up --nodes 20` would feel.
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import type { Sans } from './sans.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface KeyAndCert {
  keyPem: string;
  certPem: string;
}

export type LeafKind = 'server' | 'client';

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_DAYS = 3650;
const LEAF_DAYS = 825; // the longest leaf lifetime common TLS clients still accept

/** PKCS#1 PEM, the format dockerd and every docker-machine era tool accept. */
export async function generateRsaKeyPem(bits = 2048): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return privateKey;
}

function forgeKeys(keyPem: string): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const privateKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return { privateKey, publicKey: forge.pki.setRsaPublicKey(privateKey.n, privateKey.e) };
}

// Positive 128-bit serial: forge writes the hex as-is, and a leading 1 bit would make it negative.
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number, now: Date): void {
  // Back-dated an hour so a node whose clock is slightly behind still accepts a fresh cert.
  cert.validity.notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
}

export async function createCa(commonName = 'cloudmatrix CA', now = new Date()): Promise<KeyAndCert> {
  const keyPem = await generateRsaKeyPem();
  const { privateKey, publicKey } = forgeKeys(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  validity(cert, CA_DAYS, now);
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'cloudmatrix' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  return { keyPem, certPem: forge.pki.certificateToPem(cert) };
}

export async function createLeaf(ca: KeyAndCert, opts: { commonName: string; kind: LeafKind; sans?: Sans; now?: Date }): Promise<KeyAndCert> {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keyPem = await generateRsaKeyPem();
  const { publicKey } = forgeKeys(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  validity(cert, LEAF_DAYS, opts.now ?? new Date());
  cert.setSubject([
    { name: 'commonName', value: opts.commonName },
    { name: 'organizationName', value: 'cloudmatrix' },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: opts.kind === 'server', clientAuth: opts.kind === 'client' },
    { name: 'subjectKeyIdentifier' },
    // Same derivation as the CA's subjectKeyIdentifier, so chain builders can match them.
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ];
  const sans = opts.sans;
  if (sans && sans.dns.length + sans.ips.length > 0) {
    extensions.push({
      name: 'subjectAltName',
      altNames: [...sans.dns.map((value) => ({ type: 2, value })), ...sans.ips.map((ip) => ({ type: 7, ip }))],
    });
  }
  cert.setExtensions(extensions);
  cert.sign(caKey, forge.md.sha256.create());
  return { keyPem, certPem: forge.pki.certificateToPem(cert) };
}
