/** The token form: the token is checked with GET /v1/status before it is kept (for this tab only). */
import { useId, useState } from 'preact/hooks';
import { Api, type ApiError } from '../api.ts';
import { useAction } from '../actions/use-action.ts';
import { ErrorBox } from './error-box.tsx';

export function LoginForm({ onLogin, reason }: { onLogin: (api: Api) => void; reason: ApiError | null }) {
  const id = useId();
  const [token, setToken] = useState('');
  const [state, run] = useAction<Api>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const api = new Api(token.trim());
    const ok = await run('checking the token', async () => {
      await api.status();
      return api;
    });
    if (ok) onLogin(ok);
  };
  return (
    <main class="login" id="main">
      <h1>cloudmatrix</h1>
      {reason && state.phase === 'idle' ? <ErrorBox error={reason} title="Logged out" /> : null}
      <form onSubmit={submit}>
        <label for={id}>API token</label>
        <input
          id={id}
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby={`${id}-help`}
        />
        <p id={`${id}-help`} class="help">
          The admin token is in <code>&lt;MATRIX_HOME&gt;/token</code> on the manager's host; <code>matrix token create --role viewer</code> makes one to read
          with. It is kept in this tab only.
        </p>
        <button type="submit" class="primary" disabled={state.phase === 'working' || !token.trim()}>
          Log in
        </button>
        <p role="status" class="progress">
          {state.phase === 'working' ? 'Checking the token…' : ''}
        </p>
        {state.phase === 'failed' ? <ErrorBox error={state.error} title="Not logged in" /> : null}
      </form>
    </main>
  );
}
