/**
 * bench/failover: in a real 3-node lab with an app of 3 replicas, switch a node off (links
 * down, every process killed) and measure seconds until (a) the manager marks it down,
 * (b) its routes are gone from the ingress, (c) replacement replicas run on the survivors,
 * while a fixed-rate load runs against the ingress. Several rounds, one node each.
 *
 * The load is either a fixed rate of GETs (`--rate`, each with a 30 s client timeout), or with
 * `--wrk` a closed loop: wrk with 4 connections and a 2 s client timeout for 8 s around each
 * power-off (a request that waits 2 s counts as failed).
 *
 *   npx tsx bench/failover.ts [--rounds 3] [--rate 50 | --wrk]
 */
import { execFile } from 'node:child_process';
import { parseArgs } from 'node:util';
import { api, deploySpec, INGRESS, labDown, labUp, lab, load, median, parseWrk, percentile, waitFor } from './lab-bench.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, rate: { type: 'string', default: '50' }, wrk: { type: 'boolean', default: false } },
});
const ROUNDS = Number(values.rounds);
const RATE = Number(values.rate);
const WRK = ['-t', '1', '-c', '4', '-d', '8s', '--timeout', '2s', '--latency'];

interface Traffic {
  /** `why`: what the failures were, when the load generator says. */
  stop(): Promise<{ sent: number; failed: number; p99: number; why?: string }>;
}

/** Fixed-rate GETs; p99 of the answered ones (a failed request is counted apart, not as a fast or slow one). */
function rateLoad(): Traffic {
  const t = load('/web/', RATE);
  return {
    stop: async () => {
      const answers = await t.stop();
      const ok = answers.filter((x) => x.status === 200);
      return {
        sent: answers.length,
        failed: answers.length - ok.length,
        p99: percentile(
          ok.map((x) => x.ms),
          99,
        ),
      };
    },
  };
}

/** wrk's closed loop for its whole duration: stop() waits for it to finish. */
function wrkLoad(): Traffic {
  const done = new Promise<string>((res, rej) =>
    execFile('wrk', [...WRK, `http://127.0.0.1:${INGRESS}/web/`], { timeout: 60_000 }, (err, out) => (err ? rej(err) : res(out))),
  );
  return {
    stop: async () => {
      const w = parseWrk(await done);
      return {
        sent: w.requests + w.socketErrors,
        failed: w.errors,
        p99: w.p99ms,
        why: `${w.socketErrors} socket errors or timeouts, ${w.errors - w.socketErrors} non-2xx`,
      };
    },
  };
}

interface Row {
  app: string;
  node: string;
  state: string;
  desired: boolean;
}
interface NodeV {
  name: string;
  state: string;
}
interface RouteV {
  node: string;
  app: string;
}

const running = (rows: Row[]) => rows.filter((r) => r.app === 'web' && r.state === 'running' && r.desired);

async function main(): Promise<void> {
  console.log(
    `bench/failover: 3-node lab, app web with 3 replicas, load on the ingress: ${values.wrk ? `wrk ${WRK.join(' ')} (closed loop)` : `${RATE} GETs/s`}`,
  );
  await labUp(3);
  const l = await lab();
  const results: { node: string; down: number; routes: number; replaced: number; sent: number; failed: number; p99: number }[] = [];
  try {
    await deploySpec('apps:\n  web:\n    image: cloud/simplewebapp1\n    replicas: 3\n    port: 8080\n');
    await waitFor(
      () => api<{ replicas: Row[] }>('/v1/replicas'),
      (r) => running(r.replicas).length === 3,
    );
    for (let i = 0; i < ROUNDS; i++) {
      const node = `node${(i % 3) + 1}`;
      const traffic = values.wrk ? wrkLoad() : rateLoad();
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = performance.now();
      await l.powerOff(node);
      const [a, b, c] = await Promise.all([
        waitFor(
          () => api<{ nodes: NodeV[] }>('/v1/nodes'),
          (r) => r.nodes.find((n) => n.name === node)?.state === 'down',
        ),
        waitFor(
          () => api<{ routes: RouteV[] }>('/v1/routes'),
          (r) => !r.routes.some((x) => x.node === node),
        ),
        waitFor(
          () => api<{ replicas: Row[] }>('/v1/replicas'),
          (r) => running(r.replicas).filter((x) => x.node !== node).length === 3,
        ),
      ]);
      await new Promise((r) => setTimeout(r, 1000));
      const { sent, failed, p99, why } = await traffic.stop();
      const row = { node, down: (a.at - t0) / 1000, routes: (b.at - t0) / 1000, replaced: (c.at - t0) / 1000, sent, failed, p99 };
      results.push(row);
      console.log(
        `round ${i + 1}: ${node} off -> marked down ${row.down.toFixed(2)} s, routes gone ${row.routes.toFixed(2)} s, replacements running ${row.replaced.toFixed(2)} s; load ${row.sent} requests, ${row.failed} failed${row.failed && why ? ` (${why})` : ''}, p99 of the answered ${row.p99.toFixed(0)} ms`,
      );
      await l.powerOn(node);
      // back to exactly 3 (the returned node's stale container removed) before the next round
      await waitFor(
        () => api<{ replicas: Row[] }>('/v1/replicas'),
        (r) => r.replicas.filter((x) => x.app === 'web').length === 3 && running(r.replicas).length === 3,
      );
    }
  } finally {
    await labDown();
  }
  const m = (k: 'down' | 'routes' | 'replaced') => median(results.map((r) => r[k]));
  console.log(
    `\nmedian over ${results.length} rounds: marked down ${m('down').toFixed(2)} s, routes gone ${m('routes').toFixed(2)} s, replacements running ${m('replaced').toFixed(2)} s`,
  );
  // no Swarm figures here: this run measured none (bench/zero-downtime runs Swarm beside cloudmatrix)
  console.log(
    JSON.stringify({
      bench: 'failover',
      load: values.wrk ? `wrk ${WRK.join(' ')}` : `${RATE}/s`,
      rounds: results.length,
      failed: results.reduce((s, r) => s + r.failed, 0),
      sent: results.reduce((s, r) => s + r.sent, 0),
      mark_down_s: +m('down').toFixed(3),
      routes_gone_s: +m('routes').toFixed(3),
      replaced_s: +m('replaced').toFixed(3),
      p99_ms: results.map((r) => Math.round(r.p99)),
    }),
  );
}

main().catch(async (e) => {
  console.error(e);
  await labDown();
  process.exitCode = 1;
});
