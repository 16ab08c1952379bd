import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { homePaths, securePaths } from '../../shared/home.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { ensureApiToken, hashToken, tokenMatches } from './auth.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'mx-auth-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the API token', () => {
  it('is stored only as a hash; the plain token lives in the 0600 token file', () => {
    const dir = tmp();
    const store = new SqliteStore(join(dir, 'state.db'));
    const file = join(dir, 'token');
    const hash = ensureApiToken(store, file);
    const token = readFileSync(file, 'utf8').trim();
    expect(hash).toBe(hashToken(token));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ensureApiToken(store, file)).toBe(hash); // a restart keeps it
    store.close();
    expect(readFileSync(join(dir, 'state.db')).includes(token)).toBe(false);
    expect(tokenMatches(`Bearer ${token}`, hash)).toBe(true);
    for (const h of [undefined, '', `Bearer ${token}x`, `Basic ${token}`, `Bearer ${'a'.repeat(10_000)}`]) expect(tokenMatches(h, hash)).toBe(false);
  });

  it('moves a plain-text token of an older version out of the database, and replaces a lost token file', () => {
    const dir = tmp();
    const store = new SqliteStore(join(dir, 'state.db'));
    store.setSetting('api-token', 'old-plain-token');
    const file = join(dir, 'token');
    expect(ensureApiToken(store, file)).toBe(hashToken('old-plain-token'));
    expect(store.getSetting('api-token')).toBeNull();
    rmSync(file);
    const fresh = ensureApiToken(store, file);
    expect(fresh).not.toBe(hashToken('old-plain-token'));
    expect(hashToken(readFileSync(file, 'utf8').trim())).toBe(fresh);
    store.close();
  });
});

describe('the home', () => {
  it('is 0700 and its state files 0600, whoever created them', () => {
    const root = join(tmp(), 'home');
    mkdirSync(root, { mode: 0o755 });
    chmodSync(root, 0o755);
    const p = homePaths(root);
    for (const f of [p.db, p.token, p.managerConfig, p.managerLog]) writeFileSync(f, 'x', { mode: 0o644 });
    securePaths(p);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    for (const f of [p.db, p.token, p.managerConfig, p.managerLog]) expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(existsSync(p.cliLog)).toBe(false); // nothing is created that was not there
  });
});
