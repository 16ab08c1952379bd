/**
 * Pinned apps (the seed's plan file): slot i goes to pins[i].node publishing pins[i].hostPort,
 * or nowhere. Only presence and the host port are checked: the pin is the user's
 * explicit choice, so constraints, affinity and capacity do not apply (its reservations are
 * still counted). Pinned placements are made before any other, so their ports block others.
 */
import type { Placement } from '../model.ts';
import type { AppCtx } from './app-context.ts';
import type { Cluster } from './cluster.ts';
import type { AppSlots } from './existing.ts';
import type { Changes, Unplaced } from './types.ts';

export function placePinned(
  cl: Cluster,
  ctx: AppCtx,
  existing: readonly (Placement | undefined)[] | undefined,
  slots: AppSlots,
  unplaced: Unplaced[],
  changes: Changes,
): void {
  const pins = ctx.spec.pins ?? [];
  for (let slot = 0; slot < ctx.replicas; slot++) {
    const prev = existing?.[slot];
    const pin = pins[slot];
    const x = pin ? cl.index.get(pin.node) : undefined;
    let reason: string | null = null;
    if (!pin) reason = 'no pin for slot';
    else if (x === undefined) reason = 'node missing';
    // a pin on a down node stays placed: the replica is still wanted there (reconcile
    // reports it blocked until the node returns), and nothing else may take its port
    else if (cl.portUsed(pin.hostPort, x)) reason = `port ${pin.hostPort} in use`;

    if (reason !== null || !pin || x === undefined) {
      const why = reason ?? 'no pin for slot';
      const where = pin ? `pinned to ${pin.node}` : `pinned app has ${pins.length} pins`;
      unplaced.push({ app: ctx.name, slot, reasons: { [why]: 1 }, message: `${where}: ${why}` });
      if (prev) changes.dropped++;
      continue;
    }
    cl.add(x, ctx.counts, ctx.units, pin.hostPort);
    slots.node[slot] = x;
    if (slots.hostPort) slots.hostPort[slot] = pin.hostPort;
    if (!prev) changes.placed++;
    else if (prev.node === pin.node && prev.hostPort === pin.hostPort) changes.kept++;
    else changes.moved++;
  }
}
