/** What a node may be called: a DNS label (it is also `<node>.matrix` in certificates and DNS). */
import { MatrixError } from './errors.ts';

export const NODE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function assertNodeName(name: string, path = 'name'): void {
  if (!NODE_NAME.test(name)) {
    throw new MatrixError('E_BAD_REQUEST', `a node name is 1-63 of [a-z0-9-], starting with a letter or digit, not ${JSON.stringify(name)}`, { path });
  }
}
