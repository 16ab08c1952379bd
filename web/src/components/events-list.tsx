/** Cluster events, newest first: time, kind, and what happened. */
import type { ClusterEvent } from '../../../src/shared/api-types.ts';
import { clock, dateTime } from '../format.ts';

export function EventsList({ events, limit = 50, empty = 'No events yet.' }: { events: readonly ClusterEvent[]; limit?: number; empty?: string }) {
  const shown = events.slice(-limit).reverse();
  if (!shown.length) return <p class="empty">{empty}</p>;
  return (
    <div class="events-scroll" role="region" aria-label="Event list" tabIndex={0}>
      <ol class="events">
        {shown.map((e, i) => (
          <li key={e.id ?? i} class={`ev ev-${e.kind}`}>
            <time dateTime={e.at} title={dateTime(e.at)}>
              {clock(e.at)}
            </time>
            <span class="ev-kind">{e.kind}</span>
            <span class="ev-msg">{e.message}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
