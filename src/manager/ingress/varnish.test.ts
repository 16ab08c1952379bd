/**
 * The Varnish ingress against a real varnishd on loopback: routing, hitless reloads (same
 * pid throughout), old VCLs discarded, adoption of a running varnishd, refusal of bad VCL.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MatrixError } from '../../core/errors.ts';
import { backendName, renderVcl } from '../../core/ingress/vcl.ts';
import type { Route } from '../../core/model.ts';
import { isRunning, pidsRunning } from '../../util/pidfile.ts';
import { freePort } from '../registry/test-registry.ts';
import { parseVclList } from './varnish-commands.ts';
import { VarnishCli } from './varnish-cli.ts';
import { Varnish } from './varnish.ts';

let dir = '';
let workDir = '';
let listen = '';
let admin = '';
let varnish: Varnish | undefined;
let adopter: Varnish | undefined;
let startedPid: number | null = null;
const backends: http.Server[] = [];
const ports: Record<'a' | 'b', number> = { a: 0, b: 0 };

function backend(name: string): Promise<http.Server> {
  const srv = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
    res.end(name);
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

function get(path: string): Promise<{ status: number; body: string }> {
  const port = Number(listen.split(':')[1]);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Bodies of up to `max` requests to `path`, stopping once every one of `want` was seen. */
async function answersUntil(path: string, want: string[], max = 20): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < max && !want.every((w) => seen.has(w)); i++) {
    const r = await get(path);
    expect(r.status).toBe(200);
    seen.add(r.body);
  }
  return seen;
}

const route = (node: 'a' | 'b'): Route => ({ app: 'web', node: `node-${node}`, address: '127.0.0.1', port: ports[node] });

/**
 * Generated VCLs loaded in varnishd (active or available), read over the admin port with its
 * own connection. Discarded ones are left out: varnishd lists a discarded VCL until the last
 * reference to it drops (an idle worker thread keeps one for up to a minute), but it is already
 * cold and gone for good, which is all `vcl.discard` can do.
 */
async function generatedVcls(): Promise<string[]> {
  return withAdmin(async (cli) =>
    parseVclList(await cli.ok('vcl.list\n'))
      .filter((e) => e.name.startsWith('mx') && e.status !== 'discarded')
      .map((e) => `${e.status} ${e.name}`),
  );
}

/** Runs `f` on an admin connection of its own (as an operator's varnishadm would), then closes it. */
async function withAdmin<T>(f: (cli: VarnishCli) => Promise<T>): Promise<T> {
  const at = admin.lastIndexOf(':');
  const cli = await VarnishCli.connect(admin.slice(0, at), Number(admin.slice(at + 1)), readFileSync(join(workDir, 'secret')));
  try {
    return await f(cli);
  } finally {
    cli.close();
  }
}

/** Pids of processes running varnishd for our work dir (the manager and its child). */
const varnishdPids = (): number[] => pidsRunning('varnishd', workDir);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mx-varnish-'));
  workDir = join(dir, 'varnish');
  listen = `127.0.0.1:${await freePort()}`;
  admin = `127.0.0.1:${await freePort()}`;
  for (const name of ['a', 'b'] as const) {
    const srv = await backend(name);
    backends.push(srv);
    ports[name] = (srv.address() as AddressInfo).port;
  }
  varnish = new Varnish(workDir, listen, admin);
  await varnish.start(renderVcl([]));
  startedPid = varnish.pid();
}, 60_000);

afterAll(async () => {
  const pid = varnish?.pid() ?? startedPid;
  adopter?.stop();
  varnish?.stop();
  if (pid !== null && pid !== undefined) {
    // varnishd is not our child: poll /proc until it is gone (bounded, then give up loudly)
    const deadline = Date.now() + 30_000;
    while (isRunning(pid, 'varnishd') && Date.now() < deadline) await sleep(50);
    expect(isRunning(pid, 'varnishd')).toBe(false);
  }
  await Promise.all(backends.map((s) => new Promise<void>((r) => s.close(() => r()))));
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('Varnish ingress (real varnishd)', { timeout: 60_000 }, () => {
  it('runs varnishd and answers 404 before any route', async () => {
    expect(startedPid).not.toBeNull();
    expect(varnishdPids()).toContain(startedPid);
    const r = await get('/x/');
    expect(r.status).toBe(404);
    expect(r.body).toContain('no apps are running');
    expect(varnish!.activeVcl()).toBe(renderVcl([]));
    expect(varnish!.activeVclName()?.name).toBe('boot');
  });

  it('routes an app to both replicas, round robin', async () => {
    const vcl = renderVcl([route('a'), route('b')]);
    expect(await varnish!.apply(vcl)).toBe(true);
    expect(varnish!.activeVcl()).toBe(vcl);
    // status names the VCL varnishd really has active
    const active = (await generatedVcls()).find((l) => l.startsWith('active '));
    expect(active?.split(/\s+/).pop()).toBe(varnish!.activeVclName()?.name);
    expect(await answersUntil('/web/', ['a', 'b'])).toEqual(new Set(['a', 'b']));
    // other paths are still not routed
    expect((await get('/other/')).status).toBe(404);
    // `/web` is redirected to `/web/`
    const redirect = await get('/web');
    expect(redirect.status).toBe(301);
  });

  it('compiles the VCLs it loads with tcc (installed with cloudmatrix), and they serve', async () => {
    const value = await withAdmin(async (cli) => (await cli.ok('param.show cc_command\n')).split('\n').find((l) => l.includes('Value is:')));
    expect(value).toMatch(/Value is: exec \/\S+\/tcc -shared -o %o %s/);
  });

  it('does not reload for the same VCL', async () => {
    expect(await varnish!.apply(renderVcl([route('b'), route('a')]))).toBe(false);
    expect(await varnish!.apply(renderVcl([route('a'), route('b')]))).toBe(false);
  });

  it('routes to the one replica left after a change', async () => {
    expect(await varnish!.apply(renderVcl([route('a')]))).toBe(true);
    for (let i = 0; i < 6; i++) expect(await get('/web/')).toEqual({ status: 200, body: 'a' });
  });

  it("reads the backend counters with varnishstat: each fetch counted on the active VCL's backend", async () => {
    const key = `${varnish!.activeVclName()!.name}.${backendName(route('a'))}`;
    const before = (await varnish!.backendCounters()).get(key)?.req ?? 0;
    for (let i = 0; i < 3; i++) expect((await get('/web/')).status).toBe(200);
    const after = (await varnish!.backendCounters()).get(key);
    expect(after?.req).toBe(before + 3);
    expect(after?.fail).toBe(0);
  });

  it('loads a VCL with a warming backend switched off, and switches it on, and off again, with no new load', async () => {
    const vcl = renderVcl([route('a'), route('b')]);
    const [a, b] = [backendName(route('a')), backendName(route('b'))];
    expect(await varnish!.apply(vcl, [b])).toBe(true);
    const name = varnish!.activeVclName()!.name;
    const health = (backend: string) => withAdmin(async (cli) => (await cli.ok(`backend.list ${name}.*\n`)).split('\n').find((l) => l.includes(backend)));
    expect(await health(b)).toMatch(/\bsick\b/);
    for (let i = 0; i < 6; i++) expect(await get('/web/')).toEqual({ status: 200, body: 'a' });
    // healthy now: on, with the same VCL (no compile)
    expect(await varnish!.apply(vcl, [])).toBe(false);
    expect(varnish!.activeVclName()!.name).toBe(name);
    expect(await health(b)).toMatch(/\bhealthy\b/);
    expect(await answersUntil('/web/', ['a', 'b'])).toEqual(new Set(['a', 'b']));
    // both fail their checks: off, and the app answers the 503 that names it
    expect(await varnish!.apply(vcl, [a, b])).toBe(false);
    const r = await get('/web/');
    expect(r.status).toBe(503);
    expect(r.body).toContain('No replica of app web');
    expect(varnish!.activeVclName()!.name).toBe(name);
    expect(await varnish!.apply(vcl, [])).toBe(false);
    expect(await answersUntil('/web/', ['a', 'b'])).toEqual(new Set(['a', 'b']));
    expect(await varnish!.apply(renderVcl([route('a')]))).toBe(true); // as the tests below expect
  });

  it('keeps at most two generated VCLs loaded over many applies, without restarting varnishd', async () => {
    const sets = [[route('a'), route('b')], [route('b')], [route('a')], []];
    for (let i = 0; i < 12; i++) {
      expect(await varnish!.apply(renderVcl(sets[i % sets.length]!))).toBe(true);
      const loaded = await generatedVcls();
      expect(loaded.length, loaded.join(', ')).toBeLessThanOrEqual(2);
      expect(loaded.filter((l) => l.startsWith('active '))).toHaveLength(1);
    }
    // the last set was [] -> nothing routed
    expect((await get('/web/')).status).toBe(404);
    expect(await varnish!.apply(renderVcl([route('b')]))).toBe(true);
    for (let i = 0; i < 4; i++) expect(await get('/web/')).toEqual({ status: 200, body: 'b' });
    expect(varnish!.pid()).toBe(startedPid);
  });

  it('a second Varnish on the same work dir adopts the running varnishd, which keeps serving its config', async () => {
    const before = varnishdPids();
    adopter = new Varnish(workDir, listen, admin);
    expect(adopter.pid()).toBe(startedPid);
    await adopter.start(renderVcl([])); // a restarted manager's empty start-up config must not replace what serves
    expect(adopter.activeVclName()).toBeNull(); // it did not choose what serves
    expect(varnishdPids()).toEqual(before);
    expect(adopter.pid()).toBe(startedPid);
    for (let i = 0; i < 4; i++) expect(await get('/web/')).toEqual({ status: 200, body: 'b' });
    expect(await adopter.apply(renderVcl([route('a'), route('b')]))).toBe(true);
    expect(await answersUntil('/web/', ['a', 'b'])).toEqual(new Set(['a', 'b']));
    expect(await adopter.apply(renderVcl([route('a')]))).toBe(true);
    for (let i = 0; i < 4; i++) expect(await get('/web/')).toEqual({ status: 200, body: 'a' });
    const l2 = await generatedVcls();
    expect(l2.length, l2.join(', ')).toBeLessThanOrEqual(2);
  });

  it('rejects invalid VCL with E_INGRESS and keeps serving the previous one', async () => {
    const previous = adopter!.activeVcl();
    const previousName = adopter!.activeVclName();
    const err = await adopter!.apply('vcl 4.1;\nbackend broken { .host = ; }\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MatrixError);
    expect((err as MatrixError).code).toBe('E_INGRESS');
    expect(adopter!.activeVcl()).toBe(previous);
    expect(adopter!.activeVclName()).toEqual(previousName);
    for (let i = 0; i < 4; i++) expect(await get('/web/')).toEqual({ status: 200, body: 'a' });
    const loaded = await generatedVcls();
    expect(loaded.length, loaded.join(', ')).toBeLessThanOrEqual(2);
    expect(loaded.filter((l) => l.startsWith('active '))).toHaveLength(1);
    // and the ingress still takes good VCL afterwards (it reconnects to the admin port)
    expect(await adopter!.apply(renderVcl([route('b')]))).toBe(true);
    for (let i = 0; i < 4; i++) expect(await get('/web/')).toEqual({ status: 200, body: 'b' });
    expect(adopter!.pid()).toBe(startedPid);
    expect(varnish!.pid()).toBe(startedPid);
  });

  it('a varnishd killed with -9 is started again serving the last config from its first request', async () => {
    const last = adopter!.activeVcl();
    for (const pid of varnishdPids()) process.kill(pid, 'SIGKILL'); // both: the manager and its child
    for (let i = 0; i < 200 && varnishdPids().length; i++) await sleep(50);
    expect(varnishdPids()).toEqual([]);
    expect(adopter!.pid()).toBeNull();
    await adopter!.start(last);
    // no apply in between: the first request already gets the routes
    expect(await get('/web/')).toEqual({ status: 200, body: 'b' });
    expect(adopter!.activeVcl()).toBe(last);
    expect(await adopter!.apply(last)).toBe(false);
    expect(await adopter!.apply(renderVcl([route('a')]))).toBe(true);
    expect(await get('/web/')).toEqual({ status: 200, body: 'a' });
    startedPid = adopter!.pid();
  });

  it("a fetch in flight to a node that is cut off is retried on another replica at once, and the node's backend is marked sick", async () => {
    // a replica whose node died: it took the request and will never answer (Varnish's first_byte_timeout is 60s)
    const requests: net.Socket[] = [];
    const sockets: net.Socket[] = [];
    const dead = net.createServer((sock) => {
      sockets.push(sock);
      sock.on('data', (d) => {
        if (/x-forwarded-prefix: \/web/i.test(d.toString())) requests.push(sock); // a routed GET, not a probe
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    try {
      const deadRoute: Route = { app: 'web', node: 'node-dead', address: '127.0.0.1', port: (dead.address() as AddressInfo).port };
      // probes an hour apart: the first one (which times out) leaves it healthy (2 of 3), no second comes
      expect(await adopter!.apply(renderVcl([route('b'), deadRoute], { probeInterval: 3600 }))).toBe(true);
      // round robin over two healthy backends: one of two GETs goes to the dead one and waits
      const inFlight = [get('/web/'), get('/web/')];
      for (let i = 0; i < 200 && requests.length === 0; i++) await sleep(25);
      expect(requests.length).toBe(1);

      const aborted = await adopter!.cutNode('127.0.0.1', [backendName(deadRoute)], [deadRoute.port]);
      expect(aborted).toBeGreaterThanOrEqual(1);
      const timedOut = sleep(30_000).then(() => ({ status: 0, body: 'no answer within 30 s' }));
      expect(await Promise.all(inFlight.map((p) => Promise.race([p, timedOut])))).toEqual([
        { status: 200, body: 'b' },
        { status: 200, body: 'b' },
      ]);
      // the admin CLI shows it sick, and no new request goes there while the VCL still lists it
      const sick = await withAdmin(async (cli) => (await cli.ok('backend.list\n')).split('\n').find((l) => l.includes(backendName(deadRoute))));
      expect(sick).toMatch(/\bsick\b/);
      const before = requests.length;
      for (let i = 0; i < 4; i++) expect(await get('/web/')).toEqual({ status: 200, body: 'b' });
      expect(requests.length).toBe(before);
      // the node comes back before any other change: the same VCL text is loaded afresh, the backend healthy again
      const again = renderVcl([route('b'), deadRoute], { probeInterval: 3600 });
      expect(await adopter!.apply(again)).toBe(true);
      const fresh = await withAdmin(async (cli) => {
        const active = parseVclList(await cli.ok('vcl.list\n')).find((e) => e.status === 'active')!.name;
        return (await cli.ok(`backend.list ${active}.*\n`)).split('\n').find((l) => l.includes(backendName(deadRoute)));
      });
      expect(fresh).not.toMatch(/\bsick\b/);
      // a backend the active VCL does not have is no error: it is not routed anyway
      await expect(adopter!.cutNode('127.0.0.1', ['b_web_gone_1'], [1])).resolves.toBe(0);
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => dead.close(() => r()));
    }
  });
});
