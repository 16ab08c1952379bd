/**
 * The cluster PKI on disk, docker-machine style: one CA, a server cert per engine (and one
 * for the registry), a client cert for the manager. Every ensure* is idempotent so the
 * manager and `lab up` can call them on each start without churning node certificates.
 *
 *   <dir>/ca.pem, ca-key.pem
 *   <dir>/servers/<name>/cert.pem, key.pem
 *   <dir>/clients/<name>/cert.pem, key.pem
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MatrixError } from '../../core/errors.ts';
import { type KeyAndCert, type LeafKind, createCa, createLeaf } from './certs.ts';
import { type Sans, assertHostname, normalizeSans, parseSubjectAltName, sameSans } from './sans.ts';

export interface CertPaths {
  cert: string;
  key: string;
}

export interface PkiPaths {
  dir: string;
  caCert: string;
  caKey: string;
  /** Only those present on disk. */
  servers: Record<string, CertPaths>;
  clients: Record<string, CertPaths>;
}

export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

// A cert this close to expiry is reissued on the next ensure, long before anything breaks.
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

function writeAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  // A reader (dockerd, the registry) must never see half a PEM.
  renameSync(tmp, path);
}

function readPair(paths: CertPaths): KeyAndCert | undefined {
  const hasCert = existsSync(paths.cert);
  const hasKey = existsSync(paths.key);
  if (!hasCert && !hasKey) return undefined;
  if (hasCert !== hasKey) {
    throw new MatrixError('E_PKI', `${hasCert ? paths.key : paths.cert} is missing while its pair exists; remove both to regenerate`);
  }
  return { certPem: readFileSync(paths.cert, 'utf8'), keyPem: readFileSync(paths.key, 'utf8') };
}

export class Pki {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  caPaths(): CertPaths {
    return { cert: join(this.dir, 'ca.pem'), key: join(this.dir, 'ca-key.pem') };
  }

  serverPaths(name: string): CertPaths {
    assertHostname(name, 'server.name');
    const d = join(this.dir, 'servers', name);
    return { cert: join(d, 'cert.pem'), key: join(d, 'key.pem') };
  }

  clientPaths(name: string): CertPaths {
    assertHostname(name, 'client.name');
    const d = join(this.dir, 'clients', name);
    return { cert: join(d, 'cert.pem'), key: join(d, 'key.pem') };
  }

  /** Creates the CA once; later calls return the same files (and check they still pair up). */
  async ensureCa(): Promise<CertPaths> {
    const paths = this.caPaths();
    const existing = readPair(paths);
    if (existing) {
      this.checkPair(existing, paths.cert);
      return paths;
    }
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const ca = await createCa();
    writeAtomic(paths.key, ca.keyPem, 0o600);
    writeAtomic(paths.cert, ca.certPem, 0o644);
    return paths;
  }

  /** Issues (or keeps) a serverAuth cert; reissues when SANs, issuer or validity no longer fit. */
  async ensureServerCert(name: string, sans: Sans): Promise<CertPaths> {
    return this.ensureLeaf('server', name, normalizeSans(sans));
  }

  /** A new key and certificate for the server, whatever the one it has (`matrix node regenerate-certs`). */
  async renewServerCert(name: string, sans: Sans): Promise<CertPaths> {
    return this.issueLeaf('server', this.serverPaths(name), name, normalizeSans(sans));
  }

  async ensureClientCert(name = 'manager'): Promise<CertPaths> {
    return this.ensureLeaf('client', name, undefined);
  }

  paths(): PkiPaths {
    const ca = this.caPaths();
    const list = (sub: string, mk: (n: string) => CertPaths): Record<string, CertPaths> => {
      const d = join(this.dir, sub);
      if (!existsSync(d)) return {};
      const out: Record<string, CertPaths> = {};
      for (const n of readdirSync(d).sort()) {
        const p = mk(n);
        if (existsSync(p.cert) && existsSync(p.key)) out[n] = p;
      }
      return out;
    };
    return {
      dir: this.dir,
      caCert: ca.cert,
      caKey: ca.key,
      servers: list('servers', (n) => this.serverPaths(n)),
      clients: list('clients', (n) => this.clientPaths(n)),
    };
  }

  /** PEM strings for dockerode (`ca`, `cert`, `key`) and node:https. */
  clientTls(name = 'manager'): ClientTls {
    const p = this.clientPaths(name);
    const pair = readPair(p);
    if (!pair) throw new MatrixError('E_PKI', `no client certificate "${name}" in ${this.dir}; run ensureClientCert first`);
    return { ca: this.caPem(), cert: pair.certPem, key: pair.keyPem };
  }

  caPem(): string {
    const p = this.caPaths().cert;
    if (!existsSync(p)) throw new MatrixError('E_PKI', `no cluster CA in ${this.dir}; run ensureCa first`);
    return readFileSync(p, 'utf8');
  }

  private async caPair(): Promise<KeyAndCert> {
    await this.ensureCa();
    const ca = readPair(this.caPaths());
    if (!ca) throw new MatrixError('E_PKI', `cluster CA vanished from ${this.dir}`);
    return ca;
  }

  private async ensureLeaf(kind: LeafKind, name: string, sans: Sans | undefined): Promise<CertPaths> {
    const paths = kind === 'server' ? this.serverPaths(name) : this.clientPaths(name);
    const ca = await this.caPair();
    const existing = readPair(paths);
    if (existing && this.leafStillGood(existing, paths.cert, ca, sans)) return paths;
    return this.issueLeaf(kind, paths, name, sans);
  }

  private async issueLeaf(kind: LeafKind, paths: CertPaths, name: string, sans: Sans | undefined): Promise<CertPaths> {
    const ca = await this.caPair();
    const leaf = await createLeaf(ca, { commonName: name, kind, ...(sans ? { sans } : {}) });
    mkdirSync(join(paths.key, '..'), { recursive: true, mode: 0o700 });
    writeAtomic(paths.key, leaf.keyPem, 0o600);
    writeAtomic(paths.cert, leaf.certPem, 0o644);
    return paths;
  }

  private leafStillGood(leaf: KeyAndCert, file: string, ca: KeyAndCert, sans: Sans | undefined): boolean {
    let cert: X509Certificate;
    try {
      cert = this.checkPair(leaf, file);
    } catch {
      return false; // leaves are ours to replace; only a broken CA needs a human
    }
    const caCert = new X509Certificate(ca.certPem);
    if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) return false; // CA was replaced
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
    if (sans && !sameSans(parseSubjectAltName(cert.subjectAltName), sans)) return false;
    return true;
  }

  private checkPair(pair: KeyAndCert, file: string): X509Certificate {
    try {
      const cert = new X509Certificate(pair.certPem);
      if (!cert.checkPrivateKey(createPrivateKey(pair.keyPem))) throw new Error('key does not match certificate');
      return cert;
    } catch (e) {
      throw new MatrixError('E_PKI', `${file}: unusable certificate or key (${(e as Error).message}); remove the pair to regenerate`);
    }
  }
}
