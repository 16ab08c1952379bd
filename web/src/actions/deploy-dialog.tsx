/**
 * Deploy a spec (matrix.yaml, compose file or plan file): pasted or picked from a file, first
 * checked with a dry run (POST /v1/deploy with dryRun: true) whose plan is shown, then
 * deployed on confirmation. Any edit after the check asks for a new check.
 */
import { useId, useState } from 'preact/hooks';
import type { ChangeResult, DeployRequest } from '../../../src/shared/api-types.ts';
import { ChangeView } from '../components/change-result.tsx';
import { Dialog } from '../components/dialog.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { useSession } from '../context.ts';
import { useAction, workingOn } from './use-action.ts';

const MAX_BYTES = 1024 * 1024;

function DeployDialog({ onClose }: { onClose: () => void }) {
  const { api, poller } = useSession();
  const ids = { file: useId(), name: useId(), source: useId(), project: useId(), prune: useId() };
  const [source, setSource] = useState('');
  const [file, setFile] = useState('matrix.yaml');
  const [project, setProject] = useState('');
  const [prune, setPrune] = useState(false);
  const [plan, check, resetPlan] = useAction<ChangeResult>();
  const [change, run, resetChange] = useAction<ChangeResult>();
  const [pickError, setPickError] = useState('');
  const edited = (fn: () => void) => {
    fn();
    resetPlan();
    resetChange();
  };
  const request = (dryRun: boolean): DeployRequest => ({
    file: file.trim() || 'matrix.yaml',
    source,
    dryRun,
    prune,
    ...(project.trim() ? { project: project.trim() } : {}),
  });
  const pick = async (input: HTMLInputElement) => {
    const f = input.files?.[0];
    if (!f) return;
    if (f.size > MAX_BYTES) return setPickError(`${f.name} is larger than 1 MiB, the limit of a spec`);
    setPickError('');
    const text = await f.text();
    edited(() => {
      setSource(text);
      setFile(f.name);
    });
  };
  const busy = plan.phase === 'working' || change.phase === 'working';
  const doing = workingOn(change, plan);
  const status = doing
    ? `${doing}…`
    : change.phase === 'done'
      ? `deployed generation ${change.result.generation ?? '-'} of project ${change.result.project ?? '-'}`
      : change.phase === 'failed'
        ? 'the deploy failed'
        : plan.phase === 'done'
          ? 'checked: the plan is below; deploy to carry it out'
          : plan.phase === 'failed'
            ? 'the check found problems'
            : '';
  return (
    <Dialog title="Deploy a spec" onClose={onClose}>
      <div class="field">
        <label for={ids.file}>Spec file</label>
        <input id={ids.file} type="file" accept=".yaml,.yml,.plan,.txt,.json" disabled={busy} onChange={(e) => void pick(e.currentTarget)} />
        {pickError ? <p class="error">{pickError}</p> : null}
      </div>
      <div class="field">
        <label for={ids.source}>Spec (matrix.yaml, compose file or plan file)</label>
        <textarea id={ids.source} rows={12} spellcheck={false} value={source} disabled={busy} onInput={(e) => edited(() => setSource(e.currentTarget.value))} />
      </div>
      <div class="field-row">
        <div class="field">
          <label for={ids.name}>File name</label>
          <input id={ids.name} value={file} disabled={busy} onInput={(e) => edited(() => setFile(e.currentTarget.value))} />
        </div>
        <div class="field">
          <label for={ids.project}>Project (when the file has no name: key)</label>
          <input id={ids.project} value={project} disabled={busy} onInput={(e) => edited(() => setProject(e.currentTarget.value))} />
        </div>
      </div>
      <div class="field check">
        <input id={ids.prune} type="checkbox" checked={prune} disabled={busy} onChange={(e) => edited(() => setPrune(e.currentTarget.checked))} />
        <label for={ids.prune}>Prune: remove the project's apps that are not in the file</label>
      </div>
      <p role="status" class="progress">
        {status}
      </p>
      {plan.phase === 'failed' ? <ErrorBox error={plan.error} /> : null}
      {change.phase === 'failed' ? <ErrorBox error={change.error} /> : null}
      {change.phase === 'done' ? <ChangeView r={change.result} /> : plan.phase === 'done' ? <ChangeView r={plan.result} /> : null}
      <div class="buttons">
        {change.phase === 'done' ? null : (
          <>
            <button type="button" disabled={busy || !source.trim()} onClick={() => void check('checking the spec (dry run)', () => api.deploy(request(true)))}>
              Check (dry run)
            </button>
            <button
              type="button"
              class="primary"
              disabled={busy || plan.phase !== 'done'}
              onClick={async () => {
                if (await run('deploying', () => api.deploy(request(false)))) poller.refresh();
              }}
            >
              Deploy
            </button>
          </>
        )}
        <button type="button" onClick={onClose}>
          {change.phase === 'done' ? 'Done' : 'Cancel'}
        </button>
      </div>
    </Dialog>
  );
}

export function DeployButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" class="primary" onClick={() => setOpen(true)}>
        Deploy…
      </button>
      {open ? <DeployDialog onClose={() => setOpen(false)} /> : null}
    </>
  );
}
