/**
 * The cluster at a glance: nodes as columns, apps as rows, each replica a chip coloured by its
 * state in the cell of its node; a last column counts what could not be placed and why. On a
 * narrow screen the table scrolls sideways inside its (focusable) region.
 */
import type { ReplicaRow } from '../../../src/shared/api-types.ts';
import type { ClusterView } from '../poller.ts';
import { appHref } from '../router.ts';
import { Chip, ChipLegend } from './chip.tsx';
import { NodeHeader } from './node-header.tsx';

export function PlacementGrid({ view }: { view: ClusterView }) {
  const { nodes, apps, replicas } = view;
  const engines = new Map((view.status?.engines ?? []).map((e) => [e.name, e]));
  const cell = new Map<string, ReplicaRow[]>();
  for (const r of replicas.replicas) {
    const k = `${r.app} ${r.node}`;
    cell.set(k, [...(cell.get(k) ?? []), r]);
  }
  // replicas of apps no longer deployed (removed, still stopping) get a row too
  const names = [...apps.map((a) => a.name), ...new Set(replicas.replicas.map((r) => r.app).filter((n) => !apps.some((a) => a.name === n)))];
  const offGrid = replicas.replicas.filter((r) => !nodes.some((n) => n.name === r.node));
  if (!nodes.length && !names.length) return <p class="empty">No nodes and no apps yet: add nodes with `matrix node create`, then deploy a spec.</p>;
  return (
    <>
      <ChipLegend />
      <div class="grid-scroll" role="region" aria-label="Replicas by node (scrolls sideways)" tabIndex={0}>
        <table class="grid">
          <caption class="sr-only">Replicas of each app on each node</caption>
          <thead>
            <tr>
              <th scope="col">App</th>
              {nodes.map((n) => (
                <th scope="col" key={n.name}>
                  <NodeHeader node={n} view={view} since={engines.get(n.name)?.since ?? null} lastError={engines.get(n.name)?.lastError ?? null} />
                </th>
              ))}
              <th scope="col">Unplaced</th>
            </tr>
          </thead>
          <tbody>
            {names.map((name) => {
              const a = apps.find((x) => x.name === name);
              const unplaced = replicas.unplaced.filter((u) => u.app === name);
              return (
                <tr key={name}>
                  <th scope="row">
                    <a href={appHref(name)}>{name}</a>
                    <div class="app-counts">
                      {a ? `${a.running}/${a.desired} running` : 'removed, leaving'}
                      {a?.updating ? ' · updating' : ''}
                    </div>
                  </th>
                  {nodes.map((n) => (
                    <td key={n.name} class={n.state === 'down' ? 'cell-down' : n.availability === 'drain' ? 'cell-drain' : ''}>
                      {(cell.get(`${name} ${n.name}`) ?? []).map((r) => (
                        <Chip key={`${r.id} ${r.containerId ?? ''}`} r={r} />
                      ))}
                    </td>
                  ))}
                  <td title={unplaced.map((u) => `${u.app}.${u.slot}: ${u.message}`).join('\n') || undefined}>
                    {unplaced.length ? <span class="badge state-down">{unplaced.length}</span> : null}
                    {unplaced.length ? <span class="sr-only">: {unplaced.map((u) => `${u.app}.${u.slot}: ${u.message}`).join('; ')}</span> : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {offGrid.length ? <p class="note">{offGrid.length} replicas run on nodes no longer registered.</p> : null}
      {replicas.unplaced.length ? (
        <details class="unplaced">
          <summary>Why {replicas.unplaced.length} replicas are unplaced</summary>
          <ul>
            {replicas.unplaced.map((u) => (
              <li key={`${u.app}.${u.slot}`}>
                <a href={appHref(u.app)}>
                  {u.app}.{u.slot}
                </a>
                : {u.message}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  );
}
