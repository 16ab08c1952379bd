/** The cluster overview: a summary, the placement grid, live charts and the event stream. */
import { Chart, type Line } from '../components/chart.tsx';
import { EventsList } from '../components/events-list.tsx';
import { PlacementGrid } from '../components/placement-grid.tsx';
import { useStats } from '../context.ts';
import { colourOf } from '../format.ts';
import type { ClusterView } from '../poller.ts';
import type { Timeline } from '../timeline.ts';

/** One line per key with `prefix`, named and coloured by what follows it (an app, a node). */
const linesOf = (t: Timeline, prefix: string): Line[] =>
  t.keys(prefix).map((k) => ({ key: k, label: k.slice(prefix.length), colour: colourOf(k.slice(prefix.length)) }));

function Summary({ view }: { view: ClusterView }) {
  const s = view.status;
  const parts = [
    ...(s?.components ?? []).map((c) => ({ name: c.name, up: c.state === 'up', detail: c.lastError ?? c.detail ?? '' })),
    ...(s ? [{ name: 'store', up: s.store.state === 'up', detail: s.store.lastError ?? '' }] : []),
    // a consumer shares its name with the process it feeds (ingress, dns): it is what the manager publishes to it
    ...(s?.consumers ?? []).map((c) => ({ name: `${c.name} updates`, up: c.state !== 'failing', detail: c.lastError ?? '' })),
  ];
  const running = view.apps.reduce((n, a) => n + a.running, 0);
  const desired = view.apps.reduce((n, a) => n + a.desired, 0);
  return (
    <dl class="summary">
      <div>
        <dt>Nodes</dt>
        <dd>
          {s?.nodes.up ?? '–'} up{s?.nodes.down ? <span class="bad">, {s.nodes.down} down</span> : null}
        </dd>
      </div>
      <div>
        <dt>Apps</dt>
        <dd>{view.apps.length}</dd>
      </div>
      <div>
        <dt>Replicas</dt>
        <dd class={running < desired ? 'warn' : ''}>
          {running}/{desired} running
        </dd>
      </div>
      <div>
        <dt>Generation</dt>
        <dd>{s?.generation ?? '–'}</dd>
      </div>
      <div>
        <dt>Parts</dt>
        <dd>
          {parts.map((p) => (
            <span key={p.name} class={`badge ${p.up ? 'state-up' : 'state-down'}`} title={p.detail || undefined}>
              {p.name} {p.up ? 'ok' : 'failing'}
            </span>
          ))}
        </dd>
      </div>
    </dl>
  );
}

function Charts({ view }: { view: ClusterView }) {
  const t = view.timeline;
  const totals: Line[] = [
    { key: 'total:desired', label: 'desired', colour: '#8c8c8c', dash: [6, 4] },
    { key: 'total:running', label: 'running', colour: '#1f6feb' },
    { key: 'total:serving', label: 'serving', colour: '#2da44e' },
  ];
  const errors = view.stats?.errors ?? [];
  return (
    <div class="charts">
      <Chart title="Replicas, all apps" lines={totals} timeline={t} unit="" />
      <Chart title="Running replicas per app" lines={linesOf(t, 'running:')} timeline={t} unit="" />
      {view.metrics === 'unavailable' ? (
        <figure class="chart">
          <figcaption>Requests per app</figcaption>
          <p class="empty">This manager serves no metrics, or this token may not read them.</p>
        </figure>
      ) : (
        <Chart title="Requests per second per app (through the ingress)" lines={linesOf(t, 'req:')} timeline={t} unit="req/s" digits={1} />
      )}
      {view.statsState === 'unavailable' ? (
        <figure class="chart">
          <figcaption>CPU and memory per node</figcaption>
          <p class="empty">This manager does not measure usage (no GET /v1/stats), or this token may not read it.</p>
        </figure>
      ) : (
        <>
          <Chart title="CPU per node (% of its CPUs, every 15 s)" lines={linesOf(view.usage, 'cpu:')} timeline={view.usage} unit="%" digits={1} />
          <Chart title="Memory per node (every 15 s)" lines={linesOf(view.usage, 'mem:')} timeline={view.usage} unit="MiB" />
        </>
      )}
      {errors.length ? (
        <p class="note" title={errors.map((e) => `${e.subject}: ${e.message}`).join('\n')}>
          Not measured: {errors.map((e) => e.subject).join(', ')}.
        </p>
      ) : null}
    </div>
  );
}

export function Overview({ view }: { view: ClusterView }) {
  useStats();
  return (
    <>
      <h1 tabIndex={-1} id="page-title">
        Cluster
      </h1>
      <Summary view={view} />
      <section aria-labelledby="placement-title">
        <h2 id="placement-title">Placement</h2>
        <PlacementGrid view={view} />
      </section>
      <section aria-labelledby="live-title">
        <h2 id="live-title">Live, last 10 minutes</h2>
        <Charts view={view} />
      </section>
      <section aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        <EventsList events={view.events} />
      </section>
    </>
  );
}
