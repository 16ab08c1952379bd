/** Pure: how far a drain of `node` is, from the replica rows the API lists. */
import type { ReplicaRow } from '../core/replica-status.ts';

/**
 * `pinned`: running replicas of apps a plan file pins to the node (they stay); `leaving`:
 * every other running replica there, whether the manager has moved it off yet or not (a move
 * onto the node under way when the drain began still reads as desired there for a moment).
 */
export function drainProgress(
  rows: readonly Pick<ReplicaRow, 'app' | 'node' | 'state'>[],
  node: string,
  pinnedApps: ReadonlySet<string>,
): { pinned: number; leaving: number } {
  const here = rows.filter((r) => r.node === node && r.state === 'running');
  const pinned = here.filter((r) => pinnedApps.has(r.app)).length;
  return { pinned, leaving: here.length - pinned };
}
