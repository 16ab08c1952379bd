/**
 * bench/failover: in a real 3-node lab with an app of 3 replicas, switch a node off (links
 * down, every process killed) and measure seconds until (a) the manager marks it down,
 * (b) its routes are gone from the ingress, (c) replacement replicas run on the survivors,
 * while a fixed-rate load runs against the ingress. Several rounds, one node each.
 *
 *   npx tsx bench/failover.ts [--rounds 3] [--rate 50]
 */
import { parseArgs } from 'node:util';
import { api, deploySpec, labDown, labUp, lab, load, median, percentile, waitFor } from './lab-bench.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, rate: { type: 'string', default: '50' } } });
const ROUNDS = Number(values.rounds);
const RATE = Number(values.rate);

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
  console.log('bench/failover: 3-node lab, app web with 3 replicas, fixed-rate load on the ingress');
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
      const traffic = load('/web/', RATE);
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
      const answers = await traffic.stop();
      const row = {
        node,
        down: (a.at - t0) / 1000,
        routes: (b.at - t0) / 1000,
        replaced: (c.at - t0) / 1000,
        sent: answers.length,
        failed: answers.filter((x) => x.status !== 200).length,
        // the latency of the answers that came: a failed request is counted apart, not as a fast or slow one
        p99: percentile(
          answers.filter((x) => x.status === 200).map((x) => x.ms),
          99,
        ),
      };
      results.push(row);
      console.log(
        `round ${i + 1}: ${node} off -> marked down ${row.down.toFixed(2)} s, routes gone ${row.routes.toFixed(2)} s, replacements running ${row.replaced.toFixed(2)} s; load ${row.sent} requests, ${row.failed} failed, p99 of the answered ${row.p99.toFixed(0)} ms`,
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
