/** Hash routes: `#/` the cluster overview, `#/apps/<name>` one app. */
import { useEffect, useState } from 'preact/hooks';

export type Route = { page: 'overview' } | { page: 'app'; name: string };

export function parseRoute(hash: string): Route {
  const m = /^#\/apps\/([^/?#]+)\/?$/.exec(hash);
  if (m) {
    try {
      return { page: 'app', name: decodeURIComponent(m[1]!) };
    } catch {
      // a bad escape: the overview
    }
  }
  return { page: 'overview' };
}

export const appHref = (name: string): string => `#/apps/${encodeURIComponent(name)}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
