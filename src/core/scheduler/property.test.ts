/**
 * Property tests over random inputs drawn from the seeded PRNG (reproducible: a failure names
 * its case number). Apps only relate to apps defined before them, so the relation graph is
 * acyclic and rescheduling an unchanged input must keep everything.
 */
import { describe, expect, it } from 'vitest';
import type { AppSpec, Constraint, SchedNode, Strategy } from '../model.ts';
import { toUnits } from './cluster.ts';
import { constraintHolds } from './constraints.ts';
import { mulberry32, type Rng } from './prng.ts';
import { schedule } from './schedule.ts';
import { app, node } from './test-fixtures.ts';
import type { ScheduleInput, ScheduleResult } from './types.ts';

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
const chance = (rng: Rng, p: number): boolean => rng() < p;

function randomNodes(rng: Rng, count: number): SchedNode[] {
  return Array.from({ length: count }, (_, i) => {
    const labels: Record<string, string> = {};
    if (chance(rng, 0.9)) labels.zone = pick(rng, ['a', 'b', 'c']);
    if (chance(rng, 0.7)) labels.disk = pick(rng, ['ssd', 'hdd']);
    return node(`n${i}`, { up: chance(rng, 0.85), labels, capacity: { cpus: pick(rng, [0, 1, 2, 4]), memoryMb: pick(rng, [0, 1024, 2048, 4096]) } });
  });
}

function randomConstraint(rng: Rng, nodeCount: number): Constraint {
  const key = pick(rng, ['zone', 'disk', 'node']);
  const value = key === 'zone' ? pick(rng, ['a', 'b', 'c']) : key === 'disk' ? pick(rng, ['ssd', 'hdd']) : `n${Math.floor(rng() * nodeCount)}`;
  return { key, op: pick(rng, ['==', '!='] as const), value };
}

function randomApps(rng: Rng, count: number, nodeCount: number): AppSpec[] {
  const apps: AppSpec[] = [];
  for (let i = 0; i < count; i++) {
    const name = `app${i}`;
    const replicas = Math.floor(rng() * 9);
    if (chance(rng, 0.15)) {
      const pins = Array.from({ length: replicas }, () => ({
        node: chance(rng, 0.1) ? 'ghost' : `n${Math.floor(rng() * nodeCount)}`,
        hostPort: pick(rng, [80, 5050, 5051]),
        containerPort: 8080,
      }));
      apps.push(app(name, { replicas, pins }));
      continue;
    }
    const earlier = apps.map((a) => a.name);
    const some = (p: number): string[] => earlier.filter(() => chance(rng, p));
    apps.push(
      app(name, {
        replicas,
        ...(chance(rng, 0.3) ? { publish: pick(rng, [80, 8080]) } : {}),
        ...(chance(rng, 0.5) ? { strategy: pick(rng, ['spread', 'binpack'] as const) } : {}),
        ...(chance(rng, 0.15) ? { rebalance: false } : {}),
        resources: { cpus: chance(rng, 0.5) ? pick(rng, [0.1, 0.25, 0.5, 1]) : 0, memoryMb: chance(rng, 0.5) ? pick(rng, [64, 256, 512]) : 0 },
        constraints: Array.from({ length: Math.floor(rng() * 3) }, () => randomConstraint(rng, nodeCount)),
        affinity: some(0.1),
        antiAffinity: [...some(0.15), ...(chance(rng, 0.2) ? [name] : [])],
        dependsOn: some(0.15).map((d) => ({ app: d, colocate: chance(rng, 0.5) })),
      }),
    );
  }
  return apps;
}

function randomInput(rng: Rng): ScheduleInput {
  const nodeCount = 1 + Math.floor(rng() * 12);
  return {
    apps: randomApps(rng, 1 + Math.floor(rng() * 6), nodeCount),
    nodes: randomNodes(rng, nodeCount),
    existing: [],
    strategy: pick(rng, ['spread', 'binpack'] as Strategy[]),
    seed: Math.floor(rng() * 2 ** 32),
  };
}

/** Everything a result must satisfy, whatever the input. */
function checkInvariants(input: ScheduleInput, r: ScheduleResult): void {
  const apps = new Map(input.apps.map((a) => [a.name, a]));
  const nodes = new Map(input.nodes.map((n) => [n.name, n]));
  const key = (p: { app: string; slot: number }): string => `${p.app}.${p.slot}`;

  // sorted, one entry per slot, every slot accounted for exactly once
  const keys = [...r.placements.map(key), ...r.unplaced.map(key)];
  expect(new Set(keys).size).toBe(keys.length);
  const expected = [...apps.values()].flatMap((a) => Array.from({ length: a.replicas }, (_, slot) => `${a.name}.${slot}`));
  expect([...keys].sort()).toEqual([...expected].sort());
  const sorted = [...r.placements].sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : a.slot - b.slot));
  expect(r.placements).toEqual(sorted);

  const onNode = new Map<string, Set<string>>();
  const ports = new Set<string>();
  const used = new Map<string, { cpu: number; mem: number }>();
  for (const p of r.placements) {
    const a = apps.get(p.app) as AppSpec;
    const n = nodes.get(p.node);
    // only a pinned replica may stay placed on a down node (it waits there for the node)
    if (!a.pins) expect(n?.up, `${key(p)} on ${p.node}`).toBe(true);
    if (p.hostPort !== null) {
      expect(ports.has(`${p.node}:${p.hostPort}`), `port ${p.hostPort} twice on ${p.node}`).toBe(false);
      ports.add(`${p.node}:${p.hostPort}`);
    }
    if (!onNode.has(p.node)) onNode.set(p.node, new Set());
    onNode.get(p.node)?.add(p.app);
    const u = toUnits(a.resources);
    const acc = used.get(p.node) ?? { cpu: 0, mem: 0 };
    used.set(p.node, { cpu: acc.cpu + u.cpu, mem: acc.mem + u.mem });
    if (a.pins) {
      expect({ node: p.node, hostPort: p.hostPort }).toEqual({ node: a.pins[p.slot].node, hostPort: a.pins[p.slot].hostPort });
      continue;
    }
    expect(p.hostPort).toBe(a.publish ?? null);
    for (const c of a.constraints) expect(constraintHolds(c, p.node, n?.labels ?? {})).toBe(true);
  }
  for (const p of r.placements) {
    const a = apps.get(p.app) as AppSpec;
    if (a.pins) continue;
    const here = onNode.get(p.node) as Set<string>;
    for (const t of a.affinity) if (t !== a.name) expect(here.has(t), `${key(p)} affinity ${t}`).toBe(true);
    for (const d of a.dependsOn) if (d.colocate) expect(here.has(d.app), `${key(p)} depends ${d.app}`).toBe(true);
    for (const t of a.antiAffinity) if (t !== a.name) expect(here.has(t), `${key(p)} anti ${t}`).toBe(false);
  }
  // self anti-affinity: at most one replica per node
  for (const a of apps.values()) {
    if (a.pins || !a.antiAffinity.includes(a.name)) continue;
    const ns = r.placements.filter((p) => p.app === a.name).map((p) => p.node);
    expect(new Set(ns).size).toBe(ns.length);
  }
  for (const [n, u] of used) {
    const cap = toUnits(nodes.get(n)?.capacity);
    if (u.cpu > 0) expect(u.cpu).toBeLessThanOrEqual(cap.cpu);
    if (u.mem > 0) expect(u.mem).toBeLessThanOrEqual(cap.mem);
  }
  for (const u of r.unplaced) {
    if (apps.get(u.app)?.pins) continue;
    expect(Object.values(u.reasons).reduce((s, v) => s + v, 0)).toBe(nodes.size);
    expect(u.message.startsWith(`0/${nodes.size} nodes available`)).toBe(true);
  }
  const c = r.changes;
  expect(c.kept + c.moved + c.dropped).toBe(input.existing.length);
  expect(c.kept + c.placed + c.moved).toBe(r.placements.length);
}

/** Apps phase 4 may move: spread, not pinned, not opted out, in no colocation relation. */
function rebalancing(input: ScheduleInput): Set<string> {
  const related = new Set<string>();
  for (const a of input.apps) {
    for (const t of [...a.affinity, ...a.dependsOn.filter((d) => d.colocate).map((d) => d.app)]) {
      if (t !== a.name) related.add(a.name).add(t);
    }
  }
  const out = new Set<string>();
  for (const a of input.apps) {
    if (!a.pins && (a.strategy ?? input.strategy) === 'spread' && a.rebalance !== false && !related.has(a.name)) out.add(a.name);
  }
  return out;
}

const countsOf = (r: ScheduleResult, appName: string): Map<string, number> => {
  const m = new Map<string, number>();
  for (const p of r.placements) if (p.app === appName) m.set(p.node, (m.get(p.node) ?? 0) + 1);
  return m;
};

/**
 * Every rebalancing app is even: its most loaded node holds at most one more than the least
 * loaded node that passes every filter for one more replica (computed here from scratch).
 * Apps that reserve resources are exempt while a replica waits for resources.
 */
function checkEven(input: ScheduleInput, r: ScheduleResult): void {
  const apps = new Map(input.apps.map((a) => [a.name, a]));
  const starved = r.unplaced.some((u) => !apps.get(u.app)?.pins && ('insufficient cpu' in u.reasons || 'insufficient memory' in u.reasons));
  const used = new Map<string, { cpu: number; mem: number }>();
  const ports = new Set<string>();
  for (const p of r.placements) {
    const u = toUnits(apps.get(p.app)?.resources);
    const acc = used.get(p.node) ?? { cpu: 0, mem: 0 };
    used.set(p.node, { cpu: acc.cpu + u.cpu, mem: acc.mem + u.mem });
    if (p.hostPort !== null) ports.add(`${p.node}:${p.hostPort}`);
  }
  for (const name of rebalancing(input)) {
    const a = apps.get(name) as AppSpec;
    const units = toUnits(a.resources);
    if (starved && (units.cpu > 0 || units.mem > 0)) continue;
    const mine = countsOf(r, name);
    const max = Math.max(0, ...mine.values());
    const conflicts = [...a.antiAffinity, ...input.apps.filter((o) => o.antiAffinity.includes(name)).map((o) => o.name)];
    const fits = (n: SchedNode): boolean => {
      if (!n.up || !a.constraints.every((c) => constraintHolds(c, n.name, n.labels))) return false;
      if (conflicts.some((t) => (countsOf(r, t).get(n.name) ?? 0) > 0)) return false;
      if (a.publish !== undefined && ports.has(`${n.name}:${a.publish}`)) return false;
      const cap = toUnits(n.capacity);
      const u = used.get(n.name) ?? { cpu: 0, mem: 0 };
      return !(units.cpu > 0 && u.cpu + units.cpu > cap.cpu) && !(units.mem > 0 && u.mem + units.mem > cap.mem);
    };
    const eligible = input.nodes.filter(fits).map((n) => mine.get(n.name) ?? 0);
    if (eligible.length > 0) expect(max - Math.min(...eligible), `${name}: ${JSON.stringify([...mine])}`).toBeLessThanOrEqual(1);
  }
}

describe('schedule properties (seeded random inputs)', () => {
  it('fresh inputs: invariants hold and the output is deterministic', () => {
    const rng = mulberry32(20240601);
    for (let i = 0; i < 400; i++) {
      const input = randomInput(rng);
      const r = schedule(input);
      checkInvariants(input, r);
      expect(schedule(structuredClone(input)), `case ${i}`).toEqual(r);
      // the order of apps and existing placements in the input does not matter
      expect(schedule({ ...input, apps: [...input.apps].reverse() }), `case ${i}`).toEqual(r);
    }
  });

  it('rescheduling an unchanged input keeps every placement', () => {
    const rng = mulberry32(7);
    for (let i = 0; i < 300; i++) {
      const input = randomInput(rng);
      const first = schedule(input);
      const again = { ...input, existing: first.placements, seed: input.seed + 1 };
      const r = schedule(again);
      checkInvariants(again, r);
      expect(r.placements, `case ${i}`).toEqual(first.placements);
      expect(r.unplaced.map((u) => `${u.app}.${u.slot}`)).toEqual(first.unplaced.map((u) => `${u.app}.${u.slot}`));
      expect(r.changes).toEqual({ kept: first.placements.length, placed: 0, moved: 0, dropped: 0 });
      checkEven(again, r);
    }
  });

  it('after failovers onto one node: every rebalancing app ends even, and a rerun changes nothing', () => {
    const rng = mulberry32(11);
    let moved = 0;
    for (let i = 0; i < 300; i++) {
      const base = randomInput(rng);
      // placed while only one node was up: what the failovers leave when the others return
      const survivor = pick(rng, base.nodes).name;
      const existing = schedule({ ...base, nodes: base.nodes.map((n) => ({ ...n, up: n.name === survivor })) }).placements;
      const input = { ...base, nodes: base.nodes.map((n) => (n.name === survivor ? { ...n, up: true } : n)), existing };
      const r = schedule(input);
      checkInvariants(input, r);
      moved += r.changes.moved;
      const again = { ...input, existing: r.placements, seed: input.seed + 1 };
      const r2 = schedule(again);
      expect(r2.placements, `case ${i}`).toEqual(r.placements);
      expect(r2.changes, `case ${i}`).toEqual({ kept: r.placements.length, placed: 0, moved: 0, dropped: 0 });
      checkEven(again, r2);
    }
    expect(moved).toBeGreaterThan(50); // the cases do exercise the rebalance
  });

  it('node flaps, scaling and shuffled existing: invariants hold, untouched placements stay unless rebalanced, which only evens out', () => {
    const rng = mulberry32(99);
    for (let i = 0; i < 100; i++) {
      let input = randomInput(rng);
      let prev = schedule(input);
      for (let step = 0; step < 6; step++) {
        const nodes = input.nodes.filter(() => chance(rng, 0.95)).map((n) => (chance(rng, 0.2) ? { ...n, up: !n.up } : n));
        const scaled = chance(rng, 0.3);
        const apps = scaled ? input.apps.map((a) => (a.pins ? a : { ...a, replicas: Math.floor(rng() * 9) })) : input.apps;
        const existing = [...prev.placements].sort(() => (chance(rng, 0.5) ? 1 : -1));
        input = { ...input, apps, nodes, existing, seed: input.seed + 1 };
        const r = schedule(input);
        checkInvariants(input, r);
        // phases 1-3 alone: the same input with every app opted out of the rebalance
        const still = schedule({ ...input, apps: apps.map((a) => ({ ...a, rebalance: false })) });
        const where = `case ${i}.${step}`;
        expect(still.unplaced, where).toEqual(r.unplaced);
        if (!scaled) {
          const up = new Set(nodes.filter((n) => n.up).map((n) => n.name));
          const now = new Set(still.placements.map((p) => JSON.stringify(p)));
          for (const p of prev.placements) if (up.has(p.node)) expect(now.has(JSON.stringify(p)), `${where} ${p.app}.${p.slot}`).toBe(true);
        }
        // the rebalance moves only kept placements of rebalancing apps, and only ever evens them out
        const may = rebalancing(input);
        const before = new Set(input.existing.map((p) => JSON.stringify(p)));
        const changed = new Set<string>();
        r.placements.forEach((p, k) => {
          const q = still.placements[k];
          expect({ app: q.app, slot: q.slot }).toEqual({ app: p.app, slot: p.slot });
          if (p.node === q.node) return;
          expect(may.has(p.app), `${where} ${p.app} moved`).toBe(true);
          expect(before.has(JSON.stringify(q)), `${where} ${p.app}.${p.slot} was kept`).toBe(true);
          changed.add(p.app);
        });
        for (const name of changed) {
          const after = [...countsOf(r, name).values()];
          const was = [...countsOf(still, name).values()];
          expect(Math.max(...after), `${where} ${name}`).toBeLessThanOrEqual(Math.max(...was));
          const squares = (xs: number[]): number => xs.reduce((sum, x) => sum + x * x, 0);
          expect(squares(after), `${where} ${name}`).toBeLessThan(squares(was));
        }
        expect(r.changes.moved - still.changes.moved).toBe(still.changes.kept - r.changes.kept);
        prev = r;
      }
    }
  });

  it('deterministic at scale: same input and seed, identical output; another seed differs', () => {
    const rng = mulberry32(3);
    const nodes = randomNodes(rng, 300).map((n) => ({ ...n, up: true, capacity: { cpus: 16, memoryMb: 32768 } }));
    const apps = Array.from({ length: 20 }, (_, i) =>
      app(`app${i}`, { replicas: 100, strategy: i % 2 ? 'binpack' : 'spread', resources: { cpus: 0.1, memoryMb: 32 } }),
    );
    const input: ScheduleInput = { apps, nodes, existing: [], strategy: 'spread', seed: 42 };
    const a = schedule(input);
    checkInvariants(input, a);
    expect(schedule(structuredClone(input))).toEqual(a);
    expect(schedule({ ...input, seed: 43 }).placements).not.toEqual(a.placements);
  });
});
