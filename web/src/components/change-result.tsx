/** What a change did, or (dry run) would do: the plan as `matrix deploy --dry-run` prints it. */
import type { ChangeResult } from '../../../src/shared/api-types.ts';

function List({ title, items }: { title: string; items: string[] }) {
  if (!items.length) return null;
  return (
    <div>
      <h3>{title}</h3>
      <ul>
        {items.map((x, i) => (
          <li key={i}>{x}</li>
        ))}
      </ul>
    </div>
  );
}

export function ChangeView({ r }: { r: ChangeResult }) {
  const verb = r.dryRun ? 'would' : 'did';
  const blocked = r.blocked.filter((b, i, all) => all.findIndex((x) => x.id === b.id) === i);
  return (
    <div class="change">
      <p>
        {r.project ? <>Project {r.project}. </> : null}
        {r.dryRun ? 'Dry run: nothing changed yet.' : r.generation !== null ? `Recorded as generation ${r.generation}.` : null} {r.replicas} replica
        {r.replicas === 1 ? '' : 's'} desired.
      </p>
      <List title="Apps" items={[...r.added.map((a) => `add ${a}`), ...r.changed.map((a) => `change ${a}`), ...r.removed.map((a) => `remove ${a}`)]} />
      {r.unchanged.length ? <p>Unchanged: {r.unchanged.join(', ')}</p> : null}
      {r.kept.length ? <p>Kept (not in the file; prune removes them): {r.kept.join(', ')}</p> : null}
      <List title={`Actions (${verb})`} items={r.actions.length ? r.actions : [r.dryRun ? 'nothing to do: already as planned' : 'nothing to do']} />
      <List title="Warnings" items={r.warnings.map((w) => `${w.path}: ${w.message}`)} />
      <List title="Unplaced" items={r.unplaced.map((u) => `${u.app}.${u.slot}: ${u.message}`)} />
      <List title="Waiting" items={blocked.map((b) => `${b.id} on ${b.node}: ${b.reason}`)} />
      <List title="Failed" items={r.failed.map((f) => `${f.action}: ${f.error}`)} />
      {r.pending ? <p>The control loop is still working on this change: the overview follows it.</p> : null}
    </div>
  );
}
