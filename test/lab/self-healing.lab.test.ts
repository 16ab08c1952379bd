/**
 * Scheduler + control loop in a real lab: an app with 3 replicas spread over 3 nodes
 * survives a node being switched off (rescheduled onto the survivors, the ingress keeps
 * answering), converges back to exactly 3 when the node returns, and a manager killed with
 * -9 and restarted rebuilds its view from container labels without duplicating anything.
 */
import { engineLinks } from '../../src/manager/lab/lab-commands.ts';
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MATRIX,
  dockerOn,
  get,
  labDown,
  labUpArgs,
  managerLogTail,
  matrix,
  matrixOk,
  newLabEnv,
  nodeOf,
  readToken,
  until,
  type LabEnv,
  replicasOf,
  varnishdsOf,
  whileLoaded,
} from './lab-harness.ts';
import type { ReplicaRow } from '../../src/core/replica-status.ts';
import type { LogLine, StatsView } from '../../src/shared/api-types.ts';

const env: LabEnv = newLabEnv('heal', 213);

const SPEC = `apps:
  web:
    image: cloud/simplewebapp1
    replicas: 3
    port: 8080
    health: { path: /healthz, interval: 1s, timeout: 1s }
`;

type Row = ReplicaRow;
const replicas = () => replicasOf(env, 'web');

const running = (rows: Row[]) => rows.filter((r) => r.state === 'running');
/**
 * Nothing left to do with every node up: 3 replicas, all desired and running, one per node
 * (a node that came back gets a replica back by a health-gated move: until then it is not settled).
 */
const settled = (r: Row[]) => r.length === 3 && running(r).length === 3 && r.every((x) => x.desired) && new Set(r.map((x) => x.node)).size === 3;

/**
 * Kills varnishd and holds its port, so the manager's restarts fail as with a port another
 * program took. The manager may win the race for the port: then kill and try again.
 */
async function takeIngressPort(): Promise<Server> {
  for (let round = 0; round < 20; round++) {
    for (const pid of varnishdsOf(env)) process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100; i++) {
      const server = createServer((s) => s.destroy());
      const ok = await new Promise<boolean>((res) => {
        server.once('error', () => res(false));
        server.listen(env.ingressPort, '0.0.0.0', () => res(true));
      });
      if (ok) return server;
      if (varnishdsOf(env).length) break; // restarted first: kill it again
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  throw new Error(`could not take port ${env.ingressPort} from varnishd`);
}

beforeAll(async () => {
  await labDown(env).catch(() => undefined);
  await matrixOk(env, labUpArgs(env, 3));
  await matrixOk(env, ['images', 'sample']);
  mkdirSync(env.home, { recursive: true });
  writeFileSync(join(env.home, 'matrix.yaml'), SPEC);
});

afterAll(async () => {
  await labDown(env);
});

describe('self-healing in a real lab', () => {
  it('spreads 3 replicas over 3 nodes', async () => {
    const out = await matrixOk(env, ['deploy', join(env.home, 'matrix.yaml')]);
    expect(out.match(/^did: start web/gm)?.length).toBe(3);
    const rows = await until(replicas, (r) => running(r).length === 3);
    expect(new Set(running(rows).map((r) => r.node))).toEqual(new Set(['node1', 'node2', 'node3']));
  });

  it('list commands answer JSON with -o json (what the API answers), and refuse another format', async () => {
    const ps = JSON.parse(await matrixOk(env, ['ps', '-o', 'json'])) as { replicas: { app: string; state: string }[] };
    expect(ps.replicas.filter((r) => r.app === 'web' && r.state === 'running')).toHaveLength(3);
    const nodes = JSON.parse(await matrixOk(env, ['nodes', '-o', 'json'])) as { name: string; state: string }[];
    expect(nodes.map((n) => `${n.name} ${n.state}`)).toEqual(['node1 up', 'node2 up', 'node3 up']);
    const apps = JSON.parse(await matrixOk(env, ['apps', '-o', 'json'])) as { name: string; desired: number }[];
    expect(apps).toEqual([expect.objectContaining({ name: 'web', desired: 3 })]);
    // -o wide: the same table with more columns (here: each replica's id, whether it is routed, the whole container id)
    const wide = (await matrixOk(env, ['ps', '-o', 'wide'])).split('\n');
    expect(wide[0]).toMatch(/^APP +REPLICA +NODE +ADDRESS +STATE +ROUTED +CONTAINER +REVISION$/);
    expect(wide.filter((l) => /^web +web\.\d +node\d .* running +yes +[0-9a-f]{64} /.test(l))).toHaveLength(3);
    const bad = await matrix(env, ['apps', '-o', 'yaml']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('error[E_BAD_REQUEST]: --output: must be text, wide or json, got "yaml"');
  });

  it("`matrix logs web` merges every replica's lines in time order, each with its replica and node, and follows new ones", async () => {
    const rows = running(await replicas());
    const lines = (await matrixOk(env, ['logs', 'web', '--tail', '1000', '-o', 'json']))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LogLine);
    // each replica's first line, from the node `ps` shows it on
    for (const r of rows)
      expect(lines.filter((l) => l.replica === r.id && l.node === r.node).map((l) => l.text)).toContain(`simplewebapp1: serving ${r.id} on :8080`);
    expect(lines.some((l) => l.stream === 'stderr')).toBe(true); // httpd -v: the health probes' requests
    const times = lines.map((l) => l.at);
    expect(times).toEqual([...times].sort());
    const text = (await matrixOk(env, ['logs', 'web', '--tail', '3'])).trim().split('\n');
    expect(text).toHaveLength(3);
    for (const l of text) expect(l).toMatch(/^web\.\d node\d +\| /);
    // -f: lines written after it started (the probes' requests, every second) keep coming
    const follow = spawn(MATRIX, ['logs', 'web', '-f', '-t', '--tail', '1'], { env: { ...process.env, MATRIX_HOME: env.home } });
    try {
      let out = '';
      follow.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const count = await until(
        async () => out.trim().split('\n').filter(Boolean).length,
        (n) => n >= 4,
        30,
      );
      expect(count, out).toBeGreaterThanOrEqual(4);
      const followed = out.trim().split('\n');
      expect(new Set(followed)).toHaveProperty('size', followed.length); // no line twice (-t: each has its time)
    } finally {
      follow.kill();
    }
    const none = await matrix(env, ['logs', 'no-such-app']);
    expect([none.code, none.stderr.trim()]).toEqual([1, 'error[E_NOT_FOUND]: no app named no-such-app']);
  });

  it('`matrix stats` measures each node and app, with the request rate the ingress saw while it read', async () => {
    let stop = false;
    const load = (async () => {
      while (!stop) await get(env.ingressPort, '/web/');
    })();
    let s: StatsView;
    try {
      s = JSON.parse(await matrixOk(env, ['stats', '-o', 'json'])) as StatsView;
    } finally {
      stop = true;
      await load;
    }
    expect(s.errors).toEqual([]);
    expect(s.nodes.map((n) => [n.name, n.state, n.containers])).toEqual([
      ['node1', 'up', 1],
      ['node2', 'up', 1],
      ['node3', 'up', 1],
    ]);
    for (const n of s.nodes) {
      expect(n.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(n.memoryBytes).toBeGreaterThan(0); // busybox httpd: some hundreds of KiB
      expect(n.memoryBytes!).toBeLessThan(n.memoryTotalBytes!);
      expect(n.diskBytes).toBeGreaterThan(0); // the sample image's layer at least
    }
    expect(s.apps).toEqual([expect.objectContaining({ name: 'web', desired: 3, running: 3, failedPerSecond: 0 })]);
    expect(s.apps[0]!.requestsPerSecond).toBeGreaterThan(0);
    const text = await matrixOk(env, ['stats']);
    expect(text).toMatch(/^NODE +STATE +CPUS +CPU% +MEMORY +DISK +CONTAINERS\nnode1 +up /);
    expect(text).toMatch(/\nweb +3\/3 +\d+\.\d% +\d/);
  });

  it("reschedules a switched-off node's replica onto the survivors while the ingress keeps answering", async () => {
    let stop = false;
    const statuses: number[] = [];
    const load = (async () => {
      while (!stop) {
        const sent = Date.now();
        const r = await get(env.ingressPort, '/web/');
        if (Date.now() - sent > 5000) console.log(`slow request during the power-off: ${Date.now() - sent} ms, ${r.status}`);
        statuses.push(r.status);
        if (r.status !== 200) console.log(`failed request during the power-off: ${r.status} ${r.body.slice(0, 200)}`);
      }
    })();
    // the load ends with this part, also when it fails: it must not run on into the next tests
    let rows: Row[];
    try {
      // bounded well inside the test's own timeout: a power-off that hangs says so, with the manager's view
      const t0 = Date.now();
      const step = (what: string) => console.log(`power-off test: ${what} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const off = await matrix(env, ['lab', 'poweroff', 'node2'], 90_000);
      step('poweroff returned');
      if (off.code !== 0)
        throw new Error(`lab poweroff node2 failed (${off.code}) after ${(Date.now() - t0) / 1000} s:\n${off.stderr}\n${managerLogTail(env)}`);
      // switched off means its memory is gone too: no mount of its engine's, and no container's
      // network namespace (whose veth would answer for the IP a restarted engine hands out again)
      const nodeDir = join(env.home, 'lab', 'node2');
      expect(
        readFileSync('/proc/self/mounts', 'utf8')
          .split('\n')
          .filter((l) => l.split(' ')[1]?.startsWith(`${nodeDir}/`)),
      ).toEqual([]);
      // nor a link of its engine's: docker0 and the containers' veths are gone when poweroff returns
      expect(engineLinks(execFileSync('ip', ['-n', `${env.prefix}node2`, '-o', 'link', 'show'], { encoding: 'utf8', timeout: 30_000 }))).toEqual([]);
      step('node2 checked');
      rows = await until(replicas, (r) => running(r).filter((x) => x.node !== 'node2').length === 3, 120);
      step('replaced');
    } finally {
      stop = true;
      await load;
    }
    console.log(`power-off test: ${statuses.length} requests during it`);
    const alive = running(rows).filter((x) => x.node !== 'node2');
    expect(alive).toHaveLength(3);
    expect(new Set(alive.map((r) => r.id))).toEqual(new Set(['web.0', 'web.1', 'web.2']));
    expect(statuses.length).toBeGreaterThan(0);
    const failed = statuses.filter((s) => s !== 200);
    // on failure, say what the manager saw (events, components) next to the failed requests
    const why = failed.length ? (await matrix(env, ['status'])).stdout : '';
    expect(failed, `${failed.length} of ${statuses.length} requests failed\n${why}`).toEqual([]);
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) seen.add(nodeOf((await get(env.ingressPort, '/web/')).body) ?? '?');
    expect(seen.has('node2')).toBe(false);
  });

  it('`matrix events` says why: node2 down, and the replica moved off it with the time it went down', async () => {
    const lines = (await matrixOk(env, ['events', '--app', 'web', '--kind', 'replica-started'])).split('\n');
    const moved = lines.filter((l) => / web\.\d started on node[13]: moved from node2: node2 down since \d\d:\d\d:\d\d$/.test(l));
    expect(moved, lines.join('\n')).toHaveLength(1);
    const down = (await matrixOk(env, ['events', '--node', 'node2', '--kind', 'node-down', '-o', 'json'])).trim().split('\n');
    const ev = JSON.parse(down.at(-1)!) as { kind: string; node: string; data: { since: string } };
    expect(ev).toMatchObject({ kind: 'node-down', node: 'node2' });
    // the move's "since" is when node2 went down
    expect(moved[0]).toContain(`since ${ev.data.since.slice(11, 19)}`);
    const bad = await matrix(env, ['events', '--since', 'last tuesday']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/E_BAD_REQUEST.*since/s);
  });

  it('GET /metrics: the failover timed to its replacement, and the requests the ingress fetched from web counted by Varnish', async () => {
    const scrape = async () => {
      const r = await get(env.apiPort, '/metrics', 10_000, { authorization: `Bearer ${readToken(env)}` });
      expect(r.status).toBe(200);
      return (line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(r.body)?.[1]);
    };
    const before = await scrape();
    expect(before('matrix_failover_seconds_count{phase="replaced"}')).toBeGreaterThanOrEqual(1);
    expect(before('matrix_nodes{state="down"}')).toBe(1);
    expect(before('matrix_replicas_desired{app="web"}')).toBe(3);
    const served = before('matrix_app_requests_total{app="web"}');
    expect(served).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) expect((await get(env.ingressPort, '/web/')).status).toBe(200);
    expect((await scrape())('matrix_app_requests_total{app="web"}')).toBeGreaterThanOrEqual(served + 5);
    expect((await get(env.apiPort, '/metrics')).status).toBe(401);
  });

  it('converges to exactly 3 replicas when the node comes back', async () => {
    await matrixOk(env, ['lab', 'poweron', 'node2']);
    // node2's engine restarts its old container; the loop must remove it, not keep 4
    const rows = await until(replicas, settled, 120);
    expect(settled(rows), `${JSON.stringify(rows)}\n${managerLogTail(env, 60)}`).toBe(true);
    expect(rows.map((r) => r.id).sort()).toEqual(['web.0', 'web.1', 'web.2']);
    expect(running(rows)).toHaveLength(3);
  });

  it('a manager killed with -9 is restarted by its supervisor and converges with no duplicate and no lost replica', async () => {
    // settled first: a returned node's stale copy may still be draining from the test before
    const before = (await until(replicas, settled, 120)).map((r) => `${r.id}@${r.node}`).sort();
    expect(before).toHaveLength(3);
    expect(await matrixOk(env, ['manager', 'status'])).toMatch(/supervised \(pid \d+\)/);
    const pid = Number(readFileSync(join(env.home, 'manager.pid'), 'utf8'));
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    // nobody starts it by hand: the supervisor does, and the API answers again
    const health = async () => {
      try {
        return (await fetch(`http://127.0.0.1:${env.apiPort}/v1/health`, { signal: AbortSignal.timeout(500) })).ok;
      } catch {
        return false;
      }
    };
    await until(health, (ok) => !ok, 50, 20); // it went away (the kill took effect)...
    expect(await until(health, (ok) => ok, 200, 100)).toBe(true); // ...and came back
    console.log(`manager killed with -9: API answering again after ${((Date.now() - killedAt) / 1000).toFixed(2)} s`);
    expect(Number(readFileSync(join(env.home, 'manager.pid'), 'utf8'))).not.toBe(pid);
    expect(readFileSync(join(env.home, 'manager.log'), 'utf8')).toMatch(/manager exited \(SIGKILL\); restarting in 0\.25s/);
    // the ingress outlived the manager
    expect((await get(env.ingressPort, '/web/')).status).toBe(200);
    const rows = await until(replicas, settled);
    expect(rows.map((r) => `${r.id}@${r.node}`).sort()).toEqual(before);
    // and a second look, after the loop has run more passes, still shows the same containers
    await new Promise((r) => setTimeout(r, 1500));
    expect((await replicas()).map((r) => `${r.id}@${r.node}`).sort()).toEqual(before);
    // `manager start` on a supervised manager changes nothing
    await matrixOk(env, ['manager', 'start']);
    const count = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.startsWith('mxe-node')).length;
    expect(count).toBe(3);
  });

  it("Varnish and the registry killed with -9 are restarted by the manager; the apps' replicas stay as they were", async () => {
    const before = (await until(replicas, settled, 120)).map((r) => `${r.id}@${r.node}`).sort();
    const varnishds = () => varnishdsOf(env);
    const serving = async () => (await get(env.ingressPort, '/web/', 1000)).status === 200;

    const killed = varnishds();
    expect(killed.length).toBeGreaterThanOrEqual(2); // the manager process and its child
    const varnishKilledAt = Date.now();
    for (const pid of killed) process.kill(pid, 'SIGKILL');
    expect(await until(serving, Boolean, 200, 50)).toBe(true);
    console.log(`varnishd killed with -9: serving again after ${((Date.now() - varnishKilledAt) / 1000).toFixed(2)} s`);
    expect(varnishds().some((p) => killed.includes(p))).toBe(false);

    const registryPid = Number(readFileSync(join(env.home, 'registry', 'registry.pid'), 'utf8'));
    const registryKilledAt = Date.now();
    process.kill(registryPid, 'SIGKILL');
    const pushes = async () => (await matrix(env, ['images', 'sample'])).code === 0;
    expect(await until(pushes, Boolean, 100, 100)).toBe(true);
    console.log(`registry killed with -9: pushes work again after ${((Date.now() - registryKilledAt) / 1000).toFixed(2)} s`);
    expect(Number(readFileSync(join(env.home, 'registry', 'registry.pid'), 'utf8'))).not.toBe(registryPid);

    const status = await matrixOk(env, ['status']);
    expect(status).toMatch(/^ingress\s+up\s+\S+\s+1\s+vcl \w+ active since \S+$/m);
    expect(status).toMatch(/^registry\s+up\s+\S+\s+1\s+-$/m);
    expect(status).toMatch(/component-restarted {2}ingress was restarted/);
    expect(status).toMatch(/component-restarted {2}registry was restarted/);
    expect((await until(replicas, settled)).map((r) => `${r.id}@${r.node}`).sort()).toEqual(before);
  });

  it("a dead node's replicas are replaced while Varnish cannot start, and routed from Varnish's first request once it can", async () => {
    await until(replicas, settled, 120);
    const blocker = await takeIngressPort();
    try {
      const down = await until(
        () => matrix(env, ['status']),
        (r) => /^ingress\s+down\s.*in use/im.test(r.stdout),
        40,
        250,
      );
      expect(down.stdout).toMatch(/^ingress\s+down\s.*in use/im); // the manager says why: the port is taken
      expect(down.code).toBe(1);
      const apps = await matrix(env, ['apps']);
      expect(apps.code).toBe(0);
      expect(apps.stderr).toMatch(/the ingress is not serving/);

      // the loop goes on without the ingress: node3's replica is replaced on the others
      await matrixOk(env, ['lab', 'poweroff', 'node3']);
      const rows = await until(replicas, (r) => running(r).filter((x) => x.node !== 'node3').length === 3, 120);
      expect(
        new Set(
          running(rows)
            .filter((x) => x.node !== 'node3')
            .map((r) => r.id),
        ),
      ).toEqual(new Set(['web.0', 'web.1', 'web.2']));
      expect((await matrix(env, ['status'])).stdout).toMatch(/^engine node3\s+down\s+\S+\s+-\s+\S+: no answer/m);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    // from its first answer on, the restarted Varnish routes only to live replicas: none failed
    const statuses: number[] = [];
    const first = await until(
      () => get(env.ingressPort, '/web/', 1000),
      (r) => r.status === 200,
      400,
      50,
    ); // the restart backoff is at most 10 s
    expect(first.status).toBe(200);
    // what it serves is the newest state: node3's replica is not among its backends (its retries would hide it from requests)
    const backends = execFileSync('varnishadm', ['-n', join(env.home, 'varnish'), 'backend.list'], { encoding: 'utf8' });
    expect(backends).toMatch(/\bb_web_node[12]_/);
    expect(backends).not.toMatch(/_node3_/);
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await get(env.ingressPort, '/web/', 2000);
      statuses.push(r.status);
      seen.add(nodeOf(r.body) ?? '?');
    }
    expect(statuses.filter((x) => x !== 200)).toEqual([]);
    expect(seen).toEqual(new Set(running(await replicas()).map((r) => r.node))); // every live replica, and only those
    const status = await matrixOk(env, ['status']);
    const generation = /^generation (\d+):/m.exec(status)![1];
    expect(status).toMatch(new RegExp(`^ingress\\s+ok\\s+${generation} of ${generation}\\s`, 'm'));

    await matrixOk(env, ['lab', 'poweron', 'node3']);
    await until(replicas, settled, 120);
  });

  it('scale changes the replica count and reports what could not be placed', async () => {
    const up = await matrixOk(env, ['scale', 'web=5']);
    expect(up.match(/^did: start web/gm)?.length).toBe(2);
    await until(replicas, (r) => running(r).length === 5);
    const down = await matrixOk(env, ['scale', 'web=2']);
    expect(down.match(/^did: drain web/gm)?.length).toBe(3);
    const rows = await until(replicas, (r) => r.length === 2 && running(r).length === 2);
    expect(rows.map((r) => r.id).sort()).toEqual(['web.0', 'web.1']);
  });

  it("`matrix node drain` moves a node's replicas elsewhere with no failed request and keeps new ones off it; `activate` undoes it", async () => {
    await matrixOk(env, ['scale', 'web=3']);
    await until(replicas, settled);
    const { out, answers } = await whileLoaded(env, '/web/', () => matrixOk(env, ['node', 'drain', 'node3']));
    expect(out).toMatch(/node3 is drained/);
    const rows = await replicas();
    expect(rows.filter((r) => r.node === 'node3')).toEqual([]);
    expect(running(rows).filter((r) => r.desired)).toHaveLength(3);
    expect(answers.filter((s) => s !== 200)).toEqual([]);
    expect(answers.length).toBeGreaterThan(0);
    // listed as drained, with the engine's version and no replica left there
    expect(await matrixOk(env, ['nodes'])).toMatch(/node3 +lab +\S+ +up, drained +\d+\.\d+\.\d+\S* +0 /);
    // a scale-up places nothing on it
    await matrixOk(env, ['scale', 'web=4']);
    const four = await until(replicas, (r) => running(r).filter((x) => x.desired).length === 4);
    expect(four.filter((r) => r.node === 'node3')).toEqual([]);

    await matrixOk(env, ['node', 'activate', 'node3']);
    const back = await until(replicas, (r) => r.some((x) => x.node === 'node3' && x.state === 'running' && x.desired), 120);
    expect(back.some((x) => x.node === 'node3' && x.desired)).toBe(true);
  });

  it('`matrix node rm` drains the node before it leaves the cluster: no failed request, nothing left on it', async () => {
    // --keep-machine: the engine stays, to show that nothing was left on it
    const { out, answers } = await whileLoaded(env, '/web/', () => matrixOk(env, ['node', 'rm', '--keep-machine', 'node3']));
    expect(out).toMatch(/removed node3/);
    expect(await matrixOk(env, ['nodes'])).not.toMatch(/node3/);
    const rows = await until(replicas, (r) => running(r).filter((x) => x.desired).length === 4);
    expect(new Set(rows.map((r) => r.node))).toEqual(new Set(['node1', 'node2']));
    expect(answers.filter((s) => s !== 200)).toEqual([]);
    // node3's engine runs no replica any more
    expect((await dockerOn(env, 3, ['ps', '-q', '--filter', 'label=matrix.app=web'])).out.trim()).toBe('');
    const again = await matrix(env, ['node', 'rm', 'node3']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/E_NOT_FOUND.*no node named node3/);
  });

  it('`matrix node ssh|stop|start` act on the machine the lab made; errors from that code keep their codes', async () => {
    const addr = await matrixOk(env, ['node', 'ssh', 'node2', '--', 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
    expect(addr).toContain(`${env.subnet}.12/24`);
    const nodes = () => matrixOk(env, ['nodes']);
    expect(await matrixOk(env, ['node', 'stop', 'node2'])).toMatch(/node2 is off \(\d+ processes killed\)/);
    expect(await until(nodes, (out) => /node2 +lab +\S+ +down/.test(out))).toMatch(/node2 +lab +\S+ +down/);
    await matrixOk(env, ['node', 'start', 'node2']);
    expect(await until(nodes, (out) => /node2 +lab +\S+ +up/.test(out))).toMatch(/node2 +lab +\S+ +up/);
    // the CLI runs bundled and loads this code from dist/: its coded errors must not turn internal
    const unknown = await matrix(env, ['node', 'stop', 'node9']);
    expect(unknown.stderr).toMatch(/^error\[E_NOT_FOUND\]: node: no machine named node9/m);
    const labUnknown = await matrix(env, ['lab', 'poweroff', 'node9']);
    expect(labUnknown.stderr).toMatch(/^error\[E_NOT_FOUND\]: no lab node named node9/m);
  });
});
