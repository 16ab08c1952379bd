/**
 * What the generated VCL does in a real varnishd (started like the manager does, through the
 * Varnish class, on loopback): host routing, retries of 502-504 for GET only, no failed GET
 * when a replica's server is gone, and a 503 naming the app when no replica answers.
 * No timing assertions: each scenario's outcome is the same whatever the probes see.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Varnish } from '../../manager/ingress/varnish.ts';
import { isRunning } from '../../util/pidfile.ts';
import type { Route } from '../model.ts';
import { renderVcl, type AppIngress } from './vcl.ts';

interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  forwardedHost: string | undefined;
  forwardedPrefix: string | undefined;
  connection: string | undefined;
  socket: number;
}

interface Replica {
  name: string;
  server: http.Server;
  port: number;
  seen: Seen[];
}

let dir = '';
let listenPort = 0;
let varnish: Varnish | undefined;
let startedPid: number | null = null;
const replicas: Record<'a' | 'b' | 'c' | 'd', Replica | undefined> = { a: undefined, b: undefined, c: undefined, d: undefined };
let socketSeq = 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A replica: `/health` for the probe; `/flaky...` answers 503 when `flaky`; else 200 with what it saw. */
function replica(name: string, flaky: boolean): Promise<Replica> {
  const seen: Seen[] = [];
  const ids = new WeakMap<Socket, number>();
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      res.end('ok');
      return;
    }
    const h = (k: string): string | undefined => {
      const v = req.headers[k];
      return Array.isArray(v) ? v.join(',') : v;
    };
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      host: h('host'),
      forwardedHost: h('x-forwarded-host'),
      forwardedPrefix: h('x-forwarded-prefix'),
      connection: h('connection'),
      socket: ids.get(req.socket) ?? -1,
    });
    req.resume();
    req.on('end', () => {
      if (flaky && req.url?.startsWith('/flaky')) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end(`${name} is shutting down`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name, url: req.url }));
    });
  });
  server.on('connection', (s: Socket) => ids.set(s, socketSeq++));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ name, server, port: (server.address() as AddressInfo).port, seen }));
  });
}

function stopReplica(r: Replica): Promise<void> {
  return new Promise((resolve) => {
    if (!r.server.listening) return resolve();
    r.server.close(() => resolve());
    r.server.closeAllConnections();
  });
}

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function request(method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: listenPort, method, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'payload' : undefined);
  });
}

const bodyOf = (a: Answer): { name: string; url: string } => JSON.parse(a.body) as { name: string; url: string };
const rep = (k: 'a' | 'b' | 'c' | 'd'): Replica => replicas[k]!;
const hits = (k: 'a' | 'b' | 'c' | 'd', method: string, prefix: string): number =>
  rep(k).seen.filter((s) => s.method === method && s.url.startsWith(prefix)).length;

/** A counter of one backend from varnishstat, summed over the loaded VCLs. */
function backendCounter(backend: string, counter: string): number {
  const p = spawnSync('varnishstat', ['-n', join(dir, 'varnish'), '-1', '-f', `VBE.*.${backend}.${counter}`], { encoding: 'utf8' });
  if (p.error) throw p.error;
  // one line per loaded VCL: `VBE.<vcl>.<backend>.<counter>   3   0.00  Connections failed ...`
  return p.stdout
    .split('\n')
    .filter((l) => l.startsWith('VBE.'))
    .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[1]), 0);
}

// Probes every minute: within the test a replica stays as healthy as its first probe said, so
// a stopped server is found by the fetch itself (the case the retries are there for).
const SLOW_PROBE: AppIngress['probe'] = { path: '/health', intervalS: 60, timeoutS: 1, window: 3, threshold: 1 };
let gonePort = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mx-vcl-behaviour-'));
  listenPort = await freePort();
  const admin = `127.0.0.1:${await freePort()}`;
  gonePort = await freePort(); // nothing listens there
  replicas.a = await replica('a', true);
  replicas.b = await replica('b', false);
  replicas.c = await replica('c', false);
  replicas.d = await replica('d', false);
  const route = (app: string, k: 'a' | 'b' | 'c' | 'd'): Route => ({ app, node: `n-${k}`, address: '127.0.0.1', port: rep(k).port });
  const routes = [
    route('web', 'a'),
    route('web', 'b'),
    route('api', 'c'),
    route('api', 'd'),
    { app: 'gone', node: 'n-x', address: '127.0.0.1', port: gonePort },
  ];
  const vcl = renderVcl(
    routes,
    { domain: 'matrix' },
    { web: { probe: SLOW_PROBE, hosts: ['www.example.test'] }, api: { probe: SLOW_PROBE }, idle: { hosts: ['idle.example.test'] } },
  );
  varnish = new Varnish(join(dir, 'varnish'), `127.0.0.1:${listenPort}`, admin);
  await varnish.start(vcl);
  startedPid = varnish.pid();
}, 60_000);

afterAll(async () => {
  const pid = varnish?.pid() ?? startedPid;
  varnish?.stop(); // SIGTERM to the pid in our own work dir's pid file: the varnishd we started
  if (pid !== null && pid !== undefined) {
    const deadline = Date.now() + 30_000;
    while (isRunning(pid, 'varnishd') && Date.now() < deadline) await sleep(50);
    expect(isRunning(pid, 'varnishd')).toBe(false);
  }
  await Promise.all(Object.values(replicas).map((r) => (r ? stopReplica(r) : Promise.resolve())));
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('generated VCL in a real varnishd', { timeout: 60_000 }, () => {
  it('started varnishd', () => {
    expect(startedPid).not.toBeNull();
  });

  it('(a) Host web.matrix (any case, with port) routes to web with the whole path and X-Forwarded-Host', async () => {
    const res = await request('GET', '/deep/path?x=1', { host: 'WEB.Matrix:6081', 'x-forwarded-prefix': '/evil' });
    expect(res.status).toBe(200);
    expect(res.headers['x-matrix-app']).toBe('web');
    expect(bodyOf(res).url).toBe('/deep/path?x=1');
    const seen = [...rep('a').seen, ...rep('b').seen].find((s) => s.url === '/deep/path?x=1');
    expect(seen).toMatchObject({ host: 'WEB.Matrix:6081', forwardedHost: 'WEB.Matrix:6081', forwardedPrefix: undefined });
  });

  it('(a) extra hosts and other apps route by host; host routing wins over the path', async () => {
    expect(bodyOf(await request('GET', '/x', { host: 'www.example.test' }))).toMatchObject({ url: '/x' });
    const api = await request('GET', '/web/x', { host: 'api.matrix' });
    expect(api.status).toBe(200);
    expect(['c', 'd']).toContain(bodyOf(api).name);
    expect(bodyOf(api).url).toBe('/web/x');
  });

  it('(a) other hosts keep path-prefix routing (prefix stripped, X-Forwarded-Prefix set)', async () => {
    const res = await request('GET', '/web/deep?y=2', { host: 'nope.matrix' });
    expect(res.status).toBe(200);
    expect(['a', 'b']).toContain(bodyOf(res).name);
    expect(bodyOf(res).url).toBe('/deep?y=2');
    const seen = [...rep('a').seen, ...rep('b').seen].find((s) => s.url === '/deep?y=2');
    expect(seen).toMatchObject({ forwardedPrefix: '/web', host: 'nope.matrix' });
    expect((await request('GET', '/nothing/', { host: 'nothing.matrix' })).status).toBe(404);
  });

  it('(b) a GET answered 503 by a replica is retried on the other one: the client gets 200', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await request('GET', `/flaky/get${i}`, { host: 'web.matrix' });
      expect(res.status).toBe(200);
      expect(bodyOf(res)).toEqual({ name: 'b', url: `/flaky/get${i}` });
    }
    expect(hits('b', 'GET', '/flaky/get')).toBe(4);
    expect(hits('a', 'GET', '/flaky/get')).toBeGreaterThan(0); // the 503s really happened
  });

  it('(c) a POST answered 503 is not retried', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await request('POST', `/flaky/post${i}`, { host: 'web.matrix' });
      statuses.push(res.status);
      if (res.status === 503) expect(res.body).toBe('a is shutting down'); // the replica's own answer
    }
    const fromA = hits('a', 'POST', '/flaky/post');
    expect(fromA).toBeGreaterThan(0); // round robin sent some POSTs to the failing replica
    expect(statuses.filter((s) => s === 503)).toHaveLength(fromA);
    expect(fromA + hits('b', 'POST', '/flaky/post')).toBe(4); // each POST was sent exactly once
  });

  it('every fetch asks for and gets its own backend connection (Connection: close)', () => {
    const fetched = [...rep('a').seen, ...rep('b').seen, ...rep('c').seen, ...rep('d').seen];
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.every((s) => s.connection === 'close')).toBe(true);
    expect(new Set(fetched.map((s) => s.socket)).size).toBe(fetched.length);
  });

  it('(d) a replica whose server is stopped costs no failed GET', async () => {
    await stopReplica(rep('c'));
    for (let i = 0; i < 6; i++) {
      const res = await request('GET', `/after-stop/${i}`, { host: 'api.matrix' });
      expect(res.status).toBe(200);
      expect(bodyOf(res).name).toBe('d');
    }
    expect(hits('d', 'GET', '/after-stop/')).toBe(6);
    // the stopped replica was still picked (its probe has not run again) and refused the
    // connection; the GET went on to the other replica (later picks are held down briefly)
    expect(backendCounter(`b_api_n_c_${rep('c').port}_*`, 'fail_econnrefused')).toBeGreaterThan(0);
  });

  it('an app with no replica that may serve answers 503 naming it, with Retry-After; only unknown names get 404', async () => {
    for (const [path, host] of [
      ['/idle/', undefined],
      ['/idle/deep/path?q=1', undefined],
      ['/x', 'idle.matrix'],
      ['/x', 'IDLE.example.test:6081'],
    ] as const) {
      const res = await request('GET', path, host ? { host } : {});
      expect(res.status, `${host ?? ''}${path}`).toBe(503);
      expect(res.headers['x-matrix-app']).toBe('idle');
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).toBe('No replica of app idle is available, try again shortly.\n');
    }
    expect((await request('GET', '/idle')).status).toBe(301);
    const unknown = await request('GET', '/nosuchapp/');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('  /idle/\n');
  });

  it('(e) with every replica down the answer is a plain 503 naming the app', async () => {
    await stopReplica(rep('d'));
    for (const method of ['GET', 'POST', 'HEAD']) {
      const res = await request(method, '/anything', { host: 'api.matrix' });
      expect(res.status).toBe(503);
      expect(res.headers['x-matrix-app']).toBe('api');
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      if (method !== 'HEAD') expect(res.body).toBe('No replica of app api is available, try again shortly.\n');
    }
    const gone = await request('GET', '/gone/x');
    expect(gone.status).toBe(503);
    expect(gone.body).toContain('app gone ');
  });
});
