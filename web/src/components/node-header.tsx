/**
 * A node as a column head of the placement grid: state, availability, engine; the CPU, memory
 * and disk its cloudmatrix containers use (GET /v1/stats, a dash where not measured); and,
 * apart and so labelled, the CPU and memory its replicas reserve of its capacity.
 */
import type { AppSpec, NodeStats, NodeView, ReplicaRow } from '../../../src/shared/api-types.ts';
import { DrainControl } from '../actions/drain-control.tsx';
import { bytes, clock, cpus, memory, percent } from '../format.ts';
import type { ClusterView } from '../poller.ts';
import { nodeCpuShare } from '../usage.ts';

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

/** What the node's containers use, as the last stats read measured it. */
function Used({ s, at }: { s: NodeStats | undefined; at: string | undefined }) {
  const cpu = s ? nodeCpuShare(s) : null;
  const mem = s?.memoryBytes ?? null;
  const total = s?.memoryTotalBytes ?? null;
  return (
    <div
      class="usage"
      title={at ? `Measured at ${clock(at)}: its cloudmatrix containers (CPU ${percent(s?.cpuPercent)} of one CPU, over ${s?.cpus ?? '?'} CPUs)` : undefined}
    >
      <label>
        <span>CPU used {percent(cpu)}</span>
        {cpu !== null ? <meter min={0} max={100} value={cpu} high={85} /> : null}
      </label>
      <label>
        <span>
          mem used {bytes(mem)}
          {total ? `/${bytes(total)}` : ''}
        </span>
        {mem !== null && total ? <meter min={0} max={total} value={mem} high={total * 0.85} /> : null}
      </label>
      <span class="usage-line">disk {bytes(s?.diskBytes)}</span>
    </div>
  );
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
      {view.statsState !== 'unavailable' ? <Used s={view.stats?.nodes.find((s) => s.name === node.name)} at={view.stats?.at} /> : null}
      {cap ? (
        <div class="node-meta reserved" title="What the replicas' resources reserve of the node's capacity (placement goes by these), not what they use">
          reserved CPU {cpus(used.cpus)}/{cpus(cap.cpus)} · mem {memory(used.memoryMb)}/{memory(cap.memoryMb)}
        </div>
      ) : (
        <div class="node-meta">capacity unknown until its engine answers</div>
      )}
      <DrainControl node={node} view={view} />
    </div>
  );
}
