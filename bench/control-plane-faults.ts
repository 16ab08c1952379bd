/**
 * bench/control-plane-faults: faults of the control plane and of the nodes, in a real 3-node
 * lab with `web` at 3 replicas under a fixed-rate load through the ingress. Per case: the
 * requests that failed, the seconds the case took, and (for node cases) whether an answer
 * came from a container of the old revision after the rolling update had finished.
 *   manager kill -9 + restart by its supervisor     (x rounds)
 *   manager stop + start, clean                     (x rounds)
 *   node power-off during a rolling update, then back on
 *   node power-off after a rolling update, then back on
 *   a node partitioned for 20 s, then reachable again
 *
 *   npx tsx bench/control-plane-faults.ts [--rounds 5] [--rate 50] [--partition 20]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API, api, deploySpec, HOME, labDown, labUp, load, matrix, median, waitFor, type Answer } from './lab-bench.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, rate: { type: 'string', default: '50' }, partition: { type: 'string', default: '20' } },
});
const ROUNDS = Number(values.rounds);
const RATE = Number(values.rate);
const PARTITION_S = Number(values.partition);

interface Row {
  id: string;
  node: string;
  state: string;
  desired: boolean;
}

const spec = (image: string) =>
  `apps:\n  web:\n    image: ${image}\n    replicas: 3\n    port: 8080\n    health: { path: /healthz, interval: 1s, timeout: 1s }\n`;
const rows = async () => (await api<{ replicas: Row[] }>('/v1/replicas')).replicas.filter((r) => r.id.startsWith('web.'));
/** Exactly 3 replicas, all desired and running: nothing stale left, nothing missing. */
const settled = async () => {
  const r = await rows();
  return r.length === 3 && r.every((x) => x.desired && x.state === 'running');
};
const apiUp = async () => (await fetch(`http://127.0.0.1:${API}/v1/health`, { signal: AbortSignal.timeout(500) })).ok;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const appOf = (a: Answer) => /app=([a-z0-9-]+)/.exec(a.body)?.[1] ?? '?';

interface Result {
  name: string;
  secs: number[];
  failed: number[];
  sent: number[];
  /** Answers from the old revision after the update had finished (node cases). */
  stale: number[];
}

/** Runs `fault` under load; returns what the load saw. `fault` returns the seconds it took and when the update was done (if any). */
async function underLoad(
  fault: () => Promise<{ secs: number; doneAt?: number }>,
): Promise<{ secs: number; answers: { at: number; a: Answer }[]; doneAt?: number }> {
  const l = load('/web/', RATE);
  const started = performance.now();
  await sleep(1000);
  const r = await fault();
  await sleep(2000);
  const raw = await l.stop();
  // load() sends one request every 1000/RATE ms from `started`: the send time of answer i
  return { ...r, answers: raw.map((a, i) => ({ at: started + (i * 1000) / RATE, a })) };
}

function record(res: Result, run: { secs: number; answers: { at: number; a: Answer }[]; doneAt?: number }, oldApp?: string): void {
  res.secs.push(run.secs);
  res.sent.push(run.answers.length);
  res.failed.push(run.answers.filter((x) => x.a.status !== 200).length);
  res.stale.push(oldApp && run.doneAt !== undefined ? run.answers.filter((x) => x.at > run.doneAt! && appOf(x.a) === oldApp).length : 0);
  console.log(`${res.name} round ${res.secs.length}: ${run.secs.toFixed(2)} s, ${res.failed.at(-1)}/${res.sent.at(-1)} failed`);
}

/** `matrix lab poweroff`, timed as a user would see it (the CLI included). */
const poweroffSecs: number[] = [];
async function poweroff(node: string): Promise<void> {
  const t = performance.now();
  await matrix(['lab', 'poweroff', node]);
  poweroffSecs.push((performance.now() - t) / 1000);
}

const results: Result[] = [];
const result = (name: string): Result => {
  const r: Result = { name, secs: [], failed: [], sent: [], stale: [] };
  results.push(r);
  return r;
};

await labUp(3);
try {
  await deploySpec(spec('cloud/simplewebapp1'));
  await waitFor(settled, Boolean);

  const killed = result('manager kill -9');
  for (let i = 0; i < ROUNDS; i++) {
    const run = await underLoad(async () => {
      const t0 = performance.now();
      process.kill(Number(readFileSync(join(HOME, 'manager.pid'), 'utf8')), 'SIGKILL');
      await waitFor(
        () => apiUp().catch(() => false),
        (ok) => !ok,
        10_000,
        20,
      );
      const { at } = await waitFor(() => apiUp().catch(() => false), Boolean, 60_000, 20);
      await waitFor(settled, Boolean);
      return { secs: (at - t0) / 1000 };
    });
    record(killed, run);
  }

  const clean = result('manager stop + start');
  for (let i = 0; i < ROUNDS; i++) {
    const run = await underLoad(async () => {
      const t0 = performance.now();
      await matrix(['manager', 'stop']);
      await matrix(['manager', 'start']);
      const { at } = await waitFor(() => apiUp().catch(() => false), Boolean, 60_000, 20);
      await waitFor(settled, Boolean);
      return { secs: (at - t0) / 1000 };
    });
    record(clean, run);
  }

  // a rolling update to simplewebapp2 while node2 is off; node2 returns with its old container
  const during = result('power-off during update');
  const run1 = await underLoad(async () => {
    const t0 = performance.now();
    const update = deploySpec(spec('cloud/simplewebapp2'));
    await sleep(500);
    await poweroff('node2');
    await update;
    const doneAt = performance.now();
    await matrix(['lab', 'poweron', 'node2']);
    await waitFor(settled, Boolean);
    return { secs: (performance.now() - t0) / 1000, doneAt };
  });
  record(during, run1, 'simplewebapp1');

  // and back to simplewebapp1 while node3 is off, then node3 returns
  const after = result('power-off after update');
  const run2 = await underLoad(async () => {
    const t0 = performance.now();
    await poweroff('node3');
    await waitFor(async () => (await rows()).filter((r) => r.node !== 'node3' && r.state === 'running').length === 3, Boolean);
    await deploySpec(spec('cloud/simplewebapp1'));
    const doneAt = performance.now();
    await matrix(['lab', 'poweron', 'node3']);
    await waitFor(settled, Boolean);
    return { secs: (performance.now() - t0) / 1000, doneAt };
  });
  record(after, run2, 'simplewebapp2');

  // `matrix apps` (the CLI, one API call) with every node answering, and during the partition
  const appsTimes = async (n: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await matrix(['apps']);
      out.push((performance.now() - t) / 1000);
      await sleep(500);
    }
    return out;
  };
  const appsNormal = await appsTimes(5);
  let appsCut: number[] = [];
  const cut = result(`partition ${PARTITION_S} s`);
  const run3 = await underLoad(async () => {
    const node = (await rows())[0]!.node;
    const t0 = performance.now();
    await matrix(['lab', 'partition', node]);
    appsCut = await appsTimes(5);
    await sleep(Math.max(0, PARTITION_S * 1000 - (performance.now() - t0)));
    await matrix(['lab', 'heal', node]);
    await waitFor(settled, Boolean);
    return { secs: (performance.now() - t0) / 1000 };
  });
  record(cut, run3);

  console.log(`\n${RATE} req/s through the ingress during each case (from 1 s before the fault until 2 s after the cluster settled)`);
  console.log('case                      seconds (median, max)   failed/sent per round                  old-revision answers after the update');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(25)} ${median(r.secs).toFixed(2).padStart(6)}, ${Math.max(...r.secs)
        .toFixed(2)
        .padStart(6)}          ${r.failed
        .map((f, i) => `${f}/${r.sent[i]}`)
        .join(' ')
        .padEnd(38)} ${r.name.includes('update') ? r.stale.join(' ') : '-'}`,
    );
  }
  const fmt = (xs: number[]) => `median ${median(xs).toFixed(2)} s, max ${Math.max(...xs).toFixed(2)} s`;
  console.log(`\nmatrix apps, every node answering: ${fmt(appsNormal)}; during the partition: ${fmt(appsCut)}`);
  console.log(`matrix lab poweroff: ${poweroffSecs.map((x) => `${x.toFixed(2)} s`).join(', ')}`);
  console.log(
    JSON.stringify({
      bench: 'control-plane-faults',
      rate: RATE,
      appsSecs: { normal: appsNormal.map((s) => Number(s.toFixed(3))), partition: appsCut.map((s) => Number(s.toFixed(3))) },
      poweroffSecs: poweroffSecs.map((s) => Number(s.toFixed(3))),
      cases: results.map((r) => ({ case: r.name, secs: r.secs.map((s) => Number(s.toFixed(2))), failed: r.failed, sent: r.sent, oldRevisionAnswers: r.stale })),
    }),
  );
} finally {
  await labDown();
}
