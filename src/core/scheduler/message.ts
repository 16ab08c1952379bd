/** Unplaced messages in the style of Swarm and kube-scheduler. */
import { byCodeUnit } from '../compare.ts';

const cmp = byCodeUnit;

/** Reasons ordered by count (descending), then by reason text. */
export function orderedReasons(reasons: Record<string, number>): [string, number][] {
  return Object.entries(reasons).sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]));
}

/** `0/3 nodes available: 2 insufficient memory, 1 node down` */
export function formatUnavailable(available: number, total: number, reasons: Record<string, number>): string {
  const head = `${available}/${total} nodes available`;
  const parts = orderedReasons(reasons).map(([reason, n]) => `${n} ${reason}`);
  return parts.length === 0 ? head : `${head}: ${parts.join(', ')}`;
}
