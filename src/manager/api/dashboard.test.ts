/**
 * The dashboard's static routes on the real API (buildApi with an in-memory store and a loop
 * without engines): served without a token, with a strict CSP, never a file from outside
 * dist/web however the path is spelled (checked over a real socket too, where nothing
 * normalises the path), and the /v1 routes still need the token.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serial } from '../../util/serial.ts';
import { ControlLoop } from '../controllers/control-loop.ts';
import { DesiredState } from '../controllers/desired-state.ts';
import { EventLog } from '../controllers/event-log.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { hashToken, newToken } from './auth.ts';
import { dashboardFile, dashboardRoutes, defaultDashboardDir } from './dashboard.ts';
import { toErrorBody } from './error-mapper.ts';
import { buildApi } from './server.ts';

const REPO = resolve(import.meta.dirname, '..', '..', '..');
const WEB = join(REPO, 'dist', 'web');
const TOKEN = newToken();
const PACKAGE_JSON = readFileSync(join(REPO, 'package.json'), 'utf8');

let api: ReturnType<typeof buildApi> | undefined;
let loop: ControlLoop | undefined;
let base = '';

/** A GET over a real socket with the path sent exactly as written. */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((ok, fail) => {
    const req = request({ host: hostname, port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    req.end();
  });
}

beforeAll(async () => {
  // the bundle the manager serves: built unless dist/web is newer than web/
  execFileSync(process.execPath, [join(REPO, 'scripts', 'bundle-web.mjs'), '--if-stale', '--quiet'], { cwd: REPO, stdio: 'inherit' });
  const store = new SqliteStore(':memory:');
  const log = pino({ level: 'silent' });
  const lock = new Serial();
  loop = new ControlLoop({ store, engines: () => null as never, consumers: [], events: new EventLog(), log, registry: '127.0.0.1:5000', desiredLock: lock });
  const desired = new DesiredState(store, loop, { manifestExists: async () => true }, '127.0.0.1:5000', lock);
  api = buildApi({ tokenHash: hashToken(TOKEN), store, loop, desired, log, pushSampleImages: async () => [], info: () => ({}) });
  await api.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await api?.close();
  loop?.stop();
});

describe('the dashboard routes', () => {
  it('serves index.html at /ui/ without a token, with a strict CSP, nosniff and no inline script', async () => {
    const res = await api!.inject({ method: 'GET', url: '/ui/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toBe(readFileSync(join(WEB, 'index.html'), 'utf8'));
    // every script is a file of the bundle; nothing inline, nothing from elsewhere
    const scripts = [...res.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, inner] of scripts) {
      expect(inner!.trim()).toBe('');
      expect(attrs).toMatch(/src="app\.js"/);
    }
    expect(res.body).not.toMatch(/\sstyle=|\son[a-z]+=|<style/i);
  });

  it('serves app.js and app.css with their content types, and answers a matching ETag with 304', async () => {
    const js = await api!.inject({ method: 'GET', url: '/ui/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect(js.body).toBe(readFileSync(join(WEB, 'app.js'), 'utf8'));
    expect(js.body.length).toBeGreaterThan(10_000);
    const css = await api!.inject({ method: 'GET', url: '/ui/app.css?v=1' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('.uplot'); // uPlot's styles are in the one CSS file
    const again = await api!.inject({ method: 'GET', url: '/ui/app.js', headers: { 'if-none-match': String(js.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('redirects / and /ui to /ui/', async () => {
    for (const url of ['/', '/ui']) {
      const res = await api!.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(302);
      expect(res.headers.location).toBe('/ui/');
    }
  });

  it('answers a missing file with 404 in the API error shape', async () => {
    for (const url of ['/ui/nope.js', '/ui/index.html.bak', '/ui/app.js/x']) {
      const res = await api!.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'E_NOT_FOUND', message: expect.any(String) } });
    }
  });

  // dist/web is two levels below the repository's package.json
  const traversals = [
    '/ui/../package.json',
    '/ui/../../package.json',
    '/ui/%2e%2e/package.json',
    '/ui/%2e%2e/%2e%2e/package.json',
    '/ui/..%2fpackage.json',
    '/ui/..%2f..%2fpackage.json',
    '/ui/%2E%2E%2F%2E%2E%2Fpackage.json',
    '/ui/%2e%2e%2fpackage.json',
    '/ui/.%2e/.%2e/package.json',
    '/ui/..%5cpackage.json',
    '/ui/..\\package.json',
    '/ui/%252e%252e/package.json',
    '/ui//etc/passwd',
    '/ui/%2fetc%2fpasswd',
    '/ui/.hidden',
    '/ui/%00index.html',
    '/ui/../../../../etc/passwd',
    '/ui/../v1/status',
  ];

  const noContent = (body: string) => {
    expect(body).not.toContain('"name": "cloudmatrix"');
    expect(body).not.toContain(PACKAGE_JSON.slice(0, 40));
    expect(body).not.toContain('root:');
  };

  it.each(traversals)('refuses %s over a socket (the path as sent) in the API error shape, with or without a token', async (url) => {
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }] as Record<string, string>[]) {
      const res = await rawGet(url, headers);
      // the dashboard's route got it and refused it: a bad path, or no such file
      expect([400, 404], `${url}: ${res.status} ${res.body}`).toContain(res.status);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: expect.stringMatching(/^E_(BAD_REQUEST|NOT_FOUND)$/), message: expect.any(String) } });
      noContent(res.body);
    }
  });

  it.each(traversals)('refuses %s as a browser would send it (normalised: never below /ui/ without a token)', async (url) => {
    const res = await api!.inject({ method: 'GET', url });
    expect([400, 401, 404], `${url}: ${res.statusCode}`).toContain(res.statusCode);
    expect(res.json()).toMatchObject({ error: { code: expect.stringMatching(/^E_(BAD_REQUEST|NOT_FOUND|AUTH)$/) } });
    noContent(res.body);
  });

  it('keeps the token on every /v1 route and on /metrics, whatever is in the query', async () => {
    for (const url of ['/v1/status', '/v1/nodes', '/v1/apps', '/v1/status?x=/ui/', '/metrics', '/ui.json']) {
      const res = await rawGet(url);
      expect(res.status, url).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'E_AUTH' } });
    }
    const ok = await rawGet('/v1/status', { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
  });
});

describe('dashboardFile', () => {
  const root = '/srv/web';
  it('maps /ui/ to index.html and names to files under the folder', () => {
    expect(dashboardFile('/ui/', root)).toBe('/srv/web/index.html');
    expect(dashboardFile('/ui/app.js?x=1', root)).toBe('/srv/web/app.js');
    expect(dashboardFile('/ui/assets/a-1.svg', root)).toBe('/srv/web/assets/a-1.svg');
  });
  it.each(['/ui/..', '/ui/a/../../x', '/ui/%2e%2e', '/ui/a%2f..%2f..%2fx', '/ui/a//b', '/ui/a/', '/ui/%zz', '/ui/a\\b', '/ui/~root'])('refuses %s', (url) => {
    expect(() => dashboardFile(url, root)).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST' }));
  });
});

describe('where the bundle is looked for', () => {
  it('is <repo>/dist/web from the sources and from the compiled module', () => {
    expect(defaultDashboardDir()).toBe(WEB);
    expect(defaultDashboardDir(join(REPO, 'dist', 'manager', 'api', 'dashboard.js'))).toBe(WEB);
  });

  it('says how to build the dashboard when it is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'mx-web-'));
    const app = Fastify();
    app.setErrorHandler((err, _req, reply) => {
      const { status, body } = toErrorBody(err);
      void reply.status(status).send(body);
    });
    dashboardRoutes(app, { dir: empty });
    try {
      for (const url of ['/ui/', '/ui/app.js']) {
        const res = await app.inject({ method: 'GET', url });
        expect(res.statusCode).toBe(404);
        expect(res.json().error).toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringContaining('the dashboard is not built: run npm run build') });
      }
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
