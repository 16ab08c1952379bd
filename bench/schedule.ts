/**
 * Scheduler benchmark in the spirit of Nomad's C1M: 5,000 nodes, 1,000 apps, 1,000,000
 * replicas, then the desired state persisted to SQLite in one transaction.
 *
 *   npx tsx bench/schedule.ts [--nodes 5000] [--apps 1000] [--replicas-per-app 1000] [--seed 1]
 *
 * Prints the figures, then one line of JSON.
 */
import { SqliteStore } from '../src/manager/store/sqlite-store.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AppSpec, Constraint, Placement, SchedNode } from '../src/core/model.ts';
import { mulberry32, type Rng } from '../src/core/scheduler/prng.ts';
import { schedule } from '../src/core/scheduler/schedule.ts';

/** Nomad's published C1M run: 1,000,000 containers on 5,000 hosts in under 5 minutes. */
const NOMAD_C1M_PER_S = 3750;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a number`);
  return Math.floor(v);
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

function makeNodes(n: number, rng: Rng): SchedNode[] {
  const sizes = [4, 8, 16, 32];
  return Array.from({ length: n }, (_, i) => {
    const s = Math.floor(rng() * sizes.length);
    return {
      name: `node${i + 1}`,
      up: true,
      labels: { zone: pick(rng, ['a', 'b', 'c']), disk: pick(rng, ['ssd', 'hdd']) },
      capacity: { cpus: sizes[s], memoryMb: sizes[s] * 2 * 1024 },
    };
  });
}

function makeApps(count: number, replicas: number, nodes: number, rng: Rng): AppSpec[] {
  const constraints: Constraint[][] = [
    [{ key: 'zone', op: '==', value: 'a' }],
    [{ key: 'disk', op: '!=', value: 'hdd' }],
    [{ key: 'zone', op: '!=', value: 'c' }],
  ];
  return Array.from({ length: count }, (_, i) => {
    const name = `app${String(i).padStart(4, '0')}`;
    // one app in 50 must run at most one replica per node: only where that is feasible
    const solo = i % 50 === 7 && replicas <= nodes / 3;
    return {
      name,
      image: `reg:5000/cloud/${name}:latest`,
      replicas,
      port: 8080,
      ...(solo ? { publish: 20000 + i } : {}),
      resources: { cpus: Math.round((0.01 + rng() * 0.03) * 1000) / 1000, memoryMb: 8 + Math.floor(rng() * 57) },
      // a one-per-node app is not also confined to a zone: 1,000 distinct nodes in one zone would be
      // a capacity question, not a scheduler one
      constraints: i % 3 === 0 && !solo ? constraints[(i / 3) % constraints.length] : [],
      affinity: [],
      antiAffinity: solo ? [name] : [],
      dependsOn: [],
      env: {},
      restart: 'always',
      strategy: i % 2 === 0 ? 'spread' : 'binpack',
    };
  });
}

/** Persists through the manager's own store (the same code path the control loop uses). */
function persist(placements: Placement[], apps: AppSpec[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'cloudmatrix-bench-'));
  try {
    const store = new SqliteStore(join(dir, 'state.db'));
    const t0 = performance.now();
    store.saveDeployment({ kind: 'matrix', file: 'bench.yaml', source: '', apps, strategy: 'spread' }, new Date(0));
    store.updatePlacements(placements, []);
    const s = (performance.now() - t0) / 1000;
    const rows = store.listPlacements().length;
    if (rows !== placements.length) throw new Error(`persisted ${rows} rows, expected ${placements.length}`);
    store.close();
    return s;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const nodeCount = arg('nodes', 5000);
const appCount = arg('apps', 1000);
const perApp = arg('replicas-per-app', 1000);
const seed = arg('seed', 1);
const rng = mulberry32(seed);
const nodes = makeNodes(nodeCount, rng);
const apps = makeApps(appCount, perApp, nodeCount, rng);
const replicas = appCount * perApp;

const t0 = performance.now();
const result = schedule({ apps, nodes, existing: [], strategy: 'spread', seed });
const scheduleS = (performance.now() - t0) / 1000;
const persistS = persist(result.placements, apps);
const t1 = performance.now();
const again = schedule({ apps, nodes, existing: result.placements, strategy: 'spread', seed });
const rescheduleS = (performance.now() - t1) / 1000;

const placed = result.placements.length;
const perS = placed / scheduleS;
const totalS = scheduleS + persistS;
const round = (v: number, d = 3): number => Math.round(v * 10 ** d) / 10 ** d;
const reasons = new Map<string, number>();
for (const u of result.unplaced) reasons.set(u.message, (reasons.get(u.message) ?? 0) + 1);

console.log(`nodes              ${nodeCount}`);
console.log(`apps               ${appCount}`);
console.log(`replicas           ${replicas}`);
console.log(`placed             ${placed}`);
console.log(`unplaced           ${result.unplaced.length}`);
for (const [m, n] of [...reasons].slice(0, 5)) console.log(`  ${n} x ${m}`);
console.log(`schedule           ${scheduleS.toFixed(3)} s`);
console.log(`placements/second  ${Math.round(perS)}`);
console.log(`persist (sqlite)   ${persistS.toFixed(3)} s`);
console.log(`total              ${totalS.toFixed(3)} s`);
console.log(`vs Nomad C1M       ${(perS / NOMAD_C1M_PER_S).toFixed(1)}x (${NOMAD_C1M_PER_S} placements/s)`);
console.log(`reschedule (all kept) ${rescheduleS.toFixed(3)} s, kept ${again.changes.kept}`);
console.log(
  JSON.stringify({
    bench: 'schedule',
    nodes: nodeCount,
    apps: appCount,
    replicas,
    placed,
    unplaced: result.unplaced.length,
    schedule_s: round(scheduleS),
    persist_s: round(persistS),
    total_s: round(totalS),
    placements_per_s: Math.round(perS),
    vs_nomad_c1m: round(perS / NOMAD_C1M_PER_S, 1),
    reschedule_s: round(rescheduleS),
  }),
);
