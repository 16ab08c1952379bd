/**
 * bench/component-faults: the manager box's own processes killed with -9, in a real 3-node
 * lab with an app of 3 replicas under a fixed-rate load through the ingress. Per case:
 * seconds until that part works again, the requests that failed meanwhile, and whether the
 * app kept exactly its replicas.
 *   varnishd (both processes) -> the ingress serves again (the manager restarts it)
 *   registry                  -> pushes and pulls work again (the manager restarts it)
 *   manager                   -> the API answers again (its supervisor restarts it)
 *
 *   npx tsx bench/component-faults.ts [--rounds 3] [--rate 50]
 */
import { readFileSync } from 'node:fs';
import { pidsRunning } from '../src/util/pidfile.ts';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API, api, deploySpec, HOME, INGRESS, labDown, labUp, load, matrix, median, waitFor } from './lab-bench.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, rate: { type: 'string', default: '50' } } });
const ROUNDS = Number(values.rounds);
const RATE = Number(values.rate);

interface Row {
  id: string;
  node: string;
  state: string;
  desired: boolean;
}

const replicas = async () => (await api<{ replicas: Row[] }>('/v1/replicas')).replicas.filter((r) => r.state === 'running' && r.desired);
const layout = async () =>
  (await replicas())
    .map((r) => `${r.id}@${r.node}`)
    .sort()
    .join(' ');

const varnishds = (): number[] => pidsRunning('varnishd', join(HOME, 'varnish'));

const pid = (file: string) => Number(readFileSync(join(HOME, file), 'utf8'));

interface Case {
  name: string;
  kill: () => number[];
  /** The part works again. */
  back: () => Promise<boolean>;
}

const cases: Case[] = [
  {
    name: 'varnishd kill -9',
    kill: () => varnishds(),
    back: async () => (await fetch(`http://127.0.0.1:${INGRESS}/web/`, { signal: AbortSignal.timeout(1000) })).ok,
  },
  {
    name: 'registry kill -9',
    kill: () => [pid('registry/registry.pid')],
    back: () => matrix(['images', 'sample']).then(() => true),
  },
  {
    name: 'manager kill -9',
    kill: () => [pid('manager.pid')],
    back: async () => (await fetch(`http://127.0.0.1:${API}/v1/health`, { signal: AbortSignal.timeout(1000) })).ok,
  },
];

await labUp(3);
try {
  await deploySpec('apps:\n  web:\n    image: cloud/simplewebapp1\n    replicas: 3\n    port: 8080\n    health: /\n');
  await waitFor(replicas, (r) => r.length === 3);
  const results: { name: string; secs: number[]; failed: number[]; sent: number[]; same: boolean[] }[] = [];
  for (const c of cases) {
    const r = { name: c.name, secs: [] as number[], failed: [] as number[], sent: [] as number[], same: [] as boolean[] };
    for (let i = 0; i < ROUNDS; i++) {
      const before = await layout();
      const l = load('/web/', RATE);
      await new Promise((res) => setTimeout(res, 1000));
      const pids = c.kill();
      const t0 = performance.now();
      for (const p of pids) process.kill(p, 'SIGKILL');
      const { at } = await waitFor(() => c.back().catch(() => false), Boolean, 60_000, 20);
      r.secs.push((at - t0) / 1000);
      await new Promise((res) => setTimeout(res, 2000));
      const answers = await l.stop();
      r.sent.push(answers.length);
      r.failed.push(answers.filter((a) => a.status !== 200).length);
      r.same.push((await waitFor(layout, (x) => x === before, 30_000).catch(() => ({ value: '' }))).value === before);
    }
    results.push(r);
  }
  console.log(`\n${ROUNDS} rounds per case, ${RATE} req/s through the ingress during each (1 s before the kill, until 2 s after recovery)`);
  console.log('case               back after s (median, max)   failed/sent per round        replicas unchanged');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(18)} ${median(r.secs).toFixed(2).padStart(5)}, ${Math.max(...r.secs)
        .toFixed(2)
        .padStart(5)}                 ${r.failed
        .map((f, i) => `${f}/${r.sent[i]}`)
        .join(' ')
        .padEnd(28)} ${r.same.every(Boolean) ? 'yes' : 'NO'}`,
    );
  }
} finally {
  await labDown();
}
