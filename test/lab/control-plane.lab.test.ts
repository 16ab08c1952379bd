/**
 * Traffic never waits on the control plane, in a real 3-node lab under a steady load through
 * the ingress: the manager killed with -9 or stopped and started cleanly (Varnish serves on
 * with its last config and is adopted), a node that returns after a rolling update (its old
 * containers never take traffic), and an app with no replica that may serve (503, not 404).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dockerOn,
  get,
  nodeOf,
  type HttpAnswer,
  labDown,
  labUpArgs,
  matrix,
  matrixOk,
  newLabEnv,
  steadyLoad,
  until,
  type LabEnv,
  type LoadResult,
  replicasOf,
  varnishdsOf,
} from './lab-harness.ts';
import type { ReplicaRow } from '../../src/core/replica-status.ts';
import { processTree } from '../../src/manager/lab/processes.ts';

const env: LabEnv = newLabEnv('ctlplane', 218);

const spec = (image: string, extra = '') => `apps:
  web:
    image: ${image}
    replicas: 3
    port: 8080
    health: { path: /healthz, interval: 1s, timeout: 1s }
${extra}`;

type Row = ReplicaRow;
const replicas = () => replicasOf(env, 'web');

const settled = (r: Row[]) => r.length === 3 && r.every((x) => x.desired && x.state === 'running');
const varnishds = () => varnishdsOf(env);

async function apiUp(): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${env.apiPort}/v1/health`, { signal: AbortSignal.timeout(500) })).ok;
  } catch {
    return false;
  }
}

/** The failed requests, with `matrix status` when there are any. */
async function failures(r: LoadResult): Promise<string> {
  if (!r.failed.length) return '';
  return `${r.failed.length} of ${r.sent} failed: ${JSON.stringify(r.failed.slice(0, 5))}\n${(await matrix(env, ['status'])).stdout}`;
}

beforeAll(async () => {
  await labDown(env).catch(() => undefined);
  await matrixOk(env, labUpArgs(env, 3));
  await matrixOk(env, ['images', 'sample']);
  mkdirSync(env.home, { recursive: true });
  writeFileSync(join(env.home, 'matrix.yaml'), spec('cloud/simplewebapp1'));
  await matrixOk(env, ['deploy', join(env.home, 'matrix.yaml')]);
  await until(replicas, settled, 120);
});

afterAll(async () => {
  await labDown(env);
  // lab down stops the ingress it kept running through manager restarts
  expect(varnishds()).toEqual([]);
});

describe('the data path does not wait on the control plane', () => {
  it('a manager killed with -9, twice, costs no request; Varnish is adopted, not restarted', async () => {
    const ingress = varnishds();
    const load = steadyLoad(env.ingressPort, '/web/');
    for (let round = 0; round < 2; round++) {
      const pid = Number(readFileSync(join(env.home, 'manager.pid'), 'utf8'));
      process.kill(pid, 'SIGKILL');
      await until(apiUp, (ok) => !ok, 50, 20);
      expect(await until(apiUp, Boolean, 200, 100)).toBe(true);
      await until(replicas, settled, 60);
      await new Promise((r) => setTimeout(r, 1500)); // the new manager's first passes and ingress updates
    }
    const r = await load.stop();
    expect(r.sent).toBeGreaterThan(50);
    expect(r.failed, await failures(r)).toEqual([]);
    expect(varnishds()).toEqual(ingress);
  });

  it('`manager stop` leaves the ingress serving; `manager start` adopts it: no request fails', async () => {
    const ingress = varnishds();
    const load = steadyLoad(env.ingressPort, '/web/');
    for (let round = 0; round < 2; round++) {
      const stop = await matrixOk(env, ['manager', 'stop']);
      expect(stop).toMatch(/^manager stopped$/m);
      expect(stop).toMatch(/the ingress serves on with its last config/);
      expect(await apiUp()).toBe(false);
      const during = load.now().sent;
      await until(
        async () => load.now().sent,
        (n) => n > during + 20,
        100,
        50,
      ); // served while no manager runs
      await matrixOk(env, ['manager', 'start']);
      expect(await until(apiUp, Boolean, 200, 100)).toBe(true);
      await until(replicas, settled, 60);
      await new Promise((r) => setTimeout(r, 1500));
    }
    const r = await load.stop();
    expect(r.failed, await failures(r)).toEqual([]);
    expect(varnishds()).toEqual(ingress);
  });

  it("a node that returns after a rolling update never serves the old revision's containers", async () => {
    await matrixOk(env, ['lab', 'poweroff', 'node2']);
    await until(replicas, (r) => r.filter((x) => x.state === 'running' && x.node !== 'node2').length === 3, 120);
    writeFileSync(join(env.home, 'matrix.yaml'), spec('cloud/simplewebapp2'));
    await matrixOk(env, ['deploy', join(env.home, 'matrix.yaml')]);
    const onlyNew = async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 9; i++) seen.add(/app=([a-z0-9]+)/.exec((await get(env.ingressPort, '/web/')).body)?.[1] ?? '?');
      return seen;
    };
    expect([...(await until(onlyNew, (s) => s.size === 1 && s.has('simplewebapp2'), 120))]).toEqual(['simplewebapp2']);

    const load = steadyLoad(env.ingressPort, '/web/');
    await matrixOk(env, ['lab', 'poweron', 'node2']); // its engine runs its simplewebapp1 container again
    // until node2's stale container is gone: stopped and removed by the manager
    await until(
      async () => (await replicas()).length,
      (n) => n === 3,
      120,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const r = await load.stop();
    expect(r.failed, await failures(r)).toEqual([]);
    expect([...r.apps.keys()]).toEqual(['simplewebapp2']);
  });

  it('a node cut off the network for 20 s: its replica is replaced, no request fails, and its container never serves again', async () => {
    // rebalancing off, so its slot stays where it moved (a rebalance may take the container back, rightly: same revision)
    writeFileSync(join(env.home, 'matrix.yaml'), spec('cloud/simplewebapp2', '    rebalance: false\n'));
    await matrixOk(env, ['deploy', join(env.home, 'matrix.yaml')]);
    await until(replicas, settled, 120);
    const victim = (await replicas())[0]!;
    expect(victim.containerId).toBeTruthy();
    const short = victim.containerId!.slice(0, 12);
    const load = steadyLoad(env.ingressPort, '/web/');
    // it serves before the cut (the pages name the container that answered)
    expect(await until(async () => load.now().answers.some((a) => a.container === short), Boolean, 100, 50)).toBe(true);
    const cutAt = Date.now();
    await matrixOk(env, ['lab', 'partition', victim.node]);
    // its engine and container run on, unreachable: the manager replaces the replica elsewhere
    await until(replicas, (r) => r.filter((x) => x.state === 'running' && x.node !== victim.node).length === 3, 120);
    await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - cutAt))));
    const seen = load.now().sent;
    await matrixOk(env, ['lab', 'heal', victim.node]);
    await until(replicas, settled, 120); // the stale container is gone
    await new Promise((r) => setTimeout(r, 1000));
    const r = await load.stop();
    expect(r.failed, await failures(r)).toEqual([]);
    expect(r.sent - seen).toBeGreaterThan(10);
    // the cut-off container never answered after the heal
    expect(r.answers.slice(seen).filter((a) => a.container === short)).toEqual([]);

    // rebalancing on again: the node that was away gets a replica back, one health-gated move, no request fails
    const back = steadyLoad(env.ingressPort, '/web/');
    writeFileSync(join(env.home, 'matrix.yaml'), spec('cloud/simplewebapp2'));
    await matrixOk(env, ['deploy', join(env.home, 'matrix.yaml')]);
    const spread = await until(replicas, (x) => settled(x) && new Set(x.map((y) => y.node)).size === 3, 120);
    expect(new Set(spread.map((x) => x.node))).toEqual(new Set(['node1', 'node2', 'node3']));
    const moved = await back.stop();
    expect(moved.failed, await failures(moved)).toEqual([]);
  });

  it('a GET in flight to a node that is switched off is answered by another replica, without waiting out the first-byte timeout', async () => {
    const all = await until(replicas, (x) => settled(x) && new Set(x.map((y) => y.node)).size === 3, 120);
    const victim = all.find((x) => x.node === 'node3')!;
    // its web server stops answering (as if its node were already gone) but the kernel still takes connections
    const inspect = await dockerOn(env, 3, ['inspect', '-f', '{{.State.Pid}}', victim.containerId!]);
    expect(inspect.code, inspect.out).toBe(0);
    for (const pid of processTree(Number(inspect.out.trim()))) process.kill(pid, 'SIGSTOP'); // init and the server under it
    // round robin over 3 replicas: one of 3 GETs goes to node3 and waits (Varnish would wait 60 s)
    const answers: HttpAnswer[] = [];
    const inFlight = [0, 1, 2].map(() => get(env.ingressPort, '/web/', 30_000).then((a) => (answers.push(a), a)));
    await until(
      async () => answers.length,
      (n) => n >= 2,
      100,
      50,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(answers.length).toBe(2);
    await matrixOk(env, ['lab', 'poweroff', 'node3']);
    const all3 = await Promise.all(inFlight);
    const log = () =>
      readFileSync(join(env.home, 'manager.log'), 'utf8')
        .split('\n')
        .filter((l) => /node3|ingress/.test(l))
        .slice(-15)
        .join('\n');
    expect(
      all3.map((a) => a.status),
      log(),
    ).toEqual([200, 200, 200]);
    expect(all3.map((a) => nodeOf(a.body)).filter((n) => n === 'node3')).toEqual([]);
    await matrixOk(env, ['lab', 'poweron', 'node3']);
    await until(replicas, (x) => settled(x) && new Set(x.map((y) => y.node)).size === 3, 120);
  });

  it('an app with no replica that may serve answers 503 naming it, with Retry-After; an unknown name 404', async () => {
    writeFileSync(
      join(env.home, 'broken.yaml'),
      `apps:
  sick:
    image: cloud/simplewebapp1
    replicas: 1
    port: 8080
    health: { path: /no-such-page, interval: 1s, timeout: 1s }
`,
    );
    await matrix(env, ['deploy', '--detach', join(env.home, 'broken.yaml')]);
    const r = await until(
      () => get(env.ingressPort, '/sick/'),
      (a) => a.status === 503,
      60,
      250,
    );
    expect(r.status).toBe(503);
    expect(r.headers?.['retry-after']).toBe('1');
    expect(r.body).toBe('No replica of app sick is available, try again shortly.\n');
    const unknown = await get(env.ingressPort, '/nosuchapp/');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('/sick/');
  });
});
