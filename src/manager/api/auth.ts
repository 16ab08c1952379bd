/**
 * The API token. Only its SHA-256 is stored (in the store's settings); the token itself is
 * in <home>/token (0600), where the CLI reads it. A database copied off the machine opens
 * nothing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const HASH_KEY = 'api-token-sha256';
/** Where versions before hashing kept the token in plain text; moved out on the next start. */
const LEGACY_KEY = 'api-token';

export interface TokenSettings {
  getSetting(key: string): string | null;
  setSetting(key: string, value: string): void;
  deleteSetting(key: string): void;
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The hash the API checks against. Keeps the token in `file` when it matches the stored
 * hash; moves a plain-text token out of the store; otherwise makes a new one (a lost token
 * file means a new token, never a readable copy).
 */
export function ensureApiToken(store: TokenSettings, file: string): string {
  const legacy = store.getSetting(LEGACY_KEY);
  if (legacy) {
    store.setSetting(HASH_KEY, hashToken(legacy));
    store.deleteSetting(LEGACY_KEY);
    writeFileSync(file, legacy + '\n', { mode: 0o600 });
  }
  const stored = store.getSetting(HASH_KEY);
  const inFile = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (stored && inFile && hashToken(inFile) === stored) return stored;
  const token = newToken();
  writeFileSync(file, token + '\n', { mode: 0o600 });
  const hash = hashToken(token);
  store.setSetting(HASH_KEY, hash);
  return hash;
}

/** The SHA-256 of the token in an `Authorization: Bearer <token>` header, or null. */
export function presentedHash(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S{1,512})$/.exec(header ?? '');
  return m ? hashToken(m[1]!) : null;
}

/** Constant-time comparison of two token hashes. */
export function hashesEqual(x: string, y: string): boolean {
  const a = Buffer.from(x, 'hex');
  const b = Buffer.from(y, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time check of an `Authorization: Bearer <token>` header against a stored hash. */
export function tokenMatches(header: string | undefined, hash: string): boolean {
  const h = presentedHash(header);
  return h !== null && hashesEqual(h, hash);
}
