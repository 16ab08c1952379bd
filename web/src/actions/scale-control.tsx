/**
 * Scale an app: a number, then a dialog that shows what the change would do (the scale
 * route's dry run) and asks to confirm; the answer of the real change follows in the dialog.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import type { AppSummary, ChangeResult } from '../../../src/shared/api-types.ts';
import { ChangeView } from '../components/change-result.tsx';
import { Dialog } from '../components/dialog.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { useSession } from '../context.ts';
import { useAction, workingOn } from './use-action.ts';

function ScaleDialog({ app, replicas, onClose }: { app: AppSummary; replicas: number; onClose: () => void }) {
  const { api, poller } = useSession();
  const [plan, check] = useAction<ChangeResult>();
  const [change, run] = useAction<ChangeResult>();
  useEffect(() => {
    void check(`checking what scaling ${app.name} to ${replicas} changes`, () => api.scale(app.name, replicas, true));
  }, []);
  const confirm = async () => {
    const r = await run(`scaling ${app.name} to ${replicas}`, () => api.scale(app.name, replicas, false));
    if (r) poller.refresh();
  };
  const doing = workingOn(change, plan);
  const status = doing
    ? `${doing}…`
    : change.phase === 'done'
      ? `${app.name} scaled to ${replicas} (generation ${change.result.generation ?? '-'})`
      : change.phase === 'failed'
        ? `scaling ${app.name} failed`
        : plan.phase === 'done'
          ? `ready to scale ${app.name} from ${app.desired} to ${replicas}`
          : '';
  return (
    <Dialog title={`Scale ${app.name}`} onClose={onClose}>
      <p>
        Set {app.name} to <strong>{replicas}</strong> replica{replicas === 1 ? '' : 's'} (now {app.desired}).
      </p>
      <p role="status" class="progress">
        {status}
      </p>
      {plan.phase === 'failed' ? <ErrorBox error={plan.error} title="The dry run failed" /> : null}
      {change.phase === 'failed' ? <ErrorBox error={change.error} /> : null}
      {change.phase === 'done' ? <ChangeView r={change.result} /> : plan.phase === 'done' ? <ChangeView r={plan.result} /> : null}
      <div class="buttons">
        {change.phase === 'done' ? null : (
          <button type="button" class="primary" disabled={plan.phase !== 'done' || change.phase === 'working'} onClick={confirm}>
            Scale to {replicas}
          </button>
        )}
        <button type="button" onClick={onClose}>
          {change.phase === 'done' ? 'Done' : 'Cancel'}
        </button>
      </div>
    </Dialog>
  );
}

export function ScaleControl({ app }: { app: AppSummary }) {
  const id = useId();
  const [value, setValue] = useState(String(app.desired));
  const [open, setOpen] = useState<number | null>(null);
  // the desired count changed (here or elsewhere): the field follows unless a dialog is open
  useEffect(() => {
    if (open === null) setValue(String(app.desired));
  }, [app.desired]);
  const n = Number(value);
  const valid = value.trim() !== '' && Number.isInteger(n) && n >= 0 && n <= 1000;
  return (
    <>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (valid) setOpen(n);
        }}
      >
        <label for={id}>Replicas</label>
        <input
          id={id}
          type="number"
          min={0}
          max={1000}
          step={1}
          required
          value={value}
          aria-invalid={!valid}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={!valid}>
          Scale…
        </button>
      </form>
      {open !== null ? <ScaleDialog app={app} replicas={open} onClose={() => setOpen(null)} /> : null}
    </>
  );
}
