/**
 * bench/footprint: the manager's memory.
 *   sim: 1,000 simulated nodes and 10,000 replicas (10 apps x 1,000) in this process, with the
 *        real store (SQLite file), control loop, desired-state service and ingress consumer
 *        (VCL rendered, target in memory). The sim nodes' own bookkeeping is in the figure too,
 *        so it is an upper bound of what a manager process would hold for them.
 *   lab (--lab, as root): a real 3-node lab with the sample apps deployed; the manager
 *        process's RSS once idle, read from /proc.
 * RSS is read after a full GC (node --expose-gc; the bench re-runs itself with it).
 *
 *   npx tsx bench/footprint.ts [--nodes 1000] [--apps 10] [--replicas 1000] [--lab]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ConsumerRunner } from '../src/manager/controllers/consumers.ts';
import { ingressConsumer } from '../src/manager/ingress/ingress-consumer.ts';
import { simWorld } from '../src/manager/controllers/sim-world.ts';
import { deploySpec, HOME, labDown, labUp, waitFor } from './lab-bench.ts';

if (typeof globalThis.gc !== 'function') {
  // re-run with a GC we can call: RSS after a full collection, not after whatever the last pass left
  execFileSync(process.execPath, ['--expose-gc', ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    apps: { type: 'string', default: '10' },
    replicas: { type: 'string', default: '1000' },
    lab: { type: 'boolean', default: false },
  },
});
const MB = 1024 * 1024;
const rssMb = () => process.memoryUsage().rss / MB;

async function simFigures(): Promise<{ rssMb: number; heapMb: number; baselineMb: number; running: number; vclKb: number; passS: number }> {
  globalThis.gc!();
  const baselineMb = rssMb();
  const dir = mkdtempSync(join(tmpdir(), 'mx-bench-footprint-'));
  try {
    const w = simWorld({ db: join(dir, 'state.db'), nodes: Number(values.nodes) });
    let vcl = '';
    const ingress = new ConsumerRunner(
      ingressConsumer({ apply: async (v) => ((vcl = v), true) }, {}, pino({ level: 'silent' })),
      pino({ level: 'silent' }),
      w.events,
    );
    // the sim world has no consumers: feed the ingress what each pass publishes, as the manager does
    const apps = Array.from(
      { length: Number(values.apps) },
      (_, i) => `  app${i}:\n    image: cloud/app${i}\n    replicas: ${values.replicas}\n    port: 8080\n`,
    );
    await w.desired.deploy({ file: 'matrix.yaml', source: `apps:\n${apps.join('')}`, dryRun: false });
    const want = Number(values.apps) * Number(values.replicas);
    let running = 0;
    for (let i = 0; i < 60 && running < want; i++) {
      w.clock.now += 1000;
      await w.loop.pass();
      running = [...w.sim.nodes.values()].reduce((s, n) => s + [...n.containers.values()].filter((c) => c.state === 'running').length, 0);
    }
    ingress.offer(w.loop.state());
    await ingress.settled();
    // the steady state: one more pass with everything in place, timed
    const t = performance.now();
    w.clock.now += 1000;
    await w.loop.pass();
    const passS = (performance.now() - t) / 1000;
    globalThis.gc!();
    const out = { rssMb: rssMb(), heapMb: process.memoryUsage().heapUsed / MB, baselineMb, running, vclKb: vcl.length / 1024, passS };
    w.loop.stop();
    w.store.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Rss {
  rss: number;
  anon: number;
  file: number;
  threads: number;
}

/** The process's resident memory from /proc, in MB: all of it, anonymous (heaps), file-backed (the node binary, libraries). */
function rssOf(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`${name}:\\s+(\\d+)`).exec(status);
    if (!m) throw new Error(`no ${name} for pid ${pid}`);
    return Number(m[1]);
  };
  return { rss: field('VmRSS') / 1024, anon: field('RssAnon') / 1024, file: field('RssFile') / 1024, threads: field('Threads') };
}

/** The spec parser's worker ends after 60 s without a parse (src/manager/specs/spec-parser.ts). */
const PARSER_IDLE_S = 60;

async function labFigures(): Promise<{ afterDeploy: Rss; idle: Rss; samples: number[] }> {
  await labUp(3);
  try {
    await deploySpec(
      'apps:\n  simplewebapp1:\n    image: cloud/simplewebapp1\n    replicas: 3\n    port: 8080\n  simplewebapp2:\n    image: cloud/simplewebapp2\n    replicas: 3\n    port: 8080\n',
    );
    await waitFor(
      async () => (await fetch('http://127.0.0.1:6091/simplewebapp2/')).status,
      (s) => s === 200,
    );
    const pid = Number(readFileSync(join(HOME, 'manager.pid'), 'utf8'));
    const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
    await sleep(10);
    const afterDeploy = rssOf(pid);
    // idle: the loop's passes with nothing to do, once the parser's worker has ended; sampled once a second
    await sleep(PARSER_IDLE_S);
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      await sleep(1);
      samples.push(rssOf(pid).rss);
    }
    return { afterDeploy, idle: rssOf(pid), samples };
  } finally {
    await labDown();
  }
}

const sim = await simFigures();
console.log(
  `sim: ${values.nodes} nodes, ${sim.running} replicas running: RSS ${sim.rssMb.toFixed(0)} MB (heap ${sim.heapMb.toFixed(0)} MB; ${sim.baselineMb.toFixed(0)} MB before the cluster), VCL ${sim.vclKb.toFixed(0)} KiB, a steady pass ${sim.passS.toFixed(2)} s`,
);
const lab = values.lab ? await labFigures() : null;
if (lab)
  for (const [when, r] of [
    ['10 s after the deploy', lab.afterDeploy],
    [`idle (${PARSER_IDLE_S + 10} s after)`, lab.idle],
  ] as const)
    console.log(
      `lab: manager RSS ${when}, 3 nodes and 6 replicas: ${r.rss.toFixed(0)} MB (anonymous ${r.anon.toFixed(0)}, files ${r.file.toFixed(0)}; ${r.threads} threads)`,
    );
if (lab) console.log(`lab: idle samples ${lab.samples.map((s) => s.toFixed(0)).join(' ')} MB`);
console.log(
  JSON.stringify({
    bench: 'footprint',
    sim: {
      nodes: Number(values.nodes),
      replicas: sim.running,
      rssMb: Math.round(sim.rssMb),
      heapMb: Math.round(sim.heapMb),
      baselineMb: Math.round(sim.baselineMb),
      passS: Number(sim.passS.toFixed(3)),
    },
    ...(lab ? { lab: { nodes: 3, afterDeployRssMb: Math.round(lab.afterDeploy.rss), idleRssMb: Math.round(lab.idle.rss) } } : {}),
  }),
);
