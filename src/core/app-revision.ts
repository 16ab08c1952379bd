/**
 * Pure: an app's revision, the one identity of what its containers run: the `matrix.revision`
 * label, `ps`, `app history` and rollbacks all use it. Everything that needs new containers
 * counts (image, ports, env, secrets and their versions, host access, resources, restart, health); the replica count, placement rules
 * and a plan file's pins do not (scaling or moving is not a new revision; a pinned replica
 * whose host port changes is replaced by reconcile, see `isCurrentReplica`).
 */
import { createHash } from 'node:crypto';
import type { AppSpec } from './model.ts';
import { byCodeUnit } from './compare.ts';

export function appRevision(a: AppSpec): string {
  const canonical = JSON.stringify([
    a.image,
    a.port,
    a.publish ?? null,
    Object.entries(a.env).sort(([x], [y]) => byCodeUnit(x, y)),
    [a.resources.cpus, a.resources.memoryMb],
    a.restart,
    a.health ?? null,
    // only when present, so apps without secrets keep the revisions they had before secrets existed
    ...(a.secrets?.length ? [a.secrets.map((s) => [s.name, s.file ?? null, s.env ?? null, s.version ?? null])] : []),
    ...(a.host ? [['host', a.host]] : []),
    ...(a.command ? [['command', a.command]] : []),
    ...(a.entrypoint ? [['entrypoint', a.entrypoint]] : []),
    ...(a.expose ? [['expose', a.expose]] : []),
    ...(a.volumes ? [['volumes', a.volumes]] : []),
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

export interface AppRevisionEntry {
  revision: string;
  /** This revision's rollout failed and was rolled back. */
  failed: boolean;
  generation: number;
  createdAt: string;
  image: string;
  replicas: number;
}

/** Pure: the distinct revisions of one app across deployments (newest first), for history and rollback. */
export function appHistory(
  app: string,
  deployments: { generation: number; createdAt: string; apps: AppSpec[] }[],
  failed: ReadonlySet<string> = new Set(),
): AppRevisionEntry[] {
  const out: AppRevisionEntry[] = [];
  let prev: string | null = null;
  for (const d of deployments) {
    const spec = d.apps.find((a) => a.name === app);
    if (!spec) {
      prev = null; // the app was removed in between: its return is a new entry
      continue;
    }
    const revision = appRevision(spec);
    const same = prev === revision;
    prev = revision;
    if (same) {
      out[out.length - 1] = { ...out.at(-1)!, generation: d.generation, createdAt: d.createdAt }; // keep the first generation of a run
      continue;
    }
    out.push({ revision, failed: failed.has(revision), generation: d.generation, createdAt: d.createdAt, image: spec.image, replicas: spec.replicas });
  }
  return out;
}

/**
 * The spec to roll back to: the newest earlier revision that differs from the current one
 * and did not itself fail (rolling back onto a revision that was rolled back helps no one).
 */
export function previousSpec(app: string, deployments: { apps: AppSpec[] }[], failed: ReadonlySet<string> = new Set()): AppSpec | null {
  const specs = deployments.map((d) => d.apps.find((a) => a.name === app)).filter((s): s is AppSpec => !!s);
  const current = specs[0];
  if (!current) return null;
  const now = appRevision(current);
  return specs.find((s) => appRevision(s) !== now && !failed.has(appRevision(s))) ?? null;
}

/** The apps of `current` with `app` at its previous revision (keeping its replica count), or null. */
export function appsWithPreviousRevision(
  current: { apps: AppSpec[] },
  app: string,
  history: { apps: AppSpec[] }[],
  failed: ReadonlySet<string> = new Set(),
): { apps: AppSpec[]; from: AppSpec; to: AppSpec } | null {
  const from = current.apps.find((a) => a.name === app);
  const prev = previousSpec(app, history, failed);
  if (!from || !prev) return null;
  const to = { ...prev, replicas: from.replicas };
  return { apps: current.apps.map((a) => (a.name === app ? to : a)), from, to };
}
