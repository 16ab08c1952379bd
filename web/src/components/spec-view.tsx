/** An app's spec (the fields people look for, then all of it) and its revisions. */
import type { AppRevisionEntry, AppSpec, RollbackView } from '../../../src/shared/api-types.ts';
import { cpus, dateTime, memory } from '../format.ts';

export function SpecView({ spec }: { spec: AppSpec }) {
  const rows: [string, string][] = [
    ['image', spec.image],
    ['replicas', String(spec.replicas)],
    ['port', `${spec.port}${spec.publish ? `, published on ${spec.publish}` : ''}`],
    ['resources', `${cpus(spec.resources.cpus)} CPU, ${memory(spec.resources.memoryMb)}`],
    ['health check', spec.health ? JSON.stringify(spec.health) : 'none'],
    ['restart', spec.restart],
    ['strategy', spec.strategy ?? 'the cluster default'],
  ];
  if (spec.constraints.length) rows.push(['constraints', spec.constraints.map((c) => JSON.stringify(c)).join(', ')]);
  if (spec.expose) rows.push(['expose', spec.expose]);
  if (spec.pins?.length) rows.push(['pinned', 'to its nodes by a plan file']);
  if (spec.source) rows.push(['from', spec.source]);
  return (
    <>
      <dl class="kv">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <details>
        <summary>The whole spec (JSON)</summary>
        <pre class="code">{JSON.stringify(spec, null, 2)}</pre>
      </details>
    </>
  );
}

export function HistoryTable({ history, current }: { history: readonly AppRevisionEntry[]; current: string }) {
  if (!history.length) return <p class="empty">No history.</p>;
  return (
    <div class="table-scroll" role="region" aria-label="Revision list" tabIndex={0}>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Revision</th>
            <th scope="col">Generation</th>
            <th scope="col">Since</th>
            <th scope="col">Image</th>
            <th scope="col">Replicas</th>
            <th scope="col">Note</th>
          </tr>
        </thead>
        <tbody>
          {history.map((h) => (
            <tr key={`${h.revision}-${h.generation}`} class={h.revision === current ? 'current' : ''}>
              <td>
                <code>{h.revision}</code>
              </td>
              <td>{h.generation}</td>
              <td>{dateTime(h.createdAt)}</td>
              <td>{h.image}</td>
              <td>{h.replicas}</td>
              <td>{[h.revision === current ? 'current' : '', h.failed ? 'failed, rolled back' : ''].filter(Boolean).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Rollbacks({ rollbacks }: { rollbacks: readonly RollbackView[] }) {
  if (!rollbacks.length) return null;
  return (
    <ul class="plain">
      {rollbacks.map((r, i) => (
        <li key={i}>
          rolled back at {dateTime(r.at)}: {r.fromImage} → {r.toImage}: {r.reason}
        </li>
      ))}
    </ul>
  );
}
