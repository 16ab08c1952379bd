/** Pure: what a replica row's chip says, from the state the API lists and whether the ingress routes it. */
import type { ReplicaRow } from '../../src/shared/api-types.ts';

export type ChipKind = 'serving' | 'running' | 'leaving' | 'missing' | 'lost' | 'failed';

export const CHIP_LABELS: Record<ChipKind, string> = {
  serving: 'serving: running and in the ingress',
  running: 'running, not in the ingress (starting, not healthy yet, or internal)',
  leaving: 'leaving: not desired any more, on its way out',
  missing: 'missing: desired, not started yet',
  lost: 'unknown: its node is down',
  failed: 'stopped or failing (exited, dead, restarting)',
};

export function chipKind(r: Pick<ReplicaRow, 'state' | 'desired' | 'routed'>): ChipKind {
  if (r.state === 'running') return !r.desired ? 'leaving' : r.routed ? 'serving' : 'running';
  if (r.state === 'missing') return 'missing';
  if (r.state.startsWith('unknown')) return 'lost';
  return r.desired ? 'failed' : 'leaving';
}

/** `web.3` -> `3`: the slot, which is what tells an app's replicas apart on the grid. */
export function slotOf(id: string): string {
  const i = id.lastIndexOf('.');
  return i < 0 ? id : id.slice(i + 1);
}
