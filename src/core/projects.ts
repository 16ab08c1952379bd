/**
 * Pure: projects. Every app belongs to the project (deployed file) that created it. A deploy
 * replaces only its own project's apps; apps of other projects are never touched, apps of
 * the same project missing from the file are kept unless the deploy prunes, and an app name
 * owned by another project is an error that names the owner (docker stack's scoping,
 * kubectl apply's "no prune by default").
 */
import { basename } from 'node:path';
import { MatrixError } from './errors.ts';
import type { AppSpec, Strategy } from './model.ts';
import { byCodeUnit } from './compare.ts';

/** Project names are used in labels and messages: like app names, but may start with a digit. */
export const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** `applications.plan` -> `applications`, `My App.yaml` -> `my-app`; `default` when nothing is left. */
export function projectNameFromFile(file: string): string {
  const base = basename(file).replace(/\.[^.]*$/, '');
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 63);
  return PROJECT_NAME.test(name) ? name : 'default';
}

export function checkProjectName(name: string, path: string): string {
  if (!PROJECT_NAME.test(name)) {
    throw new MatrixError(
      'E_BAD_REQUEST',
      `bad project name "${name}": must match ${PROJECT_NAME.source} (lowercase letters, digits, "-" and "_", at most 63)`,
      { path },
    );
  }
  return name;
}

/**
 * The project a deploy belongs to: the file's `name:` key, else `--project`, else the file's
 * base name. A `--project` the file's own name overrides comes back as a warning.
 */
export function resolveProject(o: { specName?: string | undefined; flag?: string | undefined; file: string }): { name: string; warning?: string } {
  if (o.flag !== undefined) checkProjectName(o.flag, 'project');
  if (o.specName !== undefined) {
    const warning = o.flag !== undefined && o.flag !== o.specName ? `the file names its project "${o.specName}"; --project ${o.flag} is ignored` : undefined;
    return { name: o.specName, ...(warning ? { warning } : {}) };
  }
  return { name: o.flag ?? projectNameFromFile(o.file) };
}

/** The project of a stored app; apps stored before projects existed belong to their file's. */
export function projectOf(app: AppSpec, fallback = 'default'): string {
  return app.project ?? fallback;
}

export interface ProjectDeploy {
  /** The cluster's apps after the deploy, every project's, sorted by name. */
  apps: AppSpec[];
  added: string[];
  changed: string[];
  unchanged: string[];
  /** The project's apps missing from the file, left running (no prune). */
  kept: string[];
  /** The project's apps missing from the file, removed (prune). */
  pruned: string[];
}

/**
 * Puts a file's apps into `project`. `strategy` (the file's top-level one) becomes the
 * strategy of each app that names none, so one project's choice never changes another's.
 */
export function deployProject(
  current: AppSpec[],
  project: string,
  fileApps: AppSpec[],
  o: { prune: boolean; file: string; strategy?: Strategy | undefined },
): ProjectDeploy {
  if (!fileApps.length) {
    throw new MatrixError(
      'E_SPEC_EMPTY',
      `no apps in the file; deploying it would remove nothing and add nothing (to remove apps use \`matrix rm <app>\` or \`matrix project rm ${project}\`)`,
      {
        path: o.file,
      },
    );
  }
  const byName = new Map(current.map((a) => [a.name, a]));
  const owned = fileApps.flatMap((a) => {
    const owner = byName.get(a.name)?.project;
    if (owner === undefined || owner === project) return [];
    const msg = `app ${a.name} belongs to project ${owner}; deploy it from that project (add \`name: ${owner}\` or --project ${owner}) or remove it there first (\`matrix rm ${a.name}\`)`;
    return [new MatrixError('E_APP_OWNED', msg, { path: a.source ?? `apps.${a.name}` })];
  });
  if (owned.length === 1) throw owned[0]!;
  if (owned.length) throw new MatrixError('E_APP_OWNED', `${owned.length} apps belong to other projects`, { details: owned });

  const inFile = new Set(fileApps.map((a) => a.name));
  const mine = current.filter((a) => a.project === project);
  const missing = mine.filter((a) => !inFile.has(a.name)).map((a) => a.name);
  const next = fileApps.map((a) => ({ ...a, project, ...(a.strategy === undefined && o.strategy !== undefined ? { strategy: o.strategy } : {}) }));
  const added: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const a of next) {
    const before = byName.get(a.name);
    if (!before) added.push(a.name);
    else if (JSON.stringify(before) === JSON.stringify(a)) unchanged.push(a.name);
    else changed.push(a.name);
  }
  const apps = [...current.filter((a) => a.project !== project || (!o.prune && !inFile.has(a.name))), ...next];
  return {
    apps: apps.sort((a, b) => byCodeUnit(a.name, b.name)),
    added,
    changed,
    unchanged,
    kept: o.prune ? [] : missing,
    pruned: o.prune ? missing : [],
  };
}

/** `matrix rm`: the apps without `names`; every name must exist, or nothing is removed. */
export function removeApps(current: AppSpec[], names: string[]): AppSpec[] {
  const known = new Set(current.map((a) => a.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    const list = current.map((a) => a.name).join(', ') || '(none)';
    throw new MatrixError('E_NOT_FOUND', `no app named ${unknown.join(', ')}; nothing was removed (apps: ${list})`, { path: unknown[0]! });
  }
  const drop = new Set(names);
  return current.filter((a) => !drop.has(a.name));
}

export interface ProjectSummary {
  name: string;
  apps: string[];
}

/** Projects that own apps now, by name. */
export function projectsOf(apps: AppSpec[]): ProjectSummary[] {
  const by = new Map<string, string[]>();
  for (const a of apps) {
    const p = projectOf(a);
    by.set(p, [...(by.get(p) ?? []), a.name]);
  }
  return [...by.entries()].sort(([a], [b]) => byCodeUnit(a, b)).map(([name, list]) => ({ name, apps: list.sort(byCodeUnit) }));
}
