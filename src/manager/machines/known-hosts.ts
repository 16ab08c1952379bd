/**
 * SSH host keys the cluster trusts, in OpenSSH's known_hosts format (`[host]:port type key`),
 * so the same file serves `matrix node ssh` (ssh -o UserKnownHostsFile=…) and the driver.
 * A key is trusted once: on first use by its fingerprint (`--ssh-host-key` or the prompt),
 * afterwards only the recorded key is accepted.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** OpenSSH's fingerprint of a public key blob (the wire format): `SHA256:` and unpadded base64. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type inside a public key blob (its first SSH string, e.g. `ssh-ed25519`). */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

/** The name OpenSSH files a host under: bare on port 22, `[host]:port` otherwise. */
export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function knownHostLine(host: string, port: number, blob: Buffer): string {
  return `${hostPattern(host, port)} ${keyType(blob)} ${blob.toString('base64')}`;
}

/** The keys recorded for a host (hashed or wildcard entries are not written by us, so not read). */
export function recordedKeys(text: string, host: string, port: number): Buffer[] {
  const name = hostPattern(host, port);
  const keys: Buffer[] = [];
  for (const line of text.split('\n')) {
    const [hosts, , key] = line.trim().split(/\s+/);
    if (!hosts || !key || hosts.startsWith('#')) continue;
    if (hosts.split(',').includes(name)) keys.push(Buffer.from(key, 'base64'));
  }
  return keys;
}

export type HostKeyVerdict = { ok: true } | { ok: false; reason: 'unknown' | 'changed' };

/**
 * Pure: may we talk to the host presenting `blob`? A recorded key must match; with none
 * recorded, only a fingerprint given by the user (`--ssh-host-key`) lets it in.
 */
export function judgeHostKey(recorded: Buffer[], blob: Buffer, expected: string | undefined): HostKeyVerdict {
  if (recorded.length > 0) return recorded.some((k) => k.equals(blob)) ? { ok: true } : { ok: false, reason: 'changed' };
  if (expected === undefined) return { ok: false, reason: 'unknown' };
  return normalizeFingerprint(expected) === fingerprint(blob) ? { ok: true } : { ok: false, reason: 'changed' };
}

/** `SHA256:abc`, `abc` or `abc=` all name the same fingerprint. */
export function normalizeFingerprint(f: string): string {
  const body = f
    .trim()
    .replace(/^SHA256:/, '')
    .replace(/=+$/, '');
  return `SHA256:${body}`;
}

export class KnownHosts {
  constructor(readonly file: string) {}

  keys(host: string, port: number): Buffer[] {
    return existsSync(this.file) ? recordedKeys(readFileSync(this.file, 'utf8'), host, port) : [];
  }

  add(host: string, port: number, blob: Buffer): void {
    const before = existsSync(this.file) ? readFileSync(this.file, 'utf8') : '';
    if (recordedKeys(before, host, port).some((k) => k.equals(blob))) return;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const sep = before === '' || before.endsWith('\n') ? '' : '\n';
    writeFileSync(this.file, `${before}${sep}${knownHostLine(host, port, blob)}\n`, { mode: 0o600 });
  }

  /** Forgets a host (its machine was removed): a new machine at that address is asked about anew. */
  remove(host: string, port: number): void {
    if (!existsSync(this.file)) return;
    const name = hostPattern(host, port);
    const kept = readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.trim().split(/\s+/)[0]!.split(',').includes(name));
    writeFileSync(this.file, kept.length ? kept.join('\n') + '\n' : '', { mode: 0o600 });
  }
}
