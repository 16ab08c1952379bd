/** A node as a column head of the placement grid: state, availability, engine, and the CPU and memory its replicas reserve of its capacity. */
import type { AppSpec, NodeView, ReplicaRow } from '../../../src/shared/api-types.ts';
import { DrainControl } from '../actions/drain-control.tsx';
import { cpus, memory } from '../format.ts';
import type { ClusterView } from '../poller.ts';

/** What the desired replicas on a node reserve, from their apps' resources. */
export function reserved(rows: readonly ReplicaRow[], specs: ReadonlyMap<string, AppSpec>, node: string): { cpus: number; memoryMb: number } {
  let c = 0;
  let m = 0;
  for (const r of rows) {
    if (r.node !== node || !r.desired) continue;
    const res = specs.get(r.app)?.resources;
    c += res?.cpus ?? 0;
    m += res?.memoryMb ?? 0;
  }
  return { cpus: c, memoryMb: m };
}

export function NodeHeader({ node, view, since, lastError }: { node: NodeView; view: ClusterView; since: string | null; lastError: string | null }) {
  const used = reserved(view.replicas.replicas, view.specs, node.name);
  const cap = node.capacity;
  return (
    <div class={`node-head node-${node.state}`}>
      <div class="node-name">{node.name}</div>
      <div class="badges">
        <span class={`badge state-${node.state}`}>{node.state}</span>
        {node.availability === 'drain' ? <span class="badge state-drain">drained</span> : null}
        {node.driver === 'sim' ? <span class="badge">simulated</span> : null}
      </div>
      <div class="node-meta" title={lastError ?? undefined}>
        {node.address}
        {node.engineVersion ? ` · engine ${node.engineVersion}` : ''}
        {node.state === 'down' && since ? ` · down since ${new Date(since).toLocaleTimeString(undefined, { hour12: false })}` : ''}
      </div>
      {cap ? (
        <div class="usage">
          <label>
            <span>
              CPU {cpus(used.cpus)}/{cpus(cap.cpus)}
            </span>
            <meter min={0} max={cap.cpus || 1} value={used.cpus} high={(cap.cpus || 1) * 0.85} />
          </label>
          <label>
            <span>
              mem {memory(used.memoryMb)}/{memory(cap.memoryMb)}
            </span>
            <meter min={0} max={cap.memoryMb || 1} value={used.memoryMb} high={(cap.memoryMb || 1) * 0.85} />
          </label>
        </div>
      ) : (
        <div class="node-meta">capacity unknown until its engine answers</div>
      )}
      <DrainControl node={node} view={view} />
    </div>
  );
}
