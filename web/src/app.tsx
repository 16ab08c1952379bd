/** The dashboard: the login form, or the shell (header, the page of the route) around one poller. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { Api, type ApiError } from './api.ts';
import { DeployButton } from './actions/deploy-dialog.tsx';
import { ErrorBox } from './components/error-box.tsx';
import { LoginForm } from './components/login-form.tsx';
import { SessionContext, type Session } from './context.ts';
import { ago } from './format.ts';
import { AppPage } from './pages/app-page.tsx';
import { Overview } from './pages/overview.tsx';
import { Poller, type ClusterView } from './poller.ts';
import { useRoute } from './router.ts';
import { forgetToken, savedToken, saveToken } from './session.ts';

function Shell({ session, onLogout }: { session: Session; onLogout: () => void }) {
  const [view, setView] = useState<ClusterView>(session.poller.view);
  const route = useRoute();
  const first = useRef(true);
  useEffect(() => session.poller.subscribe(setView), [session]);
  // a new page: its heading takes the focus (not on the first load), so a screen reader starts there
  useEffect(() => {
    if (first.current) first.current = false;
    else document.getElementById('page-title')?.focus();
  }, [route.page, route.page === 'app' ? route.name : '']);
  const skip = (e: Event) => {
    e.preventDefault();
    document.getElementById('main')?.focus();
  };
  return (
    <SessionContext.Provider value={session}>
      <a href="#main" class="skip" onClick={skip}>
        Skip to the content
      </a>
      <header class="top">
        <a href="#/" class="brand">
          cloudmatrix
        </a>
        <span class="fresh">{view.paused ? 'paused while the tab is hidden' : view.updatedAt ? `updated ${ago(view.updatedAt)}` : 'reading the cluster…'}</span>
        <span class="spacer" />
        <DeployButton />
        <button type="button" onClick={onLogout}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {view.error ? <ErrorBox error={view.error} title="The last refresh failed" /> : null}
        {route.page === 'app' ? <AppPage name={route.name} view={view} /> : <Overview view={view} />}
      </main>
    </SessionContext.Provider>
  );
}

export function App() {
  const [reason, setReason] = useState<ApiError | null>(null);
  const lost = useRef<(e: ApiError) => void>(() => undefined);
  const open = (api: Api): Session => ({ api, poller: new Poller(api, (e) => lost.current(e)) });
  // a token kept in this tab (a reload) is used at once; if it no longer works the poller logs out
  const [session, setSession] = useState<Session | null>(() => {
    const t = savedToken();
    return t ? open(new Api(t)) : null;
  });
  lost.current = (e) => {
    forgetToken();
    setSession(null);
    setReason(e);
  };
  useEffect(() => {
    if (!session) return;
    session.poller.start();
    return () => session.poller.stop();
  }, [session]);
  if (!session)
    return (
      <LoginForm
        reason={reason}
        onLogin={(api) => {
          saveToken(api.token);
          setReason(null);
          setSession(open(api));
        }}
      />
    );
  return (
    <Shell
      session={session}
      onLogout={() => {
        forgetToken();
        setSession(null);
        setReason(null);
      }}
    />
  );
}
