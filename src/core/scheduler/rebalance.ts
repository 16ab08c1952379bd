/**
 * Phase 4: rebalance. Keeping every valid placement (phase 2) makes failovers cheap, but on
 * its own it lets a spread app pile up: a failover moves replicas onto the survivors, a
 * scale-down drops the highest slots wherever they happen to be, and a node that returns or
 * joins stays empty. So, per app that may rebalance, while its most loaded node holds 2 or more
 * replicas more than the least loaded node that passes every filter for one more, the highest
 * kept slot there moves to that node. The placement changes at once; the containers follow
 * gradually, because reconcile and the rollout treat a slot whose node changed as an update
 * slot (start-first, `parallelism` at a time, the old one drained once the new one is healthy).
 *
 * Runs after every candidate set is done, so it may remove usage (Cluster.remove).
 * Cost: nothing for apps that may not rebalance; O(replicas) to find that an app is already
 * even; O(nodes) more once a move is possible, then O(1) amortized per move.
 */
import type { AppSpec, Placement } from '../model.ts';
import type { AppCtx } from './app-context.ts';
import type { Cluster } from './cluster.ts';
import type { AppSlots } from './existing.ts';
import { FILTERS, firstRejection } from './filters.ts';
import type { Changes, Unplaced } from './types.ts';
import { hasVolumes } from './existing.ts';

/**
 * Apps in a colocation relation (affinity or colocated `dependsOn`), on either side: moving
 * one could leave the other on a node without it, or stop it from following.
 */
export function colocationMembers(apps: readonly AppSpec[]): Set<string> {
  const out = new Set<string>();
  for (const a of apps) {
    const targets = [...(a.affinity ?? []), ...(a.dependsOn ?? []).filter((d) => d.colocate).map((d) => d.app)];
    for (const t of targets) {
      if (t === a.name) continue;
      out.add(a.name);
      out.add(t);
    }
  }
  return out;
}

export function mayRebalance(ctx: AppCtx, colocated: ReadonlySet<string>): boolean {
  // an app with volumes stays with its data: its replicas never move to even out the spread
  return !ctx.pinned && !hasVolumes(ctx.spec) && ctx.strategy === 'spread' && ctx.spec.rebalance !== false && ctx.replicas >= 2 && !colocated.has(ctx.name);
}

const reserves = (ctx: AppCtx): boolean => ctx.units.cpu > 0 || ctx.units.mem > 0;

export function rebalance(
  cl: Cluster,
  apps: readonly AppSpec[],
  ctxs: ReadonlyMap<string, AppCtx>,
  order: readonly string[],
  existing: ReadonlyMap<string, readonly (Placement | undefined)[]>,
  slots: ReadonlyMap<string, AppSlots>,
  unplaced: readonly Unplaced[],
  changes: Changes,
): void {
  const colocated = colocationMembers(apps);
  // The capacity a move frees belongs to a replica still waiting for resources: the next
  // schedule would place it there, so moving now would not be a fixed point (and a cluster
  // short of capacity is no place for churn). Moves can free nothing else a waiting replica
  // needs: a source keeps a replica (no anti-affinity freed), and an app that publishes
  // holds one replica per node, so it never moves (no port freed).
  const starved = unplaced.some((u) => !ctxs.get(u.app)?.pinned && ('insufficient cpu' in u.reasons || 'insufficient memory' in u.reasons));
  for (const name of order) {
    const ctx = ctxs.get(name);
    const s = slots.get(name);
    if (!ctx || !s || !mayRebalance(ctx, colocated) || (starved && reserves(ctx))) continue;
    rebalanceApp(cl, ctx, existing.get(name), s, changes);
  }
}

/**
 * FIFO queues of nodes per level (replicas of the app on the node). Entries are not removed
 * when a node's level changes: the node is pushed at its new level and the stale entry is
 * skipped when reached, which keeps every update O(1).
 */
class Levels {
  private readonly q: number[][];
  private readonly head: number[];

  constructor(levels: number) {
    this.q = Array.from({ length: levels }, () => []);
    this.head = new Array<number>(levels).fill(0);
  }

  push(level: number, x: number): void {
    if (level >= 0 && level < this.q.length) this.q[level].push(x);
  }

  /** The first node at `level` that `valid` accepts (dropping stale ones before it), or -1. */
  first(level: number, valid: (x: number, level: number) => boolean): number {
    const q = this.q[level];
    let h = this.head[level];
    while (h < q.length && !valid(q[h], level)) h++;
    this.head[level] = h;
    return h < q.length ? q[h] : -1;
  }
}

export function rebalanceApp(cl: Cluster, ctx: AppCtx, existing: readonly (Placement | undefined)[] | undefined, slots: AppSlots, changes: Changes): void {
  if (!existing) return; // nothing was kept: phase 3 already spread every slot
  const counts = ctx.counts;
  const kept = (slot: number): boolean => existing[slot] !== undefined && slots.had[slot] === 0 && slots.node[slot] >= 0;

  // Cheap exit first: the most loaded node with a movable slot, and whether any node is 2 below it.
  let hi = 0;
  for (let slot = 0; slot < ctx.replicas; slot++) if (kept(slot) && counts[slots.node[slot]] > hi) hi = counts[slots.node[slot]];
  if (hi < 2) return;
  const eligible = (x: number): boolean => firstRejection(cl, ctx, x, FILTERS) === null;
  const targets = new Levels(hi - 1); // a target is at most hi - 2
  let any = false;
  for (let x = 0; x < cl.size; x++) {
    if (counts[x] <= hi - 2 && eligible(x)) {
      targets.push(counts[x], x);
      any = true;
    }
  }
  if (!any) return;

  // Movable (kept) slots per node as a stack, highest slot on top: top[x] -> below[slot] -> ...
  const top = new Int32Array(cl.size).fill(-1);
  const below = new Int32Array(ctx.replicas).fill(-1);
  for (let slot = 0; slot < ctx.replicas; slot++) {
    if (!kept(slot)) continue;
    const x = slots.node[slot];
    below[slot] = top[x];
    top[x] = slot;
  }
  const sources = new Levels(hi + 1);
  for (let x = 0; x < cl.size; x++) if (top[x] >= 0) sources.push(counts[x], x);

  const isSource = (x: number, level: number): boolean => counts[x] === level && top[x] >= 0;
  const isTarget = (x: number, level: number): boolean => counts[x] === level && eligible(x);
  // Moves only go from level src to level <= src - 2: src never rises, dst never falls, and
  // every push lands between them, so each pointer walks its range once.
  let src = hi;
  let dst = 0;
  for (let moves = 0; moves < ctx.replicas; moves++) {
    let from = -1;
    while (src >= 2 && (from = sources.first(src, isSource)) < 0) src--;
    if (from < 0) return;
    let to = -1;
    while (dst <= src - 2 && (to = targets.first(dst, isTarget)) < 0) dst++;
    if (to < 0) return;

    const slot = top[from];
    top[from] = below[slot];
    cl.remove(from, counts, ctx.units, ctx.hostPort);
    cl.add(to, counts, ctx.units, ctx.hostPort);
    slots.node[slot] = to;
    changes.kept--;
    changes.moved++;
    if (top[from] >= 0) sources.push(counts[from], from);
    if (top[to] >= 0) sources.push(counts[to], to);
    targets.push(counts[from], from);
    targets.push(counts[to], to);
  }
}
