import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprint, hostPattern, judgeHostKey, keyType, KnownHosts, knownHostLine, normalizeFingerprint, recordedKeys } from './known-hosts.ts';

const dir = mkdtempSync(join(tmpdir(), 'known-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real key made by ssh-keygen, with the fingerprint ssh-keygen prints for it. */
function realKey(name: string): { blob: Buffer; sshKeygenFingerprint: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  const blob = Buffer.from(readFileSync(`${file}.pub`, 'utf8').split(' ')[1]!, 'base64');
  const printed = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { blob, sshKeygenFingerprint: printed };
}

const a = realKey('a');
const b = realKey('b');

describe('fingerprints and key types', () => {
  it("match OpenSSH's for the same key", () => {
    expect(fingerprint(a.blob)).toBe(a.sshKeygenFingerprint);
    expect(fingerprint(b.blob)).not.toBe(fingerprint(a.blob));
    expect(keyType(a.blob)).toBe('ssh-ed25519');
    expect(keyType(Buffer.from([1, 2]))).toBe('unknown');
  });

  it('a fingerprint may be given with or without its prefix and padding', () => {
    const body = fingerprint(a.blob).slice('SHA256:'.length);
    expect(normalizeFingerprint(body)).toBe(fingerprint(a.blob));
    expect(normalizeFingerprint(`SHA256:${body}=`)).toBe(fingerprint(a.blob));
  });
});

describe('known_hosts lines', () => {
  it('are written as OpenSSH writes them: bare on port 22, [host]:port otherwise', () => {
    expect(hostPattern('10.0.0.5', 22)).toBe('10.0.0.5');
    expect(hostPattern('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
    expect(knownHostLine('h', 22, a.blob)).toBe(`h ssh-ed25519 ${a.blob.toString('base64')}`);
  });

  it('are read for the exact host and port, skipping comments and other hosts', () => {
    const text = [
      '# a comment',
      knownHostLine('h', 22, a.blob),
      knownHostLine('h', 2222, b.blob),
      `other,h3 ssh-ed25519 ${b.blob.toString('base64')}`,
      '',
    ].join('\n');
    expect(recordedKeys(text, 'h', 22)).toEqual([a.blob]);
    expect(recordedKeys(text, 'h', 2222)).toEqual([b.blob]);
    expect(recordedKeys(text, 'h3', 22)).toEqual([b.blob]);
    expect(recordedKeys(text, 'nobody', 22)).toEqual([]);
  });
});

describe('judgeHostKey', () => {
  it('trusts a recorded key, and only it', () => {
    expect(judgeHostKey([a.blob], a.blob, undefined)).toEqual({ ok: true });
    expect(judgeHostKey([a.blob], b.blob, undefined)).toEqual({ ok: false, reason: 'changed' });
    // a fingerprint given for a host already recorded does not override the record
    expect(judgeHostKey([a.blob], b.blob, fingerprint(b.blob))).toEqual({ ok: false, reason: 'changed' });
  });

  it('trusts an unknown host only by the fingerprint the user gave', () => {
    expect(judgeHostKey([], a.blob, undefined)).toEqual({ ok: false, reason: 'unknown' });
    expect(judgeHostKey([], a.blob, fingerprint(a.blob))).toEqual({ ok: true });
    expect(judgeHostKey([], a.blob, fingerprint(b.blob))).toEqual({ ok: false, reason: 'changed' });
  });
});

describe('KnownHosts file', () => {
  it('adds a key once, 0600, and forgets one host without touching the others', () => {
    const kh = new KnownHosts(join(dir, 'sub', 'known_hosts'));
    expect(kh.keys('h', 22)).toEqual([]);
    kh.add('h', 22, a.blob);
    kh.add('h', 22, a.blob);
    kh.add('g', 2222, b.blob);
    expect(readFileSync(kh.file, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(execFileSync('stat', ['-c', '%a', kh.file], { encoding: 'utf8' }).trim()).toBe('600');
    expect(kh.keys('h', 22)).toEqual([a.blob]);
    kh.remove('h', 22);
    expect(kh.keys('h', 22)).toEqual([]);
    expect(kh.keys('g', 2222)).toEqual([b.blob]);
  });

  it('is read by the stock ssh-keygen (-F finds the host)', () => {
    const kh = new KnownHosts(join(dir, 'kh2'));
    kh.add('10.9.9.9', 2200, a.blob);
    const found = execFileSync('ssh-keygen', ['-F', '[10.9.9.9]:2200', '-f', kh.file], { encoding: 'utf8' });
    expect(found).toContain(a.blob.toString('base64'));
  });
});
