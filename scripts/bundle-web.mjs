// Bundles the web dashboard (web/: Preact + uPlot, TSX) into dist/web: index.html, one
// minified JS file (app.js) and one CSS file (app.css, uPlot's included), nothing from a CDN.
// The manager serves that folder at /ui/ (src/manager/api/dashboard.ts). Built into a fresh
// folder that then replaces dist/web, so a manager (or a test) never reads a half-written bundle.
// `--if-stale`: do nothing when dist/web is newer than every file under web/ (the tests use it).
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
const tmp = `${out}.tmp-${process.pid}`;

/** The newest modification time of the files under `dir` (ms). */
const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
    const p = join(dir, e.name);
    return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }, 0);
const built = () => (existsSync(join(out, 'app.js')) && existsSync(join(out, 'index.html')) ? statSync(join(out, 'app.js')).mtimeMs : -1);
if (process.argv.includes('--if-stale') && built() >= Math.max(newest(join(root, 'web')), statSync(fileURLToPath(import.meta.url)).mtimeMs)) process.exit(0);

rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
await build({
  entryPoints: { app: join(root, 'web', 'src', 'main.tsx') },
  outdir: tmp,
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'eof',
  logLevel: 'warning',
});
for (const f of ['index.html', 'favicon.svg']) copyFileSync(join(root, 'web', f), join(tmp, f));

// two renames, so dist/web is missing for a moment only; of two builds at once, the one that renames second keeps the other's
const old = `${out}.old-${process.pid}`;
try {
  renameSync(out, old);
} catch {
  // none yet
}
try {
  renameSync(tmp, out);
} catch (e) {
  if (!existsSync(join(out, 'index.html'))) throw e;
}
rmSync(tmp, { recursive: true, force: true });
rmSync(old, { recursive: true, force: true });

const size = (f) => {
  const body = readFileSync(join(out, f));
  return `${f} ${(body.length / 1024).toFixed(1)} KB (${(gzipSync(body, { level: 9 }).length / 1024).toFixed(1)} KB gzip)`;
};
if (!process.argv.includes('--quiet')) process.stdout.write(`dist/web: ${size('app.js')}, ${size('app.css')}\n`);
