/**
 * One app: its spec and revision, replicas (state, node, ingress), why any is unplaced or
 * waiting, revisions and rollbacks, logs, its events; scale and roll back. Its own reads run
 * with the poller's tick while the page is open.
 */
import { useEffect, useState } from 'preact/hooks';
import type { AppDetail, AppRevisionEntry, ClusterEvent } from '../../../src/shared/api-types.ts';
import { ApiError, type AppLogs } from '../api.ts';
import { RollbackControl } from '../actions/rollback-control.tsx';
import { ScaleControl } from '../actions/scale-control.tsx';
import { asApiError } from '../actions/use-action.ts';
import { Chip } from '../components/chip.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { EventsList } from '../components/events-list.tsx';
import { LogsPanel } from '../components/logs-panel.tsx';
import { HistoryTable, Rollbacks, SpecView } from '../components/spec-view.tsx';
import { useSession, useStats } from '../context.ts';
import { EventFeed } from '../event-feed.ts';
import { bytes, percent } from '../format.ts';
import type { ClusterView } from '../poller.ts';

const LOG_TAIL = 200;

interface AppData {
  detail: AppDetail | null;
  error: ApiError | null;
  history: AppRevisionEntry[];
  events: ClusterEvent[];
  logs: AppLogs | 'unavailable' | null;
}

function useAppData(name: string): AppData {
  const { api, poller } = useSession();
  const [data, setData] = useState<AppData>({ detail: null, error: null, history: [], events: [], logs: null });
  useEffect(() => {
    setData({ detail: null, error: null, history: [], events: [], logs: null });
    const feed = new EventFeed({ app: name }, 100);
    let logsRoute = true;
    let historyKey = '';
    let history: AppRevisionEntry[] = [];
    return poller.addTask(async (signal) => {
      const [detail, , logs] = await Promise.allSettled([
        api.app(name, signal),
        feed.pull(api, signal),
        logsRoute ? api.logs(name, LOG_TAIL, signal) : Promise.reject(new ApiError(404, { code: 'E_NOT_FOUND', message: 'no logs route' })),
      ]);
      if (signal.aborted) return;
      // a manager without the logs route answers 404, and a viewer's token 403 (logs need a deployer): ask no more while the page is open
      if (logs.status === 'rejected' && logs.reason instanceof ApiError && (logs.reason.status === 404 || logs.reason.status === 403)) logsRoute = false;
      if (detail.status === 'fulfilled') {
        const key = `${poller.view.status?.generation ?? 0} ${detail.value.revision}`;
        if (key !== historyKey) {
          history = await api.history(name, signal).catch(() => history);
          historyKey = key;
        }
      }
      setData({
        detail: detail.status === 'fulfilled' ? detail.value : null,
        error: detail.status === 'rejected' ? asApiError(detail.reason) : null,
        history,
        events: feed.events,
        logs: logs.status === 'fulfilled' ? logs.value : 'unavailable',
      });
    });
  }, [name]);
  return data;
}

/** The app's usage from the last stats read: its replicas' CPU and memory summed, the ingress's requests. */
function Usage({ name, view }: { name: string; view: ClusterView }) {
  if (view.statsState === 'unavailable') return null;
  const a = view.stats?.apps.find((x) => x.name === name);
  const rate = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x.toFixed(1));
  return (
    <dl class="summary">
      <div>
        <dt>CPU (% of one CPU)</dt>
        <dd>{percent(a?.cpuPercent)}</dd>
      </div>
      <div>
        <dt>Memory</dt>
        <dd>{bytes(a?.memoryBytes)}</dd>
      </div>
      <div>
        <dt>Requests per second</dt>
        <dd>
          {rate(a?.requestsPerSecond)}
          {a?.failedPerSecond ? <span class="bad"> ({rate(a.failedPerSecond)} failed)</span> : null}
        </dd>
      </div>
    </dl>
  );
}

export function AppPage({ name, view }: { name: string; view: ClusterView }) {
  useStats();
  const data = useAppData(name);
  const summary = view.apps.find((a) => a.name === name);
  const d = data.detail;
  return (
    <>
      <p class="crumbs">
        <a href="#/">Cluster</a> / app
      </p>
      <h1 tabIndex={-1} id="page-title">
        {name}
      </h1>
      {data.error ? <ErrorBox error={data.error} /> : null}
      {!d && !data.error ? <p role="status">Reading {name}…</p> : null}
      {d ? (
        <>
          <p class="subtitle">
            project {d.app.project ?? 'default'} · {d.app.image} · revision <code>{d.revision}</code>
            {summary ? ` · ${summary.running}/${summary.desired} running, ${summary.serving} serving` : ''}
            {summary?.updating ? ' · rolling update under way' : ''}
          </p>
          <Usage name={name} view={view} />
          <div class="actions">
            {summary ? <ScaleControl app={summary} /> : null}
            <RollbackControl app={name} history={data.history} current={d.revision} />
          </div>
          <section aria-labelledby="replicas-title">
            <h2 id="replicas-title">Replicas</h2>
            <Replicas d={d} />
          </section>
          {d.unplaced.length || d.blocked.length ? (
            <section aria-labelledby="waiting-title">
              <h2 id="waiting-title">Unplaced and waiting</h2>
              <ul class="plain">
                {d.unplaced.map((u) => (
                  <li key={`u${u.slot}`}>
                    unplaced: {u.app}.{u.slot}: {u.message}
                  </li>
                ))}
                {d.blocked.map((b, i) => (
                  <li key={`b${i}`}>
                    {b.kind}: {b.id} on {b.node}: {b.reason}
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
          <section aria-labelledby="spec-title">
            <h2 id="spec-title">Spec</h2>
            <SpecView spec={d.app} />
          </section>
          <section aria-labelledby="history-title">
            <h2 id="history-title">Revisions</h2>
            <HistoryTable history={data.history} current={d.revision} />
            <Rollbacks rollbacks={d.rollbacks} />
          </section>
        </>
      ) : null}
      <section aria-labelledby="logs-title">
        <h2 id="logs-title">Logs</h2>
        <LogsPanel logs={data.logs} />
      </section>
      <section aria-labelledby="app-events-title">
        <h2 id="app-events-title">Events</h2>
        <EventsList events={data.events} empty={`No events for ${name} yet.`} />
      </section>
    </>
  );
}

function Replicas({ d }: { d: AppDetail }) {
  if (!d.replicas.length) return <p class="empty">No replicas.</p>;
  return (
    <div class="table-scroll" role="region" aria-label="Replica list" tabIndex={0}>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Replica</th>
            <th scope="col">Node</th>
            <th scope="col">State</th>
            <th scope="col">Ingress</th>
            <th scope="col">Address</th>
            <th scope="col">Revision</th>
          </tr>
        </thead>
        <tbody>
          {d.replicas.map((r) => (
            <tr key={`${r.id} ${r.node} ${r.containerId ?? ''}`}>
              <td>
                <Chip r={r} /> {r.id}
              </td>
              <td>{r.node}</td>
              <td>
                {r.state}
                {r.desired ? '' : ' (leaving)'}
              </td>
              <td>{r.routed ? 'serving' : 'no'}</td>
              <td>{r.address}</td>
              <td>
                <code>{r.revision}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
