/**
 * Drain a node (its replicas move elsewhere, start-first; nothing new is placed there) or let
 * a drained one take replicas again: PUT /v1/nodes/:name with the new availability, as
 * `matrix node drain|activate` sends. The dialog then follows the drain from the poller's reads.
 */
import { useState } from 'preact/hooks';
import type { NodeView } from '../../../src/shared/api-types.ts';
import { Dialog } from '../components/dialog.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { useSession } from '../context.ts';
import type { ClusterView } from '../poller.ts';
import { plural } from '../format.ts';
import { useAction } from './use-action.ts';

/** Running replicas still on `node`, apart from those a plan file or a volume keeps there (as `matrix node drain` counts). */
export function drainLeft(view: ClusterView, node: string): { leaving: number; pinned: number } {
  const pinnedApps = new Set(view.apps.filter((a) => a.pinned).map((a) => a.name));
  const here = view.replicas.replicas.filter((r) => r.node === node && r.state === 'running');
  const pinned = here.filter((r) => pinnedApps.has(r.app)).length;
  return { leaving: here.length - pinned, pinned };
}

function AvailabilityDialog({ node, to, view, onClose }: { node: NodeView; to: 'drain' | 'active'; view: ClusterView; onClose: () => void }) {
  const { api, poller } = useSession();
  const [state, run] = useAction<unknown>();
  const left = drainLeft(view, node.name);
  const confirm = async () => {
    if (await run(to === 'drain' ? `draining ${node.name}` : `activating ${node.name}`, () => api.setAvailability(node, to))) poller.refresh();
  };
  let status = '';
  if (state.phase === 'working') status = `${state.what}…`;
  else if (state.phase === 'failed') status = `${to === 'drain' ? 'draining' : 'activating'} ${node.name} failed`;
  else if (state.phase === 'done' && to === 'active') status = `${node.name} takes replicas again`;
  else if (state.phase === 'done' && left.leaving > 0) status = `draining ${node.name}: ${plural(left.leaving, 'replica')} still there`;
  else if (state.phase === 'done')
    status = `${node.name} is drained: ${left.pinned ? `${plural(left.pinned, 'pinned replica')} stay, no other runs there` : 'no replica runs there'}`;
  return (
    <Dialog title={`${to === 'drain' ? 'Drain' : 'Activate'} ${node.name}`} onClose={onClose}>
      {to === 'drain' ? (
        <p>
          Its replicas move to other nodes, each started before the old one stops; nothing new is placed on {node.name} until it is activated again. Replicas a
          plan file or a volume pins there stay. Now {plural(left.leaving + left.pinned, 'replica')} run there.
        </p>
      ) : (
        <p>{node.name} takes replicas again; spread apps rebalance onto it.</p>
      )}
      <p role="status" class="progress">
        {status}
      </p>
      {state.phase === 'failed' ? <ErrorBox error={state.error} /> : null}
      <div class="buttons">
        {state.phase === 'done' ? null : (
          <button type="button" class={to === 'drain' ? 'primary danger' : 'primary'} disabled={state.phase === 'working'} onClick={confirm}>
            {to === 'drain' ? `Drain ${node.name}` : `Activate ${node.name}`}
          </button>
        )}
        <button type="button" onClick={onClose}>
          {state.phase === 'done' ? 'Close' : 'Cancel'}
        </button>
      </div>
    </Dialog>
  );
}

export function DrainControl({ node, view }: { node: NodeView; view: ClusterView }) {
  const [open, setOpen] = useState<'drain' | 'active' | null>(null);
  const to = node.availability === 'drain' ? 'active' : 'drain';
  return (
    <>
      <button type="button" class="small" onClick={() => setOpen(to)}>
        {to === 'drain' ? 'Drain' : 'Activate'} {node.name}…
      </button>
      {open ? <AvailabilityDialog node={node} to={open} view={view} onClose={() => setOpen(null)} /> : null}
    </>
  );
}
