/**
 * Encryption of secret values at rest: AES-256-GCM with a 32-byte key kept in its own file
 * (`<MATRIX_HOME>/secret.key`, 0600), never in the database. The secret's name and version
 * are bound in as associated data, so a ciphertext copied onto another row does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { MatrixError } from '../../core/errors.ts';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealed {
  nonce: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  ciphertext: Buffer;
}

export class SecretBox {
  private constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new MatrixError('E_SECRET_KEY', `the secret key must be ${KEY_BYTES} bytes, not ${key.length}`);
  }

  static fromKey(key: Buffer): SecretBox {
    return new SecretBox(key);
  }

  /** Reads the key file, creating it (0600, never overwriting) on first use. */
  static open(keyFile: string): SecretBox {
    try {
      writeFileSync(keyFile, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    return new SecretBox(readFileSync(keyFile));
  }

  seal(name: string, version: number, plaintext: Buffer): Sealed {
    const nonce = randomBytes(NONCE_BYTES);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    c.setAAD(aad(name, version));
    const body = Buffer.concat([c.update(plaintext), c.final()]);
    return { nonce, ciphertext: Buffer.concat([body, c.getAuthTag()]) };
  }

  open(name: string, version: number, s: Sealed): Buffer {
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, s.nonce);
      d.setAAD(aad(name, version));
      d.setAuthTag(s.ciphertext.subarray(s.ciphertext.length - TAG_BYTES));
      return Buffer.concat([d.update(s.ciphertext.subarray(0, s.ciphertext.length - TAG_BYTES)), d.final()]);
    } catch {
      throw new MatrixError(
        'E_SECRET_KEY',
        `secret ${name} cannot be decrypted with this manager's secret key (was secret.key replaced or lost?); set it again with \`matrix secret set ${name}\``,
        { path: name },
      );
    }
  }
}

function aad(name: string, version: number): Buffer {
  return Buffer.from(`cloudmatrix-secret\0${name}\0${version}`);
}
