/**
 * `matrix deploy`: validate everything first (plan syntax, nodes, images, node health,
 * every image pulled onto its node), and only then record the new desired state and act.
 * A deploy that fails validation changes nothing on the nodes and nothing in the store.
 */
import { MatrixError } from '../../core/errors.ts';
import { parsePlan } from '../../core/spec/plan.ts';
import { imagesOf, planToDesired } from '../../core/spec/desired.ts';
import { describeAction, reconcile } from '../../core/reconcile/reconcile.ts';
import type { DesiredReplica } from '../../core/model.ts';
import type { Cluster } from './cluster.ts';
import type { Store } from '../store/store.ts';

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
  replicas: number;
}

export class Deployer {
  constructor(
    private readonly store: Store,
    private readonly cluster: Cluster,
    private readonly registry: ImageChecker,
    private readonly registryAddr: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async deploy(req: DeployRequest): Promise<DeployResult> {
    const lines = parsePlan(req.source, req.file);
    const desired = planToDesired(lines, { registry: this.registryAddr, nodes: this.store.listNodes(), file: req.file });
    await this.checkImages(desired);
    return this.cluster.exclusive(async () => {
      await this.cluster.refresh();
      this.checkNodesUp(desired);
      const { actions, blocked } = reconcile(desired, this.cluster.observedReplicas(), this.cluster.nodeStatuses());
      const result = { dryRun: req.dryRun, generation: null, actions: actions.map(describeAction), blocked, replicas: desired.length };
      if (req.dryRun) return result;
      // pulls are the step most likely to fail: do them all before stopping anything
      await this.cluster.pullAll(actions);
      const saved = this.store.saveDeployment({ file: req.file, source: req.source, replicas: desired }, this.now());
      await this.cluster.execute(actions);
      await this.cluster.refresh();
      await this.cluster.syncIngress();
      return { ...result, generation: saved.generation };
    });
  }

  private async checkImages(desired: DesiredReplica[]): Promise<void> {
    const problems: MatrixError[] = [];
    for (const image of imagesOf(desired)) {
      const { repo, tag } = splitImage(image, this.registryAddr);
      if (await this.registry.manifestExists(repo, tag)) continue;
      const first = desired.find((d) => d.image === image);
      problems.push(
        new MatrixError('E_IMAGE_NOT_FOUND', `image ${image} is not in the cluster registry (push it first, e.g. \`matrix images sample\` for the sample apps)`, {
          ...(first?.source ? { path: first.source } : {}),
        }),
      );
    }
    throwAll(problems);
  }

  private checkNodesUp(desired: DesiredReplica[]): void {
    const down = new Set(this.cluster.nodeStatuses().filter((n) => n.state === 'down').map((n) => n.name));
    const problems = desired
      .filter((d) => down.has(d.node))
      .map((d) => new MatrixError('E_NODE_DOWN', `node ${d.node} does not answer; nothing was deployed`, { ...(d.source ? { path: d.source } : {}) }));
    throwAll(problems);
  }
}

export function splitImage(image: string, registryAddr: string): { repo: string; tag: string } {
  const rest = image.startsWith(registryAddr + '/') ? image.slice(registryAddr.length + 1) : image;
  const at = rest.lastIndexOf(':');
  return at > 0 ? { repo: rest.slice(0, at), tag: rest.slice(at + 1) } : { repo: rest, tag: 'latest' };
}

function throwAll(problems: MatrixError[]): void {
  if (!problems.length) return;
  const first = problems[0]!;
  if (problems.length === 1) throw first;
  throw new MatrixError(first.code, `${problems.length} problems`, { details: problems });
}
