/**
 * dockerode, without the parts cloudmatrix never calls. When required, dockerode loads
 * BuildKit's gRPC session support (@grpc/grpc-js and protobufjs, ~120 modules) and
 * docker-modem its SSH transport (ssh2): ~20 MB of an idle manager's memory, for
 * `buildImage` with BuildKit and `ssh://` engines, neither of which the manager uses (it
 * reaches engines over TLS or a socket; the ssh machine driver loads ssh2 itself, when asked).
 * Those two modules are put in Node's require cache as stubs, so they are never read, and a
 * call that reached them would fail with a clear error instead of running half a feature.
 */
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type DockerodeClass from 'dockerode';

const require = createRequire(import.meta.url);

/** The module files replaced, by the feature they carry. */
export function unusedDockerodeParts(): Record<string, string> {
  const docker = require.resolve('dockerode');
  const modem = createRequire(docker).resolve('docker-modem');
  return {
    [join(dirname(docker), 'session.js')]: 'BuildKit sessions (dockerode buildImage with version 2)',
    [join(dirname(modem), 'ssh.js')]: 'the ssh:// engine transport (docker-modem)',
  };
}

for (const [path, feature] of Object.entries(unusedDockerodeParts())) {
  if (require.cache[path]) continue; // loaded for real already (by a test, say): leave it
  const m = new Module(path);
  m.filename = path;
  m.loaded = true;
  m.exports = () => {
    throw new Error(`${feature} is left out of cloudmatrix's dockerode`);
  };
  require.cache[path] = m;
}

const Docker = require('dockerode') as typeof DockerodeClass;
type Docker = DockerodeClass;
export default Docker;
