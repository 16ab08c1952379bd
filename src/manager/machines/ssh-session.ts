/**
 * One SSH connection to a machine (ssh2), with the host key checked against the cluster's
 * known_hosts before anything is sent, and the three ways it fails told apart: the host does
 * not answer, it refuses our key, or its host key is not the one we trust.
 */
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { MatrixError } from '../../core/errors.ts';
import { fingerprint, judgeHostKey, type KnownHosts } from './known-hosts.ts';

// ssh2 is CommonJS: its exports are properties of the default export
const { Client, utils } = ssh2;
type Client = InstanceType<typeof Client>;

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** Private key file (OpenSSH or PEM, without a passphrase). */
  key: string;
}

export interface SshTrust {
  knownHosts: KnownHosts;
  /** The fingerprint the user vouches for on first use (`--ssh-host-key`). */
  hostKey?: string;
  /** Asked on first use when no fingerprint was given (a terminal prompt); absent: refuse. */
  confirm?: (question: string) => Promise<boolean>;
}

export interface RemoteResult {
  code: number;
  stdout: string;
  stderr: string;
}

const CONNECT_TIMEOUT_MS = 15_000;
const PROMPT_TIMEOUT_MS = 180_000;

export class SshSession {
  private constructor(
    private readonly client: Client,
    readonly target: SshTarget,
  ) {}

  static async open(target: SshTarget, trust: SshTrust): Promise<SshSession> {
    const privateKey = readPrivateKey(target.key);
    const client = new Client();
    let hostKeyProblem: MatrixError | undefined;
    let accepted: Buffer | undefined;
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => {
        // recorded only once the host let us in: a create that fails on the key changes nothing
        if (accepted) trust.knownHosts.add(target.host, target.port, accepted);
        resolve();
      });
      client.once('error', (e: Error & { level?: string; code?: string }) => reject(hostKeyProblem ?? connectError(target, e)));
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey,
        // the handshake waits for the host-key prompt: give a person time to compare fingerprints
        readyTimeout: trust.confirm ? PROMPT_TIMEOUT_MS : CONNECT_TIMEOUT_MS,
        hostVerifier: (blob: Buffer, verify: (ok: boolean) => void) => {
          void checkHostKey(target, trust, blob).then(
            () => {
              accepted = blob;
              verify(true);
            },
            (e: MatrixError) => {
              hostKeyProblem = e;
              verify(false);
            },
          );
        },
      });
    });
    // a connection lost later (host switched off, network cut) must fail the command under way, not the process
    client.on('error', () => undefined);
    return new SshSession(client, target);
  }

  /** Runs a command line (the login shell parses it); stdin is sent and closed. Never throws for a non-zero exit. */
  exec(command: string, stdin?: string | Buffer): Promise<RemoteResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) {
          reject(new MatrixError('E_MACHINE', `${this.where()}: cannot run a command: ${err.message}`));
          return;
        }
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errs.push(d));
        const lost = () => reject(new MatrixError('E_SSH_UNREACHABLE', `${this.where()}: the connection was lost while a command ran`, { path: 'ssh-host' }));
        this.client.once('close', lost);
        stream.on('close', (code: number | null) => {
          this.client.off('close', lost);
          resolve({ code: code ?? 255, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errs).toString('utf8') });
        });
        stream.end(stdin);
      });
    });
  }

  close(): void {
    this.client.end();
  }

  private where(): string {
    return `${this.target.user}@${this.target.host}:${this.target.port}`;
  }
}

function readPrivateKey(file: string): Buffer {
  let key: Buffer;
  try {
    key = readFileSync(file);
  } catch (e) {
    throw new MatrixError(
      'E_BAD_REQUEST',
      `cannot read the SSH key ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): give the private key that logs in with --ssh-key`,
      {
        path: 'ssh-key',
      },
    );
  }
  const parsed = utils.parseKey(key);
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (first === undefined || first instanceof Error || !first.isPrivateKey()) {
    const why =
      first instanceof Error
        ? /encrypted|passphrase/i.test(first.message)
          ? 'it has a passphrase (use a key without one, kept 0600)'
          : first.message
        : 'it is a public key (give the file without .pub)';
    throw new MatrixError('E_BAD_REQUEST', `${file} is not a private key the ssh driver can use: ${why}`, { path: 'ssh-key' });
  }
  return key;
}

async function checkHostKey(target: SshTarget, trust: SshTrust, blob: Buffer): Promise<void> {
  const recorded = trust.knownHosts.keys(target.host, target.port);
  const verdict = judgeHostKey(recorded, blob, trust.hostKey);
  const fp = fingerprint(blob);
  if (verdict.ok) return;
  if (verdict.reason === 'unknown' && trust.confirm && (await trust.confirm(`The host key of ${target.host}:${target.port} is ${fp}. Trust it?`))) return;
  throw new MatrixError(
    'E_SSH_HOST_KEY',
    verdict.reason === 'unknown'
      ? `the host key of ${target.host}:${target.port} is not known yet (${fp}): check it on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and pass --ssh-host-key ${fp}`
      : recorded.length > 0
        ? `the host key of ${target.host}:${target.port} (${fp}) differs from the one recorded in ${trust.knownHosts.file}: another machine answers at that address, or someone is in between; if the host was reinstalled, remove its line there`
        : `the host key of ${target.host}:${target.port} is ${fp}, not the ${trust.hostKey} given with --ssh-host-key`,
    { path: 'ssh-host-key' },
  );
}

function connectError(t: SshTarget, e: Error & { level?: string; code?: string }): MatrixError {
  const where = `${t.user}@${t.host}:${t.port}`;
  if (e.level === 'client-authentication') {
    return new MatrixError('E_SSH_AUTH', `${where} refused the key ${t.key}: add its public key to ~${t.user}/.ssh/authorized_keys there`, {
      path: 'ssh-key',
    });
  }
  const why = e.code ?? (e.level === 'client-timeout' ? `no SSH handshake within ${CONNECT_TIMEOUT_MS / 1000} s` : e.message);
  return new MatrixError('E_SSH_UNREACHABLE', `cannot reach ${where} over SSH: ${why}`, { path: 'ssh-host' });
}
