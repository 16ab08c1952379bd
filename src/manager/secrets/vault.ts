/**
 * The manager's secrets: the store keeps them encrypted, the box holds the key. Plaintext
 * exists only on the way in (`seal`) and on the way to a container being started (`read`).
 */
import { MatrixError } from '../../core/errors.ts';
import type { SecretRecord, Store } from '../store/store.ts';
import type { SecretBox } from './secret-box.ts';

export type SecretReader = (name: string) => Buffer;

export class Vault {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
  ) {}

  /** The plaintext of a secret, for a container being started. */
  read: SecretReader = (name) => {
    const r = this.store.getSecret(name);
    if (!r) throw new MatrixError('E_NOT_FOUND', `secret ${name} does not exist (\`matrix secret set ${name}\` creates it)`, { path: name });
    return this.box.open(r.name, r.version, r);
  };

  /** The record that stores `value` as the secret's next version. */
  seal(name: string, value: Buffer): Omit<SecretRecord, 'createdAt' | 'updatedAt'> {
    const version = (this.store.getSecret(name)?.version ?? 0) + 1;
    return { name, version, bytes: value.length, ...this.box.seal(name, version, value) };
  }
}
