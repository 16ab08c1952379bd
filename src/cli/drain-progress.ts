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

/**
 * Pure: the apps with a replica that a plan file keeps on `node` (desired there, whatever its
 * state: not started again yet counts) that the ingress does not route yet: after the node's
 * engine restarted, they serve again only once healthy (and the node is active).
 */
export function notServingAgain(
  rows: readonly Pick<ReplicaRow, 'app' | 'node' | 'state' | 'desired' | 'routed'>[],
  node: string,
  pinnedApps: ReadonlySet<string>,
): string[] {
  return [...new Set(rows.filter((r) => r.node === node && pinnedApps.has(r.app) && r.desired && r.routed !== true).map((r) => r.app))].sort();
}

/**
 * Pure: the apps whose replica a plan file keeps on drained `node` is still routed by the
 * ingress although the app has another routed replica elsewhere: the ingress has not applied
 * the drain yet, and the node's engine must not restart before it has.
 */
export function stillRoutedThere(rows: readonly Pick<ReplicaRow, 'app' | 'node' | 'routed'>[], node: string, pinnedApps: ReadonlySet<string>): string[] {
  const elsewhere = new Set(rows.filter((r) => r.node !== node && r.routed === true).map((r) => r.app));
  return [...new Set(rows.filter((r) => r.node === node && pinnedApps.has(r.app) && r.routed === true && elsewhere.has(r.app)).map((r) => r.app))].sort();
}
