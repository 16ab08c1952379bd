/**
 * The cluster PKI on disk, docker-machine style: one CA, a server cert per engine (and one
 * for the registry), a client cert for the manager. Every ensure* is idempotent so the
 * manager and `lab up` can call them on each start without churning node certificates.
 *
 *   <dir>/ca.pem, ca-key.pem
 *   <dir>/servers/<name>/cert.pem, key.pem
 *   <dir>/clients/<name>/cert.pem, key.pem
 *   <dir>/trust.pem, rotation/   only while the CA is rotated (ca-rotation.ts)
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MatrixError } from '../../core/errors.ts';
import { trustFile } from '../../shared/home.ts';
import { type RotationState, parseRotationState } from './ca-rotation.ts';
import { type KeyAndCert, type LeafKind, createCa, createLeaf } from './certs.ts';
import { type Sans, assertHostname, normalizeSans, parseSubjectAltName, sameSans } from './sans.ts';

// the CLI's `ca rotate` may load this module alone (not the manager's)
export { nextRotationStep, type RotationState, type RotationStep } from './ca-rotation.ts';

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

/** Two PEM certificates as one file, each ending in a newline. */
function bundle(...pems: string[]): string {
  return pems.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
}

export class Pki {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * The CA certificates to trust: the CA's own, or while it is rotated the old and the new
   * one together (the manager and the registry trust both until every node has the new).
   */
  trustFile(): string {
    return trustFile(this.dir);
  }

  /**
   * What an engine is set up to trust (dockerd's --tlscacert, and the registry's CA in its
   * certs.d): both CAs in a rotation's first round, so that it takes the manager's next
   * client certificate; the issuing CA alone otherwise.
   */
  engineTrust(): { file: string; pem: string } {
    const file = this.rotation()?.phase === 'trust-both' ? this.trustFile() : this.caPaths().cert;
    return { file, pem: readFileSync(file, 'utf8') };
  }

  /**
   * What an engine needs to pull from the cluster registry (certs.d: ca.crt, client.cert,
   * client.key): the CA(s) it trusts, and the engines' client certificate, issued on first use.
   */
  async registryTrust(): Promise<{ ca: string; cert: string; key: string }> {
    await this.ensureClientCert('engines');
    const { cert, key } = this.clientTls('engines');
    return { ca: this.engineTrust().pem, cert, key };
  }

  /** The CA rotation under way, or null. */
  rotation(): RotationState | null {
    const f = join(this.dir, 'rotation', 'state.json');
    return existsSync(f) ? parseRotationState(readFileSync(f, 'utf8'), f) : null;
  }

  /** Starts a rotation (a new CA, trusted beside the current one); an existing one is returned as it is. */
  async beginRotation(now = new Date()): Promise<RotationState> {
    const current = this.rotation();
    if (current) return current;
    const ca = await this.caPair();
    const next = await createCa(`cloudmatrix CA ${now.toISOString().slice(0, 19)}Z`, now);
    const r = this.rotationPaths();
    mkdirSync(r.dir, { recursive: true, mode: 0o700 });
    writeAtomic(r.nextKey, next.keyPem, 0o600);
    writeAtomic(r.nextCert, next.certPem, 0o644);
    writeAtomic(join(this.dir, 'trust.pem'), bundle(ca.certPem, next.certPem), 0o644);
    // last: its presence is what says a rotation is under way
    return this.saveRotation({ phase: 'trust-both', started: now.toISOString(), done: [], managerOnNewCa: false });
  }

  /** Records that `node` has gone through the rotation's current phase. */
  rotationDone(node: string): RotationState {
    const s = this.requireRotation();
    return this.saveRotation({ ...s, done: [...new Set([...s.done, node])] });
  }

  /**
   * The new CA issues from now on; the old one stays trusted (trust.pem) until finishRotation.
   * Its key is deleted: nothing may be signed by it again. Safe to run again after a crash.
   */
  switchCa(): RotationState {
    const s = this.requireRotation();
    if (s.phase !== 'trust-both') throw new MatrixError('E_PKI', `the CA has been switched already (rotation phase ${s.phase})`);
    const r = this.rotationPaths();
    const next = readPair({ cert: r.nextCert, key: r.nextKey });
    if (!next) throw new MatrixError('E_PKI', `the new CA of the rotation is missing from ${r.dir}; remove ${r.dir} and trust.pem to start over`);
    this.checkPair(next, r.nextCert);
    const ca = this.caPaths();
    if (readFileSync(ca.cert, 'utf8') !== next.certPem) {
      writeAtomic(ca.key, next.keyPem, 0o600);
      writeAtomic(ca.cert, next.certPem, 0o644);
    }
    const switched = this.saveRotation({ phase: 'issue-new', started: s.started, done: [], managerOnNewCa: false });
    rmSync(r.nextKey, { force: true });
    rmSync(r.nextCert, { force: true });
    return switched;
  }

  /** Records that the manager has restarted since the switch (with the new CA's client certificate). */
  rotationManagerRestarted(): RotationState {
    return this.saveRotation({ ...this.requireRotation(), managerOnNewCa: true });
  }

  /** Ends the rotation: only the new CA is trusted from now on. */
  finishRotation(): void {
    const s = this.requireRotation();
    if (s.phase !== 'issue-new') throw new MatrixError('E_PKI', 'the rotation has not switched to the new CA yet');
    const r = this.rotationPaths();
    rmSync(r.state, { force: true }); // first: without it, nothing reads the rest
    rmSync(join(this.dir, 'trust.pem'), { force: true });
    rmSync(r.dir, { recursive: true, force: true });
  }

  private rotationPaths() {
    const dir = join(this.dir, 'rotation');
    return { dir, state: join(dir, 'state.json'), nextCert: join(dir, 'next-ca.pem'), nextKey: join(dir, 'next-ca-key.pem') };
  }

  private requireRotation(): RotationState {
    const s = this.rotation();
    if (!s) throw new MatrixError('E_PKI', 'no CA rotation is under way (matrix ca rotate starts one)');
    return s;
  }

  private saveRotation(s: RotationState): RotationState {
    writeAtomic(this.rotationPaths().state, `${JSON.stringify(s, null, 2)}\n`, 0o600);
    return s;
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
    return { ca: readFileSync(this.trustFile(), 'utf8'), cert: pair.certPem, key: pair.keyPem };
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
