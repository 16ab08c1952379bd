/** Roll an app back to its previous good revision, after a confirmation that names both. */
import { useState } from 'preact/hooks';
import type { AppRevisionEntry, RollbackResult } from '../../../src/shared/api-types.ts';
import { ChangeView } from '../components/change-result.tsx';
import { Dialog } from '../components/dialog.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { useSession } from '../context.ts';
import { useAction } from './use-action.ts';

/** The revision a rollback returns to, as `rollbackPlan` picks it: the newest earlier one that did not fail. */
export function rollbackTarget(history: readonly AppRevisionEntry[], current: string): AppRevisionEntry | null {
  return history.find((h) => h.revision !== current && !h.failed) ?? null;
}

function RollbackDialog({ app, history, current, onClose }: { app: string; history: AppRevisionEntry[]; current: string; onClose: () => void }) {
  const { api, poller } = useSession();
  const [state, run] = useAction<RollbackResult>();
  const now = history.find((h) => h.revision === current);
  const to = rollbackTarget(history, current);
  const confirm = async () => {
    if (await run(`rolling ${app} back`, () => api.rollback(app))) poller.refresh();
  };
  return (
    <Dialog title={`Roll back ${app}`} onClose={onClose}>
      {to ? (
        <p>
          From revision <code>{current}</code>
          {now ? <> ({now.image})</> : null} to <code>{to.revision}</code> ({to.image}, generation {to.generation}), rolling and health-gated like a deploy.
        </p>
      ) : (
        <p>The history shows no earlier good revision; the manager decides and says why if it cannot.</p>
      )}
      <p role="status" class="progress">
        {state.phase === 'working'
          ? `${state.what}…`
          : state.phase === 'done'
            ? `rolling ${app} back: ${state.result.from} -> ${state.result.to} (generation ${state.result.generation ?? '-'})`
            : state.phase === 'failed'
              ? `the rollback of ${app} failed`
              : ''}
      </p>
      {state.phase === 'failed' ? <ErrorBox error={state.error} /> : null}
      {state.phase === 'done' ? <ChangeView r={state.result} /> : null}
      <div class="buttons">
        {state.phase === 'done' ? null : (
          <button type="button" class="primary danger" disabled={state.phase === 'working'} onClick={confirm}>
            Roll back
          </button>
        )}
        <button type="button" onClick={onClose}>
          {state.phase === 'done' ? 'Done' : 'Cancel'}
        </button>
      </div>
    </Dialog>
  );
}

export function RollbackControl({ app, history, current }: { app: string; history: AppRevisionEntry[]; current: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Roll back…
      </button>
      {open ? <RollbackDialog app={app} history={history} current={current} onClose={() => setOpen(false)} /> : null}
    </>
  );
}
