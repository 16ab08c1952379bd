/**
 * Existing placements: which are still valid input (app present, slot < replicas, one per
 * slot), and which of those are kept.
 */
import type { AppSpec, Placement } from '../model.ts';
import type { AppCtx } from './app-context.ts';
import type { Cluster } from './cluster.ts';
import { firstRejection, KEEP_FILTERS } from './filters.ts';
import type { Changes, Unplaced } from './types.ts';
import { byCodeUnit } from '../compare.ts';

/** The outcome per slot of one app. */
export interface AppSlots {
  /** Node index per slot, -1 while unplaced. */
  node: Int32Array;
  /** Per-slot host ports (pinned apps only; others publish `AppCtx.hostPort`). */
  hostPort: (number | null)[] | null;
  /** 1 when the slot had an existing placement that was not kept (a re-placement is a move). */
  had: Uint8Array;
}

export function newSlots(replicas: number, pinned: boolean): AppSlots {
  return {
    node: new Int32Array(replicas).fill(-1),
    hostPort: pinned ? new Array<number | null>(replicas).fill(null) : null,
    had: new Uint8Array(replicas),
  };
}

const cmp = byCodeUnit;

/** Of two placements claiming one slot, the one kept as the slot's: smallest (node, hostPort). */
function preferred(a: Placement, b: Placement): Placement {
  const c = cmp(a.node, b.node) || (a.hostPort ?? -1) - (b.hostPort ?? -1);
  return c <= 0 ? a : b;
}

/**
 * Groups placements by app and slot. Placements of apps no longer present, of slots >= replicas
 * (scale down drops the highest), malformed ones and extra claims on one slot are dropped.
 */
export function indexExisting(existing: readonly Placement[], ctxs: ReadonlyMap<string, AppCtx>, changes: Changes): Map<string, (Placement | undefined)[]> {
  const out = new Map<string, (Placement | undefined)[]>();
  for (const p of existing) {
    const ctx = ctxs.get(p.app);
    if (!ctx || !Number.isInteger(p.slot) || p.slot < 0 || p.slot >= ctx.replicas || typeof p.node !== 'string') {
      changes.dropped++;
      continue;
    }
    let slots = out.get(p.app);
    if (!slots) out.set(p.app, (slots = new Array<Placement | undefined>(ctx.replicas)));
    const prev = slots[p.slot];
    if (prev) changes.dropped++;
    slots[p.slot] = prev ? preferred(prev, p) : p;
  }
  return out;
}

/** An app with named volumes: each replica's data is on its node, so its placements never move. */
export function hasVolumes(spec: AppSpec): boolean {
  return (spec.volumes?.length ?? 0) > 0;
}

/**
 * Keeps each existing placement whose node is present and up and that still passes the static
 * filters, anti-affinity and the port filter; its reservations count as used (even when
 * capacity shrank). The rest are marked for re-placement. A placement of an app with volumes
 * is kept while its node is in the cluster, up or not (the volume filter): on a node that is
 * down it is also reported unplaced, `volume data on node2 (down)`, and starts when it returns.
 */
export function keepExisting(
  cl: Cluster,
  ctx: AppCtx,
  existing: readonly (Placement | undefined)[] | undefined,
  slots: AppSlots,
  changes: Changes,
  unplaced: Unplaced[],
): void {
  if (!existing) return;
  for (let slot = 0; slot < existing.length; slot++) {
    const p = existing[slot];
    if (!p) continue;
    const x = cl.index.get(p.node);
    if (x !== undefined && hasVolumes(ctx.spec)) {
      cl.add(x, ctx.counts, ctx.units, ctx.hostPort);
      slots.node[slot] = x;
      changes.kept++;
      if (!cl.up[x]) {
        const names = ctx.spec.volumes!.map((v) => v.name).join(', ');
        const why = `volume ${names} on ${p.node} (down)`;
        unplaced.push({ app: ctx.name, slot, reasons: { [why]: 1 }, message: `stays with its data: ${why}` });
      }
      continue;
    }
    if (x !== undefined && p.hostPort === ctx.hostPort && firstRejection(cl, ctx, x, KEEP_FILTERS) === null) {
      cl.add(x, ctx.counts, ctx.units, ctx.hostPort);
      slots.node[slot] = x;
      changes.kept++;
    } else {
      slots.had[slot] = 1;
    }
  }
}
