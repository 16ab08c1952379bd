/**
 * The one rollback computation, for `matrix rollback` and for the loop's automatic
 * rollback of a failing rollout: the app goes back to its newest earlier revision that did
 * not itself fail, keeping its replica count, as a new deployment generation.
 */
import { appRevision, appsWithPreviousRevision } from '../../core/app-revision.ts';
import type { AppSpec } from '../../core/model.ts';
import { stampSecretVersions, type MissingSecret } from '../../core/secrets.ts';
import { withApps, type Deployment, type Store } from '../store/store.ts';
import { failedRevisions, markFailed } from './failed-revisions.ts';

const HISTORY = 100;

export interface RollbackPlan {
  next: Omit<Deployment, 'generation' | 'createdAt'>;
  from: AppSpec;
  to: AppSpec;
  /** Secrets the earlier revision received that no longer exist (its replicas could not start). */
  missingSecrets: MissingSecret[];
}

/** The store's current version of each secret, for stamping app specs. */
export function secretVersions(store: Store): (name: string) => number | undefined {
  const versions = new Map(store.listSecrets().map((s) => [s.name, s.version]));
  return (name) => versions.get(name);
}

/** The deployment with `app` at its previous good revision, or null when there is none. */
export function rollbackPlan(store: Store, current: Deployment, app: string): RollbackPlan | null {
  // only a secret's current value exists: every revision is seen with today's versions, so
  // one that differs from the current only by a secret version is not somewhere to go back to
  const versions = secretVersions(store);
  const today = <T extends { apps: AppSpec[] }>(d: T): T => ({ ...d, apps: stampSecretVersions(d.apps, versions).apps });
  const back = appsWithPreviousRevision(today(current), app, store.deploymentHistory(HISTORY).map(today), failedRevisions(store, app));
  if (!back) return null;
  const missingSecrets = stampSecretVersions([back.to], versions).missing;
  // the app stays in the project that owns it now, whatever an old generation recorded
  const to = { ...back.to, ...(back.from.project !== undefined ? { project: back.from.project } : {}) };
  return {
    next: withApps(
      current,
      back.apps.map((a) => (a.name === app ? to : a)),
    ),
    from: back.from,
    to,
    missingSecrets,
  };
}

/** A rollout failed: its revision is marked failed (never rolled back onto), then rolled back. */
export function failRollout(store: Store, current: Deployment, app: string): RollbackPlan | null {
  const failing = current.apps.find((a) => a.name === app);
  if (failing) markFailed(store, app, appRevision(failing));
  return rollbackPlan(store, current, app);
}

export function appHistoryDeployments(store: Store): Deployment[] {
  return store.deploymentHistory(HISTORY);
}
