/** One replica as a coloured chip: its slot, its state in colour and in words (for screen readers and the tooltip). */
import type { ReplicaRow } from '../../../src/shared/api-types.ts';
import { CHIP_LABELS, chipKind, slotOf, type ChipKind } from '../replica-state.ts';

export function Chip({ r }: { r: ReplicaRow }) {
  const kind = chipKind(r);
  const words = `${r.id}: ${r.state}${r.routed ? ', in the ingress' : ''}${r.desired ? '' : ', leaving'}`;
  return (
    <span class={`chip chip-${kind}`} title={words}>
      <span aria-hidden="true">{slotOf(r.id)}</span>
      <span class="sr-only">{words}</span>
    </span>
  );
}

export function ChipLegend() {
  return (
    <ul class="legend" aria-label="Replica states">
      {(Object.keys(CHIP_LABELS) as ChipKind[]).map((k) => (
        <li key={k}>
          <span class={`chip chip-${k}`} aria-hidden="true" /> {CHIP_LABELS[k]}
        </li>
      ))}
    </ul>
  );
}
