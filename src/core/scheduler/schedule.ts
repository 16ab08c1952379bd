/**
 * The pure scheduler: apps + nodes + existing placements -> the complete new placement set,
 * the slots that could not be placed (with reasons), and what changed. No I/O, no clock;
 * randomness only from a PRNG seeded by `input.seed`. See README.md.
 *
 * Phases: (1) pinned apps, (2) keep every still-valid existing placement of the other apps,
 * in scheduling order, (3) place the open slots, app by app in scheduling order, (4) rebalance:
 * move kept replicas of spread apps from their most to their least loaded nodes (rebalance.ts).
 */
import type { AppSpec, Placement } from '../model.ts';
import { buildContexts } from './app-context.ts';
import { Cluster } from './cluster.ts';
import { indexExisting, keepExisting, newSlots, type AppSlots } from './existing.ts';
import { schedulingOrder } from './order.ts';
import { placePinned } from './pinned.ts';
import { Placer } from './placer.ts';
import { rebalance } from './rebalance.ts';
import type { Changes, ScheduleInput, ScheduleResult, Unplaced } from './types.ts';
import { byCodeUnit } from '../compare.ts';

export type { Changes, ScheduleInput, ScheduleResult, Unplaced } from './types.ts';

const cmp = byCodeUnit;

/** A repeated app name keeps its first spec. */
function uniqueApps(apps: readonly AppSpec[]): AppSpec[] {
  const seen = new Set<string>();
  return apps.filter((a) => {
    if (seen.has(a.name)) return false;
    seen.add(a.name);
    return true;
  });
}

export function schedule(input: ScheduleInput): ScheduleResult {
  const cl = new Cluster(input.nodes);
  const apps = uniqueApps(input.apps);
  const ctxs = buildContexts(apps, cl, input.strategy);
  const changes: Changes = { kept: 0, placed: 0, moved: 0, dropped: 0 };
  const existing = indexExisting(input.existing, ctxs, changes);
  const order = schedulingOrder(apps);
  const slots = new Map<string, AppSlots>();
  const unplaced: Unplaced[] = [];

  for (const name of order) {
    const ctx = ctxs.get(name);
    if (!ctx) continue;
    slots.set(name, newSlots(ctx.replicas, ctx.pinned));
  }
  for (const name of order) {
    const ctx = ctxs.get(name);
    const s = slots.get(name);
    if (ctx?.pinned && s) placePinned(cl, ctx, existing.get(name), s, unplaced, changes);
  }
  for (const name of order) {
    const ctx = ctxs.get(name);
    const s = slots.get(name);
    if (ctx && !ctx.pinned && s) keepExisting(cl, ctx, existing.get(name), s, changes, unplaced);
  }
  const placer = new Placer(cl, input.seed);
  for (const name of order) {
    const ctx = ctxs.get(name);
    const s = slots.get(name);
    if (ctx && !ctx.pinned && s) placer.placeApp(ctx, s, unplaced, changes);
  }
  rebalance(cl, apps, ctxs, order, existing, slots, unplaced, changes);

  const placements: Placement[] = [];
  for (const name of [...slots.keys()].sort(cmp)) {
    const s = slots.get(name) as AppSlots;
    const port = ctxs.get(name)?.hostPort ?? null;
    for (let slot = 0; slot < s.node.length; slot++) {
      const x = s.node[slot];
      if (x < 0) continue;
      placements.push({ app: name, slot, node: cl.names[x], hostPort: s.hostPort ? s.hostPort[slot] : port });
    }
  }
  unplaced.sort((a, b) => cmp(a.app, b.app) || a.slot - b.slot);
  return { placements, unplaced, changes };
}
