/**
 * bench/zero-downtime: in a real 3-node lab, an app with 3 replicas under a fixed-rate load
 * while (a) a node is switched off, (b) only a node's dockerd is killed (its containers keep
 * serving), (c) a rolling update to a new image runs. The same load, at the same time,
 * goes to cloudmatrix's ingress and to the seed's ingress (round-robin VCL, no probes);
 * Docker Swarm runs the same scenarios afterwards when bench/swarm/swarm.ts is present.
 * Prints requests sent, failed (non-2xx, errors, timeouts), p50/p99 latency and seconds
 * until full capacity is back, side by side.
 *
 *   npx tsx bench/zero-downtime.ts [--seconds 30] [--rate 50]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { api, deploySpec, get, HOME, labDown, labUp, lab, matrix, percentile, waitFor, type Answer } from './lab-bench.ts';
import { SEED_PORT, seedVcl, startSeedIngress } from './seed-ingress.ts';
import http from 'node:http';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '30' }, rate: { type: 'string', default: '50' }, 'no-swarm': { type: 'boolean', default: false } },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);

interface Row {
  app: string;
  node: string;
  state: string;
  desired: boolean;
  address: string;
}
interface RouteV {
  app: string;
  node: string;
  address: string;
  port: number;
}
export interface Result {
  system: string;
  scenario: string;
  sent: number;
  failed: number;
  p50ms: number;
  p99ms: number;
  recoverS: number;
  note?: string;
}

const spec = (image: string) =>
  `apps:\n  web:\n    image: ${image}\n    replicas: 3\n    port: 8080\n    health: { path: /, interval: 1s, timeout: 1s }\n    update: { parallelism: 1, delay: 1s, order: start-first, drain: 2s }\n`;

const seedAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function getSeed(path: string): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((res) => {
    const req = http.get({ host: '127.0.0.1', port: SEED_PORT, path, timeout: 5000, agent: seedAgent }, (r) => {
      r.resume();
      r.on('end', () => res({ status: r.statusCode ?? 0, ms: performance.now() - t0, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => res({ status: 0, ms: performance.now() - t0, body: '' }));
  });
}

/** Both ingresses, the same fixed rate, for `seconds`. */
function dualLoad(seconds: number): Promise<{ ours: Answer[]; seed: Answer[] }> {
  const ours: Promise<Answer>[] = [];
  const seed: Promise<Answer>[] = [];
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      ours.push(get('/web/'));
      seed.push(getSeed('/web/'));
    }, 1000 / RATE);
    setTimeout(async () => {
      clearInterval(timer);
      resolve({ ours: await Promise.all(ours), seed: await Promise.all(seed) });
    }, seconds * 1000);
  });
}

function summarize(system: string, scenario: string, xs: Answer[], recoverS: number): Result {
  const ok = xs.map((x) => x.ms);
  const bad = xs.filter((x) => x.status < 200 || x.status > 299);
  // what the failures were: status 0 is a client timeout or a refused/reset connection
  const byStatus = new Map<number, number>();
  for (const b of bad) byStatus.set(b.status, (byStatus.get(b.status) ?? 0) + 1);
  const note = [...byStatus].map(([st, n]) => `${n} x ${st === 0 ? 'timeout/error' : st}`).join(', ');
  return { system, scenario, sent: xs.length, failed: bad.length, p50ms: percentile(ok, 50), p99ms: percentile(ok, 99), recoverS, ...(note ? { note } : {}) };
}

interface WebState {
  running: number; // running replicas of the desired revision
  total: number; // web containers of any revision or state
  routes: RouteV[];
}

const webState = async (): Promise<WebState> => {
  const [r, routes] = await Promise.all([api<{ replicas: Row[] }>('/v1/replicas'), api<{ routes: RouteV[] }>('/v1/routes')]);
  const web = r.replicas.filter((x) => x.app === 'web');
  return { running: web.filter((x) => x.state === 'running' && x.desired).length, total: web.length, routes: routes.routes.filter((x) => x.app === 'web') };
};

const full = (s: WebState) => s.running === 3 && s.total === 3 && s.routes.length === 3;

/**
 * `recovered` says when full capacity is back after the event: for a node lost, 3 healthy
 * replicas routed on the other nodes; for an update, 3 of the new revision and nothing else.
 */
async function scenario(
  name: string,
  act: () => Promise<void>,
  recovered: (s: WebState) => boolean,
  settle: () => Promise<void>,
  seed: Awaited<ReturnType<typeof startSeedIngress>>,
): Promise<Result[]> {
  // the seed's update-proxy, run by hand before the event: its VCL lists today's replicas
  const { routes } = await waitFor(webState, full).then((x) => x.value);
  await seed.apply(seedVcl('web', routes));
  const loads = dualLoad(SECONDS);
  await new Promise((r) => setTimeout(r, 3000));
  const t0 = performance.now();
  await act();
  // capacity back: 3 replicas of the current revision running, healthy and routed
  const back = await waitFor(webState, recovered, 120_000, 100).catch(() => ({ at: NaN }));
  const { ours, seed: seedAnswers } = await loads;
  const recoverS = (back.at - t0) / 1000;
  await settle();
  const results = [summarize('cloudmatrix', name, ours, recoverS), summarize('seed-vcl', name, seedAnswers, NaN)];
  for (const r of results) console.log(line(r));
  return results;
}

function line(r: Result): string {
  const rec = Number.isNaN(r.recoverS) ? '-' : `${r.recoverS.toFixed(2)} s`;
  return `${r.scenario.padEnd(15)} ${r.system.padEnd(15)} sent ${String(r.sent).padStart(5)}  failed ${String(r.failed).padStart(5)}  p50 ${r.p50ms.toFixed(1).padStart(7)} ms  p99 ${r.p99ms.toFixed(1).padStart(7)} ms  capacity back ${rec}${r.note ? `  (${r.note})` : ''}`;
}

async function main(): Promise<void> {
  console.log(`bench/zero-downtime: 3-node lab, web x3, ${RATE} req/s for ${SECONDS} s per scenario, on each ingress`);
  await labUp(3);
  const l = await lab();
  const seed = await startSeedIngress();
  const results: Result[] = [];
  try {
    await deploySpec(spec('cloud/simplewebapp1'));
    const victim = 'node2';
    results.push(
      ...(await scenario(
        'node-poweroff',
        async () => {
          await l.powerOff(victim);
        },
        (s) => full(s) && !s.routes.some((r) => r.node === victim),
        async () => {
          await l.powerOn(victim);
          await waitFor(
            () => api<{ replicas: Row[] }>('/v1/replicas'),
            (r) => r.replicas.filter((x) => x.app === 'web').length === 3,
          );
        },
        seed,
      )),
    );
    results.push(
      ...(await scenario(
        'dockerd-kill',
        async () => {
          const pid = Number(readFileSync(join(HOME, 'lab', 'node3', 'dockerd.pid'), 'utf8'));
          process.kill(pid, 'SIGKILL');
        },
        (s) => full(s) && !s.routes.some((r) => r.node === 'node3'),
        async () => {
          await l.powerOn('node3'); // restarts the engine; its containers were never stopped
          await waitFor(
            () => api<{ replicas: Row[] }>('/v1/replicas'),
            (r) => r.replicas.filter((x) => x.app === 'web').length === 3,
          );
        },
        seed,
      )),
    );
    results.push(
      ...(await scenario(
        'rolling-update',
        () => deploySpec(spec('cloud/simplewebapp2')),
        // the deploy has recorded the new revision, so `desired` rows are the new image's
        full,
        async () => {},
        seed,
      )),
    );
    const swarmModule = join(import.meta.dirname, 'swarm', 'swarm.ts');
    if (existsSync(swarmModule) && !values['no-swarm']) {
      await matrix(['rm', 'web']); // the lab's engines to Swarm alone (an empty spec is refused, rightly)
      const swarm = (await import(swarmModule)) as { runSwarmBench?: (o: { seconds: number; rate: number }) => Promise<Result[]> };
      if (swarm.runSwarmBench) results.push(...(await swarm.runSwarmBench({ seconds: SECONDS, rate: RATE })));
    }
  } finally {
    seed.stop();
    await labDown();
  }
  console.log('\nside by side:');
  for (const sc of ['node-poweroff', 'dockerd-kill', 'rolling-update']) for (const r of results.filter((x) => x.scenario === sc)) console.log(line(r));
  const ours = results.filter((r) => r.system === 'cloudmatrix');
  const failed = ours.reduce((s, r) => s + r.failed, 0);
  for (const other of [...new Set(results.map((r) => r.system))].filter((s) => s !== 'cloudmatrix')) {
    const theirs = results.filter((r) => r.system === other);
    const tf = theirs.reduce((s, r) => s + r.failed, 0);
    console.log(
      `failed requests: cloudmatrix ${failed} vs ${other} ${tf}${failed === 0 ? (tf > 0 ? ` (${other} fails ${tf} more)` : '') : ` (ratio ${(tf / failed).toFixed(1)}x)`}`,
    );
  }
  console.log(
    JSON.stringify({
      bench: 'zero-downtime',
      seconds: SECONDS,
      rate: RATE,
      failed,
      results: results.map((r) => ({
        ...r,
        p50ms: +r.p50ms.toFixed(1),
        p99ms: +r.p99ms.toFixed(1),
        recoverS: Number.isNaN(r.recoverS) ? null : +r.recoverS.toFixed(2),
      })),
    }),
  );
}

main().catch(async (e) => {
  console.error(e);
  await labDown();
  process.exitCode = 1;
});
