/** Revisions whose rollout failed and was rolled back, per app (kept in the store's settings). */
import type { Store } from '../store/store.ts';

const key = (app: string) => `failed-revisions/${app}`;

export function failedRevisions(store: Store, app: string): Set<string> {
  const v = store.getSetting(key(app));
  return new Set(v ? (JSON.parse(v) as string[]) : []);
}

export function markFailed(store: Store, app: string, revision: string): void {
  const set = failedRevisions(store, app);
  set.add(revision);
  store.setSetting(key(app), JSON.stringify([...set].sort()));
}
