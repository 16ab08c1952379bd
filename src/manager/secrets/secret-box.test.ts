import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { SqliteStore } from '../store/sqlite-store.ts';
import { SecretBox } from './secret-box.ts';
import { Vault } from './vault.ts';

const dir = mkdtempSync(join(tmpdir(), 'mx-secret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PLAIN = Buffer.from('correct horse battery staple');

describe('the secret box', () => {
  it('creates its key file once, 0600, and never overwrites it', () => {
    const f = join(dir, 'secret.key');
    const a = SecretBox.open(f);
    const key = readFileSync(f);
    expect(key).toHaveLength(32);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    const b = SecretBox.open(f);
    expect(readFileSync(f)).toEqual(key);
    // the same key opens what the other sealed
    expect(b.open('db', 1, a.seal('db', 1, PLAIN))).toEqual(PLAIN);
  });

  it('seals with a fresh nonce each time; the ciphertext does not contain the plaintext', () => {
    const box = SecretBox.fromKey(randomBytes(32));
    const s1 = box.seal('db', 1, PLAIN);
    const s2 = box.seal('db', 1, PLAIN);
    expect(s1.nonce.equals(s2.nonce)).toBe(false);
    expect(s1.ciphertext.includes(PLAIN)).toBe(false);
    expect(s1.ciphertext).toHaveLength(PLAIN.length + 16);
    expect(box.open('db', 1, s1)).toEqual(PLAIN);
  });

  it('does not open with another key, another name or version, or a flipped bit (E_SECRET_KEY)', () => {
    const box = SecretBox.fromKey(randomBytes(32));
    const s = box.seal('db', 1, PLAIN);
    expect(() => SecretBox.fromKey(randomBytes(32)).open('db', 1, s)).toThrow(expect.objectContaining({ code: 'E_SECRET_KEY' }));
    expect(() => box.open('api', 1, s)).toThrow(expect.objectContaining({ code: 'E_SECRET_KEY' }));
    expect(() => box.open('db', 2, s)).toThrow(expect.objectContaining({ code: 'E_SECRET_KEY' }));
    const flipped = Buffer.from(s.ciphertext);
    flipped[0]! ^= 1;
    expect(() => box.open('db', 1, { nonce: s.nonce, ciphertext: flipped })).toThrow(/cannot be decrypted/);
  });

  it('refuses a key file of the wrong size', () => {
    const f = join(dir, 'short.key');
    writeFileSync(f, 'too short');
    expect(() => SecretBox.open(f)).toThrow(expect.objectContaining({ code: 'E_SECRET_KEY' }));
  });
});

describe('the vault over the real store', () => {
  it('stores only ciphertext: the database file never holds the plaintext; versions count up', () => {
    const db = join(dir, 'state.db');
    const store = new SqliteStore(db);
    const vault = new Vault(store, SecretBox.open(join(dir, 'vault.key')));
    store.putSecret(vault.seal('db', PLAIN), new Date('2026-01-01T00:00:00Z'));
    const second = Buffer.from('a second, longer password value');
    const rec = vault.seal('db', second);
    expect(rec.version).toBe(2);
    store.putSecret(rec, new Date('2026-01-02T00:00:00Z'));
    expect(vault.read('db')).toEqual(second);
    expect(store.listSecrets()).toEqual([
      { name: 'db', version: 2, bytes: second.length, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z' },
    ]);
    expect(store.listSecrets()[0]).not.toHaveProperty('ciphertext');
    store.close();
    for (const f of [db, `${db}-wal`]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(f);
      } catch {
        continue;
      }
      expect(bytes.includes(PLAIN)).toBe(false);
      expect(bytes.includes(second)).toBe(false);
    }
  });

  it('a missing secret is E_NOT_FOUND; a removed one is gone', () => {
    const store = new SqliteStore(':memory:');
    const vault = new Vault(store, SecretBox.fromKey(randomBytes(32)));
    expect(() => vault.read('nope')).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND' }));
    store.putSecret(vault.seal('x', PLAIN), new Date());
    expect(store.removeSecret('x')).toBe(true);
    expect(store.removeSecret('x')).toBe(false);
    expect(() => vault.read('x')).toThrow(/does not exist/);
  });

  it('a rotation and its deployment are one transaction', () => {
    const store = new SqliteStore(':memory:');
    const vault = new Vault(store, SecretBox.fromKey(randomBytes(32)));
    const next = { kind: 'matrix' as const, file: 'm.yaml', source: '', strategy: 'spread' as const, apps: [] };
    const d = store.putSecret(vault.seal('x', PLAIN), new Date(), next);
    expect(d?.generation).toBe(1);
    expect(store.currentDeployment()?.generation).toBe(1);
    // a deployment that cannot be written leaves the secret as it was
    const bad = { ...next, strategy: null as unknown as 'spread' };
    expect(() => store.putSecret(vault.seal('x', Buffer.from('new')), new Date(), bad)).toThrow();
    expect(vault.read('x')).toEqual(PLAIN);
    expect(store.currentDeployment()?.generation).toBe(1);
  });
});
