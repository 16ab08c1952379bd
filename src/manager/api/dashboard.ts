/**
 * The web dashboard's static files (web/, bundled into dist/web by scripts/bundle-web.mjs):
 * `GET /` redirects to `/ui/`, `GET /ui/` and `GET /ui/*` serve the bundle. These routes need
 * no token (the page loads before its login form); every /v1 call the page makes carries one.
 * Only known file types from the bundle's folder are served, with a strict CSP; any path that
 * could leave the folder (`..`, encoded or not, backslashes, absolute) is refused.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MatrixError } from '../../core/errors.ts';

/** The route patterns served without a token (server.ts's auth hook lets them through). */
const ROUTES = ['/', '/ui', '/ui/', '/ui/*'] as const;

export function isDashboardRoute(route: string | undefined): boolean {
  return route !== undefined && (ROUTES as readonly string[]).includes(route);
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** No inline script or style, nothing from elsewhere: the bundle is one JS and one CSS file from here. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS: Record<string, string> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  // the file names are not hashed: the browser revalidates each time (an ETag makes that a 304)
  'cache-control': 'no-cache',
};

/** <repo>/dist/web, from this module in dist/manager/api (compiled) or src/manager/api (tsx, vitest): the folder above that holds package.json. */
export function defaultDashboardDir(from = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(from), '..', '..', 'web'); // dist/manager/api -> dist/web
    dir = up;
  }
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The file under the dashboard folder a request's path names, or an E_BAD_REQUEST for anything that could leave the folder. */
export function dashboardFile(rawUrl: string, root: string): string {
  const path = rawUrl.split(/[?#]/, 1)[0]!;
  const rest = path === '/ui/' || path === '/ui' ? 'index.html' : path.slice('/ui/'.length);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new MatrixError('E_BAD_REQUEST', 'the dashboard path is not valid %-encoding', { path: 'url' });
  }
  const parts = decoded.split('/');
  if (!path.startsWith('/ui') || decoded.includes('\\') || parts.some((p) => !SAFE.test(p))) {
    throw new MatrixError('E_BAD_REQUEST', 'the dashboard serves only its own files: a path of names without "..", "%", "\\" or empty parts', { path: 'url' });
  }
  const file = resolve(root, ...parts);
  if (!file.startsWith(root + sep)) throw new MatrixError('E_BAD_REQUEST', 'the path leaves the dashboard folder', { path: 'url' });
  return file;
}

export interface DashboardOptions {
  /** The bundle's folder (default: <repo>/dist/web). */
  dir?: string;
}

export function dashboardRoutes<L extends FastifyBaseLogger>(app: FastifyInstance<Server, IncomingMessage, ServerResponse, L>, o: DashboardOptions = {}): void {
  const root = resolve(o.dir ?? defaultDashboardDir());

  const serve = async (req: FastifyRequest, reply: FastifyReply) => {
    void reply.headers(HEADERS);
    const file = dashboardFile(req.url, root);
    if (!existsSync(join(root, 'index.html'))) {
      throw new MatrixError('E_NOT_FOUND', `the dashboard is not built: run npm run build (no ${join(root, 'index.html')})`);
    }
    const type = TYPES[extname(file)];
    const info = type ? await stat(file).catch(() => null) : null;
    if (!type || !info?.isFile()) throw new MatrixError('E_NOT_FOUND', `the dashboard has no file ${req.url.split('?', 1)[0]}`);
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    void reply.header('etag', etag).type(type);
    if (req.headers['if-none-match'] === etag) return reply.status(304).send();
    return reply.send(await readFile(file));
  };

  app.get('/', async (_req, reply) => reply.headers(HEADERS).redirect('/ui/', 302));
  app.get('/ui', async (_req, reply) => reply.headers(HEADERS).redirect('/ui/', 302));
  app.get('/ui/', serve);
  app.get('/ui/*', serve);
}
