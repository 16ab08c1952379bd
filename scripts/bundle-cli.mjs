// Bundles the compiled CLI (dist/cli/main.js and everything it imports up front, commander
// included) into one CommonJS file, dist/matrix.cjs, which bin/matrix runs: Node then reads
// one file instead of ~30 modules, and without its ES module loader (0.01 s of a start here),
// so `matrix --version` starts in about the time `node` does. What the CLI loads on demand
// (the manager, the supervisor) stays out, imported from dist/ as ES modules when asked.
import { build } from 'esbuild';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = resolve(root, 'dist', 'matrix.cjs');

/** Dynamic imports stay imports; our own files are re-pointed from the bundle's folder to the same file in dist/. */
const lazyStaysLazy = {
  name: 'lazy-stays-lazy',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      // a builtin or a package is found by Node from anywhere: only our own files move
      if (!args.path.startsWith('.')) return { path: args.path, external: true };
      const target = resolve(args.resolveDir, args.path);
      return { path: `./${relative(dirname(outfile), target)}`, external: true };
    });
  },
};

await build({
  entryPoints: [resolve(root, 'dist', 'cli', 'main.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // the sources are ES modules: where they ask for their own URL, the bundle's file answers
  define: { 'import.meta.url': '__matrixModuleUrl' },
  banner: { js: "const __matrixModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [lazyStaysLazy],
  logLevel: 'warning',
});

// A dynamic import that points nowhere fails only when its command runs: check them all now.
const { existsSync, readFileSync } = await import('node:fs');
const missing = [...readFileSync(outfile, 'utf8').matchAll(/\bimport\("([^"]+)"\)/g)]
  .map((m) => m[1])
  .filter((p) => p.startsWith('.') && !existsSync(resolve(dirname(outfile), p)));
if (missing.length) throw new Error(`dist/matrix.cjs imports files that are not in dist/: ${missing.join(', ')}`);
