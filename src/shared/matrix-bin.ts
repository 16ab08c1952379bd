/** Where the `matrix` command of this install is, for the processes started from it (the manager, its systemd unit, the DNS server). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `bin/matrix` beside the nearest package.json above this module: found by walking up rather
 * than by a fixed number of `..`, because the same code runs from src/ (tests), dist/cli/ and
 * the CLI bundle, each at another depth.
 */
export function matrixBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}: cloudmatrix is not installed as a package`);
    dir = up;
  }
  return join(dir, 'bin', 'matrix');
}
