/**
 * Places the open slots of one (unpinned) app: builds its feasible-node list once (static
 * filters), then asks the Selector for each replica. Only when no live candidate is left does
 * it scan every node, which yields the rejection counts; nothing is placed after a failure,
 * so that one scan answers for all the app's remaining slots.
 */
import type { AppCtx } from './app-context.ts';
import { CandidateSet } from './candidates.ts';
import type { Cluster } from './cluster.ts';
import { constraintSignature } from './constraints.ts';
import type { AppSlots } from './existing.ts';
import { constraint, dynamicOk, health, scanAll, type Scan } from './filters.ts';
import { rngFor } from './prng.ts';
import { Selector } from './select.ts';
import type { Changes, Unplaced } from './types.ts';

export class Placer {
  private readonly set: CandidateSet;
  private readonly selector: Selector;
  /** Up nodes passing a constraint set, by constraint signature (shared by apps). */
  private readonly staticLists = new Map<string, Int32Array>();

  constructor(
    private readonly cl: Cluster,
    private readonly seed: number,
  ) {
    this.set = new CandidateSet(cl.size);
    this.selector = new Selector(cl, this.set);
  }

  /** Nodes passing health, constraints, affinity and dependency colocation for this app. */
  feasible(ctx: AppCtx): ArrayLike<number> {
    const sig = constraintSignature(ctx.spec.constraints ?? []);
    let list = this.staticLists.get(sig);
    if (!list) {
      const xs: number[] = [];
      for (let x = 0; x < this.cl.size; x++) {
        if (health.check(this.cl, ctx, x) === null && constraint.check(this.cl, ctx, x) === null) xs.push(x);
      }
      list = Int32Array.from(xs);
      this.staticLists.set(sig, list);
    }
    const needs = [...ctx.affinity, ...ctx.colocate];
    if (needs.length === 0) return list;
    return list.filter((x) => needs.every((r) => r.counts[x] > 0));
  }

  placeApp(ctx: AppCtx, slots: AppSlots, unplaced: Unplaced[], changes: Changes): void {
    const open: number[] = [];
    for (let s = 0; s < ctx.replicas; s++) if (slots.node[s] < 0) open.push(s);
    if (open.length === 0) return;

    const { cl, set, selector } = this;
    set.reset(this.feasible(ctx), ctx.counts);
    selector.begin(ctx, rngFor(this.seed, ctx.name));
    let failed: Scan | null = null;
    for (const slot of open) {
      let x = failed ? -1 : selector.next();
      if (x < 0 && !failed) {
        const scan = scanAll(cl, ctx);
        // never expected (killed nodes stay infeasible), but a full scan is the final word
        if (scan.feasible.length > 0) x = selector.bestOf(scan.feasible);
        else failed = scan;
      }
      if (x < 0 || failed) {
        const f = failed as Scan;
        unplaced.push({ app: ctx.name, slot, reasons: { ...f.reasons }, message: f.message });
        if (slots.had[slot]) changes.dropped++;
        continue;
      }
      cl.add(x, ctx.counts, ctx.units, ctx.hostPort);
      slots.node[slot] = x;
      if (slots.had[slot]) changes.moved++;
      else changes.placed++;
      if (set.isLive(x)) {
        if (dynamicOk(cl, ctx, x)) set.increment(x);
        else set.kill(x);
      }
    }
  }
}
