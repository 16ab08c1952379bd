/**
 * The API's side of desired state: `deploy`, `scale`, `rm`, `project rm` and `rollback`
 * validate everything first (spec, project ownership, nodes, images), record the new
 * desired state in one store transaction, and wake the control loop; the loop alone acts.
 * The answer is what the loop's first pass on the change did. A change that fails
 * validation records nothing. Dry runs plan on the latest snapshot and record nothing.
 */
import type { EventLog } from './event-log.ts';
import { MatrixError } from '../../core/errors.ts';
import { MAX_REPLICAS, DEFAULT_STRATEGY } from '../../core/defaults.ts';
import type { Action, AppSpec } from '../../core/model.ts';
import { appHistory, type AppRevisionEntry } from '../../core/app-revision.ts';
import { describeAction } from '../../core/reconcile/reconcile.ts';
import type { DeploymentPlan } from '../../core/reconcile/plan-deployment.ts';
import type { LoadedSpec, SpecWarning } from '../../core/appspec/load-spec.ts';
import { problemsError } from '../../core/appspec/plan.ts';
import { resolveImage, splitImage } from '../../core/appspec/image-ref.ts';
import { deployProject, removeApps, resolveProject } from '../../core/projects.ts';
import { DEFAULT_POLICY, policyProblems, type HostPolicy } from '../../core/policy.ts';
import {
  appsUsingSecret,
  checkSecretName,
  checkSecretValue,
  SECRET_LIMITS,
  stampSecretVersions,
  withSecretVersion,
  type MissingSecret,
  secretsDirConflicts,
} from '../../core/secrets.ts';
import type { ChangeResult, DeployRequest, RollbackResult, SecretSetResult, SecretView } from '../../shared/api-types.ts';
import { Serial } from '../../util/serial.ts';
import { withApps, type Deployment, type ProjectChanges, type SecretRecord, type Store } from '../store/store.ts';
import type { Vault } from '../secrets/vault.ts';
import type { ControlLoop, PassReport } from './control-loop.ts';
import { failedRevisions } from './failed-revisions.ts';
import { appHistoryDeployments, rollbackPlan, secretVersions } from './rollback.ts';

export interface ImageChecker {
  manifestExists(repo: string, tag: string): Promise<boolean>;
}

type Candidate = Omit<Deployment, 'generation' | 'createdAt'>;

export interface DesiredStateOptions {
  now?: () => Date;
  /** How long an answer waits for the loop's pass on the change (default 120 s). */
  passTimeoutMs?: number;
  /** Registries other than the cluster's that images may come from (`host[:port]`); none by default. */
  allowedRegistries?: readonly string[];
  /** Seals secret values (`setSecret`); without it secrets cannot be set. */
  vault?: Vault;
  /** Which host access apps may ask for (manager.json `policy`); none by default. */
  policy?: HostPolicy;
  /** Parses a deployed spec; the manager parses in a worker (specs/spec-parser.ts), tests may parse inline. */
  parse?: (source: string, file: string) => Promise<LoadedSpec>;
  /** Where each recorded change is told (`deploy` events, one per app it adds, changes or removes). */
  events?: Pick<EventLog, 'add'>;
}

interface Change {
  candidate: Candidate;
  /** The apps whose actions the answer shows (the project's, or the named ones). */
  touched: Set<string>;
  project: string | null;
  projects?: ProjectChanges;
  warnings?: SpecWarning[];
  summary?: Partial<Pick<ChangeResult, 'added' | 'changed' | 'unchanged' | 'kept' | 'removed'>>;
  /** A secret written in the same transaction as the candidate (a rotation). */
  secret?: Omit<SecretRecord, 'createdAt' | 'updatedAt'>;
}

export class DesiredState {
  constructor(
    private readonly store: Store,
    private readonly loop: ControlLoop,
    private readonly registry: ImageChecker,
    private readonly registryAddr: string,
    /** Shared with the loop's automatic rollback: desired state has one writer at a time. */
    private readonly lock: Serial = new Serial(),
    private readonly o: DesiredStateOptions = {},
  ) {}

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  async deploy(req: DeployRequest): Promise<ChangeResult> {
    const spec = await (this.o.parse ?? inline)(req.source, req.file);
    throwAll([...policyProblems(spec.apps, this.o.policy ?? DEFAULT_POLICY), ...secretsDirConflicts(spec.apps)]);
    const project = resolveProject({ specName: spec.name, flag: req.project, file: req.file });
    const warnings = [...(project.warning ? [{ path: 'project', message: project.warning }] : []), ...spec.warnings];
    // plan lines pin replicas to nodes: those nodes must exist (and answer, checked below)
    const pinnedLines = (spec.lines ?? []).map((l) => ({ node: l.node, path: `${req.file}:${l.line}` }));
    this.checkKnownNodes(pinnedLines, req.file);
    await this.checkImages(spec.apps);
    await this.observed();
    this.checkNodesUp(pinnedLines);
    return this.change(req.dryRun, () => {
      const current = this.store.currentDeployment();
      const r = deployProject(current?.apps ?? [], project.name, this.stampSecrets(spec.apps), {
        prune: req.prune === true,
        file: req.file,
        strategy: spec.strategy,
      });
      return {
        candidate: { kind: spec.kind, file: req.file, source: req.source, apps: r.apps, strategy: current?.strategy ?? DEFAULT_STRATEGY },
        touched: new Set([...spec.apps.map((a) => a.name), ...r.pruned]),
        project: project.name,
        projects: { put: [{ name: project.name, kind: spec.kind, file: req.file, source: req.source }] },
        warnings,
        summary: { added: r.added, changed: r.changed, unchanged: r.unchanged, kept: r.kept, removed: r.pruned },
      };
    });
  }

  async scale(app: string, replicas: number, dryRun = false): Promise<ChangeResult> {
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) {
      throw new MatrixError('E_BAD_REQUEST', `must be an integer in 0..${MAX_REPLICAS}`, { path: 'replicas' });
    }
    await this.observed();
    return this.change(dryRun, () => {
      const current = this.requireApp(app);
      const spec = current.apps.find((a) => a.name === app)!;
      if (spec.pins) {
        throw new MatrixError('E_BAD_REQUEST', `${app} comes from a plan file and is pinned to nodes; edit ${this.fileOf(spec)} instead`, { path: 'app' });
      }
      const apps = current.apps.map((a) => (a.name === app ? { ...a, replicas } : a));
      return {
        candidate: withApps(current, apps),
        touched: new Set([app]),
        project: null,
        summary: { changed: spec.replicas === replicas ? [] : [app], unchanged: spec.replicas === replicas ? [app] : [] },
      };
    });
  }

  /** `matrix rm`: removes the named apps (all exist, or nothing changes); their projects keep the rest. */
  async removeApps(names: string[], dryRun = false): Promise<ChangeResult> {
    if (!names.length) throw new MatrixError('E_BAD_REQUEST', 'name at least one app', { path: 'apps' });
    await this.observed();
    return this.change(dryRun, () => {
      const current = this.store.currentDeployment();
      const apps = removeApps(current?.apps ?? [], names); // throws unless every name exists, so current is set below
      const left = new Set(apps.map((a) => a.project));
      const emptied = [...new Set(current!.apps.filter((a) => names.includes(a.name)).map((a) => a.project!))].filter((p) => !left.has(p));
      return {
        candidate: withApps(current!, apps),
        touched: new Set(names),
        project: null,
        projects: { drop: emptied },
        summary: { removed: [...names].sort() },
      };
    });
  }

  /** `matrix project rm`: every app of the project, and the project. */
  async removeProject(name: string, dryRun = false): Promise<ChangeResult> {
    await this.observed();
    return this.change(dryRun, () => {
      const current = this.store.currentDeployment();
      const mine = (current?.apps ?? []).filter((a) => a.project === name).map((a) => a.name);
      const known = this.store.listProjects().some((p) => p.name === name);
      if (!current || (!mine.length && !known)) {
        const all = [...new Set([...(current?.apps ?? []).map((a) => a.project!), ...this.store.listProjects().map((p) => p.name)])].sort();
        throw new MatrixError('E_NOT_FOUND', `no project named ${name} (projects: ${all.join(', ') || '(none)'})`, { path: 'project' });
      }
      const apps = current.apps.filter((a) => a.project !== name);
      return { candidate: withApps(current, apps), touched: new Set(mine), project: name, projects: { drop: [name] }, summary: { removed: mine } };
    });
  }

  /** `matrix rollback <app>`: the app's previous good revision, rolling, like a deploy. */
  async rollback(app: string): Promise<RollbackResult> {
    await this.observed();
    let from = '';
    let to = '';
    const r = await this.change(false, () => {
      const current = this.requireApp(app);
      const back = rollbackPlan(this.store, current, app);
      if (!back) throw new MatrixError('E_NOT_FOUND', `${app} has no earlier revision to roll back to`, { path: 'app' });
      throwAll(back.missingSecrets.map((m) => missingSecretError(m, `the earlier revision of ${app}`)));
      // the policy may have changed since that revision ran
      throwAll(policyProblems([back.to], this.o.policy ?? DEFAULT_POLICY));
      from = back.from.image;
      to = back.to.image;
      return { candidate: back.next, touched: new Set([app]), project: null, summary: { changed: [app] } };
    });
    return { ...r, from, to };
  }

  /** Secrets with the apps that receive them; never their values. */
  secrets(): SecretView[] {
    const apps = this.store.currentDeployment()?.apps ?? [];
    return this.store.listSecrets().map((s) => ({ ...s, usedBy: appsUsingSecret(apps, s.name) }));
  }

  /**
   * `matrix secret set`: stores the value encrypted as the secret's next version; the apps
   * that receive it roll to that version (rolling, health-gated, like a deploy).
   */
  async setSecret(name: string, value: Buffer): Promise<SecretSetResult> {
    const bad = checkSecretName(name);
    if (bad) throw new MatrixError('E_BAD_REQUEST', bad, { path: 'name' });
    const badValue = checkSecretValue(value.length);
    if (badValue) throw new MatrixError('E_BAD_REQUEST', badValue, { path: 'value' });
    const vault = this.o.vault;
    if (!vault) throw new MatrixError('E_INTERNAL', 'this manager has no secret store');
    const known = this.store.listSecrets();
    if (known.length >= SECRET_LIMITS.total && !known.some((s) => s.name === name)) {
      throw new MatrixError('E_BAD_REQUEST', `the cluster holds ${known.length} secrets, its limit; remove unused ones first (\`matrix secret ls\`)`, {
        path: 'name',
      });
    }
    const usedBy = () => appsUsingSecret(this.store.currentDeployment()?.apps ?? [], name);
    const view = (r: Omit<SecretRecord, 'createdAt' | 'updatedAt'>): SecretView => {
      const meta = this.store.listSecrets().find((s) => s.name === r.name)!;
      return { ...meta, usedBy: usedBy() };
    };
    // no app receives it: just store it, no new generation
    const alone = await this.lock.run(async () => {
      if (usedBy().length) return null;
      const record = vault.seal(name, value);
      this.store.putSecret(record, this.now());
      return record;
    });
    if (alone) return { secret: view(alone), created: alone.version === 1, change: null };
    await this.observed();
    let record: Omit<SecretRecord, 'createdAt' | 'updatedAt'> | undefined;
    const change = await this.change(false, () => {
      const current = this.store.currentDeployment()!; // apps use the secret, so there is a deployment
      record = vault.seal(name, value);
      const users = appsUsingSecret(current.apps, name);
      return {
        candidate: withApps(current, withSecretVersion(current.apps, name, record.version)),
        touched: new Set(users),
        project: null,
        secret: record,
        summary: { changed: users },
      };
    });
    return { secret: view(record!), created: record!.version === 1, change };
  }

  /** `matrix secret rm`: refused while any app receives the secret. */
  async removeSecret(name: string): Promise<{ removed: string }> {
    return this.lock.run(async () => {
      const users = appsUsingSecret(this.store.currentDeployment()?.apps ?? [], name);
      if (users.length) {
        throw new MatrixError(
          'E_SECRET_IN_USE',
          `secret ${name} is given to ${users.join(', ')}: remove it from their \`secrets:\` and deploy (or \`matrix rm\` them) first`,
          { path: 'name' },
        );
      }
      if (!this.store.removeSecret(name)) {
        const all = this.store.listSecrets().map((s) => s.name);
        throw new MatrixError('E_NOT_FOUND', `no secret named ${name} (secrets: ${all.join(', ') || '(none)'})`, { path: 'name' });
      }
      return { removed: name };
    });
  }

  history(app: string): AppRevisionEntry[] {
    const h = appHistory(app, appHistoryDeployments(this.store), failedRevisions(this.store, app));
    if (!h.length) throw new MatrixError('E_NOT_FOUND', `no app named ${app} in the deployment history`);
    return h;
  }

  /**
   * Under the lock: build the change from the current desired state, plan it on the latest
   * snapshot, and unless dry-run record it; then (outside the lock) wait for the loop's pass.
   */
  private async change(dryRun: boolean, build: () => Change): Promise<ChangeResult> {
    const { c, plan, generation } = await this.lock.run(async () => {
      const c = build();
      const generation = (this.store.currentDeployment()?.generation ?? 0) + 1;
      const plan = this.loop.plan({ ...c.candidate, generation });
      if (dryRun) return { c, plan, generation: null };
      const saved = c.secret ? this.store.putSecret(c.secret, this.now(), c.candidate)! : this.store.saveDeployment(c.candidate, this.now(), c.projects);
      return { c, plan, generation: saved.generation };
    });
    const base = result(c, plan, dryRun, generation);
    if (generation !== null) this.tell(c, generation);
    if (generation === null) return { ...base, actions: plan.actions.filter((a) => c.touched.has(appOf(a))).map(describeAction) };
    const pass = await this.waitForPass(generation);
    return pass ? withPass(base, c, pass) : { ...base, pending: true };
  }

  private tell(c: Change, generation: number): void {
    const spec = new Map(c.candidate.apps.map((a) => [a.name, a]));
    const say = (app: string, what: string) => {
      const a = spec.get(app);
      const detail = a ? `: ${a.replicas} × ${a.image}` : '';
      this.o.events?.add({
        kind: 'deploy',
        subject: app,
        app,
        message: `${app} ${what} (generation ${generation})${detail}`,
        data: { generation: String(generation) },
      });
    };
    for (const app of c.summary?.added ?? []) say(app, 'added');
    for (const app of c.summary?.changed ?? []) say(app, 'changed');
    for (const app of c.summary?.removed ?? []) say(app, 'removed');
  }

  private waitForPass(generation: number): Promise<PassReport | null> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(null), this.o.passTimeoutMs ?? 120_000);
      t.unref?.();
      void this.loop.passAfter(generation).then((r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
  }

  /** Decisions need an observed cluster: right after a manager start, wait for the first pass. */
  private async observed(): Promise<void> {
    if (!this.loop.observedOnce()) await this.loop.passAfter(0);
  }

  private requireApp(app: string): Deployment {
    const current = this.store.currentDeployment();
    if (!current?.apps.some((a) => a.name === app)) {
      throw new MatrixError('E_NOT_FOUND', `no app named ${app}${current ? ` (apps: ${current.apps.map((a) => a.name).join(', ') || '(none)'})` : ''}`, {
        path: 'app',
      });
    }
    return current;
  }

  /** The apps with each secret reference at the store's current version; a missing secret refuses the deploy. */
  private stampSecrets(apps: AppSpec[]): AppSpec[] {
    const r = stampSecretVersions(apps, secretVersions(this.store));
    throwAll(r.missing.map((m) => missingSecretError(m, `app ${m.app}`, apps.find((a) => a.name === m.app)?.source)));
    return r.apps;
  }

  private fileOf(spec: AppSpec): string {
    return this.store.listProjects().find((p) => p.name === spec.project)?.file ?? spec.source ?? 'its plan file';
  }

  private checkKnownNodes(lines: { node: string; path: string }[], file: string): void {
    const known = this.store.listNodes().map((n) => n.name);
    const problems = lines
      .filter((l) => !known.includes(l.node))
      .map((l) => new MatrixError('E_UNKNOWN_NODE', `unknown node "${l.node}"; the cluster has: ${known.join(', ') || '(no nodes)'}`, { path: l.path }));
    if (problems.length) throw problemsError(file, problems);
  }

  private checkNodesUp(lines: { node: string; path: string }[]): void {
    const down = new Set(
      this.loop
        .snapshot()
        .nodes.filter((n) => n.state === 'down')
        .map((n) => n.name),
    );
    throwAll(
      lines
        .filter((l) => down.has(l.node))
        .map((l) => new MatrixError('E_NODE_DOWN', `node ${l.node} does not answer; nothing was deployed`, { path: l.path })),
    );
  }

  private async checkImages(apps: AppSpec[]): Promise<void> {
    const problems: MatrixError[] = [];
    const seen = new Set<string>();
    for (const app of apps) {
      const image = resolveImage(app.image, this.registryAddr);
      if (seen.has(image)) continue;
      seen.add(image);
      const { registry, repo, tag } = splitImage(image, this.registryAddr);
      if (registry !== this.registryAddr) {
        // nodes would pull code from elsewhere: only registries the cluster lists are trusted
        if (this.o.allowedRegistries?.includes(registry)) continue;
        problems.push(
          new MatrixError(
            'E_POLICY_DENIED',
            `image ${image} comes from ${registry}, not the cluster registry ${this.registryAddr}; push it there, or list ${registry} in allowedRegistries (manager.json)`,
            {
              path: `${app.source ?? `apps.${app.name}`}.image`,
            },
          ),
        );
        continue;
      }
      if (await this.registry.manifestExists(repo, tag)) continue;
      problems.push(
        new MatrixError(
          'E_IMAGE_NOT_FOUND',
          `image ${image} is not in the cluster registry (push it first, e.g. \`matrix images sample\` for the sample apps)`,
          {
            ...(app.source ? { path: app.source } : {}),
          },
        ),
      );
    }
    throwAll(problems);
  }
}

async function inline(source: string, file: string): Promise<LoadedSpec> {
  // loaded when used: the manager parses in its worker and never needs the parsers (YAML's ~70 modules) here
  const { loadSpec } = await import('../../core/appspec/load-spec.ts');
  return loadSpec(source, file);
}

function appOf(a: Action): string {
  return a.kind === 'start' ? a.replica.app : a.app;
}

function result(c: Change, plan: DeploymentPlan, dryRun: boolean, generation: number | null): ChangeResult {
  const mine = <T extends { app: string }>(xs: T[]) => xs.filter((x) => c.touched.has(x.app));
  return {
    project: c.project,
    dryRun,
    generation,
    actions: [],
    blocked: plan.blocked.filter((b) => c.touched.has(b.app)),
    unplaced: mine(plan.unplaced).map((u) => ({ app: u.app, slot: u.slot, message: u.message })),
    warnings: c.warnings ?? [],
    failed: [],
    replicas: mine(plan.desired).length,
    added: c.summary?.added ?? [],
    changed: c.summary?.changed ?? [],
    unchanged: c.summary?.unchanged ?? [],
    kept: c.summary?.kept ?? [],
    removed: c.summary?.removed ?? [],
    pending: false,
  };
}

/** The pass's own outcome for the touched apps: what it drained, did and failed, and what waits. */
function withPass(base: ChangeResult, c: Change, pass: PassReport): ChangeResult {
  const touched = (a: Action) => c.touched.has(appOf(a));
  return {
    ...base,
    actions: [...pass.drained, ...pass.done].filter(touched).map(describeAction),
    failed: pass.failed.filter((f) => touched(f.action)).map((f) => ({ action: describeAction(f.action), error: f.error })),
    ...(pass.plan ? { blocked: pass.plan.blocked.filter((b) => c.touched.has(b.app)) } : {}),
  };
}

function missingSecretError(m: MissingSecret, who: string, source?: string): MatrixError {
  return new MatrixError('E_NOT_FOUND', `${who} needs secret ${m.name}, which does not exist: create it with \`matrix secret set ${m.name}\``, {
    path: `${source ?? `apps.${m.app}`}.secrets[${m.index}]`,
  });
}

function throwAll(problems: MatrixError[]): void {
  if (!problems.length) return;
  const first = problems[0]!;
  if (problems.length === 1) throw first;
  throw new MatrixError(first.code, `${problems.length} problems`, { details: problems });
}
