/**
 * `matrix deploy` and `matrix scale`: validate everything first (spec, nodes, images, node
 * health, every image pulled onto its node), and only then record the new desired state
 * and act. A deploy that fails validation changes nothing on the nodes or in the store.
 */
import { MatrixError } from '../../core/errors.ts';
import type { AppSpec } from '../../core/model.ts';
import { appHistory, appsWithPreviousRevision, type AppRevisionEntry } from '../../core/app-revision.ts';
import { describeAction } from '../../core/reconcile/reconcile.ts';
import type { DeploymentPlan } from '../../core/reconcile/plan-deployment.ts';
import { loadSpec, type SpecWarning } from '../../core/appspec/load-spec.ts';
import { problemsError } from '../../core/appspec/plan.ts';
import { resolveImage, splitImage } from '../../core/appspec/image-ref.ts';
import type { Cluster } from './cluster.ts';
import { failedRevisions } from './failed-revisions.ts';
import { withApps, type Deployment, type Store } from '../store/store.ts';

export interface ImageChecker {
  manifestExists(repo: string, tag: string): Promise<boolean>;
}

export interface DeployRequest {
  file: string;
  source: string;
  dryRun: boolean;
}

export interface DeployResult {
  dryRun: boolean;
  generation: number | null;
  actions: string[];
  blocked: { id: string; node: string; reason: string }[];
  unplaced: { app: string; slot: number; message: string }[];
  warnings: SpecWarning[];
  failed: { action: string; error: string }[];
  replicas: number;
}

export const MAX_REPLICAS = 10_000;
const ROLLBACK_HISTORY = 100;

export class Deployer {
  constructor(
    private readonly store: Store,
    private readonly cluster: Cluster,
    private readonly registry: ImageChecker,
    private readonly registryAddr: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async deploy(req: DeployRequest): Promise<DeployResult> {
    const spec = loadSpec(req.source, req.file);
    const apps = spec.apps;
    // plan lines pin replicas to nodes: those nodes must exist (and answer, checked below)
    const pinnedLines = (spec.lines ?? []).map((l) => ({ node: l.node, path: `${req.file}:${l.line}` }));
    this.checkKnownNodes(pinnedLines, req.file);
    await this.checkImages(apps);
    const current = this.store.currentDeployment();
    const candidate = {
      kind: spec.kind,
      file: req.file,
      source: req.source,
      apps,
      strategy: spec.strategy ?? current?.strategy ?? 'spread',
    } satisfies Omit<Deployment, 'generation' | 'createdAt'>;
    return this.cluster.exclusive(async () => {
      await this.cluster.refresh();
      this.checkNodesUp(pinnedLines);
      return this.apply(candidate, req.dryRun, spec.warnings);
    });
  }

  async scale(app: string, replicas: number, dryRun = false): Promise<DeployResult> {
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) {
      throw new MatrixError('E_BAD_REQUEST', `must be an integer in 0..${MAX_REPLICAS}`, { path: 'replicas' });
    }
    return this.cluster.exclusive(async () => {
      const current = this.store.currentDeployment();
      const spec = current?.apps.find((a) => a.name === app);
      if (!current || !spec) throw new MatrixError('E_NOT_FOUND', `no app named ${app}${current ? ` (apps: ${current.apps.map((a) => a.name).join(', ')})` : ''}`);
      if (spec.pins) {
        throw new MatrixError('E_BAD_REQUEST', `${app} comes from a plan file and is pinned to nodes; edit ${current.file} instead`, { path: 'app' });
      }
      await this.cluster.refresh();
      return this.apply(withApps(current, current.apps.map((a) => (a.name === app ? { ...a, replicas } : a))), dryRun, []);
    });
  }

  /** `matrix rollback <app>`: the app's previous revision, as a new deployment. */
  async rollback(app: string): Promise<DeployResult & { from: string; to: string }> {
    return this.cluster.exclusive(async () => {
      const current = this.store.currentDeployment();
      if (!current?.apps.some((a) => a.name === app)) throw new MatrixError('E_NOT_FOUND', `no app named ${app}`);
      const back = appsWithPreviousRevision(current, app, this.store.deploymentHistory(ROLLBACK_HISTORY), failedRevisions(this.store, app));
      if (!back) throw new MatrixError('E_NOT_FOUND', `${app} has no earlier revision to roll back to`, { path: 'app' });
      await this.cluster.refresh();
      const r = await this.apply(withApps(current, back.apps), false, []);
      return { ...r, from: back.from.image, to: back.to.image };
    });
  }

  history(app: string): AppRevisionEntry[] {
    const h = appHistory(app, this.store.deploymentHistory(ROLLBACK_HISTORY), failedRevisions(this.store, app));
    if (!h.length) throw new MatrixError('E_NOT_FOUND', `no app named ${app} in the deployment history`);
    return h;
  }

  /** Inside `exclusive`, after a refresh: plan, and unless dry-run, pull, record, act. */
  private async apply(candidate: Omit<Deployment, 'generation' | 'createdAt'>, dryRun: boolean, warnings: SpecWarning[]): Promise<DeployResult> {
    const generation = (this.store.currentDeployment()?.generation ?? 0) + 1;
    const plan = this.cluster.plan({ ...candidate, generation, createdAt: '' });
    const result = summary(plan, dryRun, warnings);
    if (dryRun) return result;
    try {
      // pulls are the step most likely to fail: do them all before stopping anything
      await this.cluster.pullAll(plan.actions);
    } catch (e) {
      throw new MatrixError('E_DEPLOY_FAILED', `${(e as Error).message}; nothing was changed`);
    }
    const saved = this.store.saveDeployment(candidate, this.now());
    this.cluster.savePlacements(plan.placements);
    this.cluster.remember(plan);
    const report = await this.cluster.execute(plan.actions);
    await this.cluster.refresh();
    await this.cluster.syncIngress();
    return { ...result, generation: saved.generation, failed: report.failed };
  }

  private checkKnownNodes(lines: { node: string; path: string }[], file: string): void {
    const known = this.store.listNodes().map((n) => n.name);
    const problems = lines
      .filter((l) => !known.includes(l.node))
      .map((l) => new MatrixError('E_UNKNOWN_NODE', `unknown node "${l.node}"; the cluster has: ${known.join(', ') || '(no nodes)'}`, { path: l.path }));
    if (problems.length) throw problemsError(file, problems);
  }

  private checkNodesUp(lines: { node: string; path: string }[]): void {
    const down = new Set(this.cluster.nodeStatuses().filter((n) => n.state === 'down').map((n) => n.name));
    const problems = lines
      .filter((l) => down.has(l.node))
      .map((l) => new MatrixError('E_NODE_DOWN', `node ${l.node} does not answer; nothing was deployed`, { path: l.path }));
    throwAll(problems);
  }

  private async checkImages(apps: AppSpec[]): Promise<void> {
    const problems: MatrixError[] = [];
    const seen = new Set<string>();
    for (const app of apps) {
      const image = resolveImage(app.image, this.registryAddr);
      if (seen.has(image)) continue;
      seen.add(image);
      const { repo, tag } = splitImage(image, this.registryAddr);
      if (await this.registry.manifestExists(repo, tag)) continue;
      problems.push(
        new MatrixError('E_IMAGE_NOT_FOUND', `image ${image} is not in the cluster registry (push it first, e.g. \`matrix images sample\` for the sample apps)`, {
          ...(app.source ? { path: app.source } : {}),
        }),
      );
    }
    throwAll(problems);
  }
}

function summary(plan: DeploymentPlan, dryRun: boolean, warnings: SpecWarning[]): DeployResult {
  return {
    dryRun,
    generation: null,
    actions: plan.actions.map(describeAction),
    blocked: plan.blocked,
    unplaced: plan.unplaced.map((u) => ({ app: u.app, slot: u.slot, message: u.message })),
    warnings,
    failed: [],
    replicas: plan.desired.length,
  };
}

function throwAll(problems: MatrixError[]): void {
  if (!problems.length) return;
  const first = problems[0]!;
  if (problems.length === 1) throw first;
  throw new MatrixError(first.code, `${problems.length} problems`, { details: problems });
}

