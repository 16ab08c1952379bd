/** What every page reaches: the API client (with the session's token) and the poller. */
import { createContext } from 'preact';
import { useContext, useEffect } from 'preact/hooks';
import type { Api } from './api.ts';
import type { Poller } from './poller.ts';

export interface Session {
  api: Api;
  poller: Poller;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a logged-in page');
  return s;
}

/** The page shows usage: the poller reads GET /v1/stats (every 15 s at most) while it is open. */
export function useStats(): void {
  const { poller } = useSession();
  useEffect(() => poller.wantStats(), [poller]);
}
