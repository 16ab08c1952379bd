/**
 * The control loop. Every tick (and at once when an engine reports a container event) it
 * reads observed state from the nodes, routes the ingress to what really runs, schedules
 * the stored desired state onto healthy nodes, and converges the nodes toward it.
 * Level-triggered: it only ever compares desired with observed, so a restarted manager, a
 * lost event or a repeated tick changes nothing that is already right.
 */
import type { Logger } from 'pino';
import type { Action, HealthCheck, NodeStatus, ObservedReplica, Placement, Route, SchedNode } from '../../core/model.ts';
import type { AppIngress } from '../../core/ingress/vcl.ts';
import { renderVcl } from '../../core/ingress/vcl.ts';
import { Serial } from '../../util/serial.ts';
import type { EngineFactory, EngineInfo, NodeEngine } from '../nodes/engine.ts';
import { withApps, type Store, type StoredNode } from '../store/store.ts';
import { planDeployment, type DeploymentPlan } from '../../core/reconcile/plan-deployment.ts';
import type { Deployment } from '../store/store.ts';
import { backgroundStops, executeActions, type ExecuteReport } from './execute.ts';
import { appRevision, appsWithPreviousRevision } from '../../core/app-revision.ts';
import { failedRevisions, markFailed } from './failed-revisions.ts';
import { httpProbe, type HealthProbe } from '../nodes/health-probe.ts';
import type { RolloutState } from '../../core/reconcile/rollout.ts';
import { ReplicaMemory } from './replica-memory.ts';

const ROLLBACK_HISTORY = 100;

export interface Ingress {
  apply(vcl: string): Promise<boolean>;
}

export interface ClusterDeps {
  store: Store;
  engines: EngineFactory;
  ingress: Ingress;
  log: Logger;
  registry: string;
  /** How long a ping may take before the node counts as down. */
  pingTimeoutMs?: number;
  /** Apps answer at `<app>.<domain>` too (host routing); undefined: path routing only. */
  domain?: string;
  /** The replica health check; the sim driver passes its own. */
  probe?: HealthProbe;
  now?: () => number;
}

export interface RollbackRecord {
  app: string;
  reason: string;
  fromImage: string;
  toImage: string;
  at: string;
}

export class Cluster {
  private readonly serial = new Serial();
  private nodeStates = new Map<string, NodeStatus>();
  private infos = new Map<string, EngineInfo>();
  private observed: ObservedReplica[] = [];
  private lastPlan: DeploymentPlan | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private inTick = false;
  private kicked = false;
  private intervalMs = 500;
  private readonly engineCache = new Map<string, NodeEngine>();
  private readonly watches = new Map<string, () => void>();
  private readonly pulled = new Set<string>();
  private readonly stopping = new Set<string>();
  private readonly memory: ReplicaMemory;
  private readonly rollbacks: RollbackRecord[] = [];

  constructor(private readonly deps: ClusterDeps) {
    this.memory = new ReplicaMemory(deps.probe ?? httpProbe);
  }

  engine(node: StoredNode | NodeStatus): NodeEngine {
    const key = `${node.name}@${node.address}:${node.enginePort}`;
    let e = this.engineCache.get(key);
    if (!e) {
      e = this.deps.engines(node);
      this.engineCache.set(key, e);
    }
    return e;
  }

  /** Exclusive access to the nodes for the deployer, so it never races the loop. */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    return this.serial.run(job);
  }

  start(intervalMs = 500): void {
    this.running = true;
    this.intervalMs = intervalMs;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), ms);
  }

  private async loop(): Promise<void> {
    this.timer = null;
    this.inTick = true;
    this.kicked = false;
    try {
      await this.tick();
    } catch (e) {
      this.deps.log.error({ err: e }, 'control loop tick failed');
    } finally {
      this.inTick = false;
    }
    if (this.running) this.schedule(this.kicked ? 0 : this.intervalMs);
  }

  /** Something changed on a node: run the next tick now instead of at the next interval. */
  kick(): void {
    if (!this.running) return;
    if (this.inTick) this.kicked = true;
    else this.schedule(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const unwatch of this.watches.values()) unwatch();
    this.watches.clear();
  }

  tick(): Promise<void> {
    return this.serial.run(async () => {
      await this.refresh();
      await this.syncIngress();
      const report = await this.converge();
      if (report.done > 0) {
        await this.refresh();
        await this.syncIngress();
      }
    });
  }

  /** Reads node health and the containers of every answering node. Call inside `exclusive`. */
  async refresh(): Promise<void> {
    const nodes = this.deps.store.listNodes();
    const timeout = this.deps.pingTimeoutMs ?? 800;
    const results = await Promise.all(
      nodes.map(async (n) => {
        const e = this.engine(n);
        try {
          if (!(await e.ping(timeout))) return { n, up: false, observed: [] as ObservedReplica[] };
          if (!this.infos.has(n.name)) this.infos.set(n.name, await e.info());
          return { n, up: true, observed: await e.listManaged() };
        } catch {
          return { n, up: false, observed: [] as ObservedReplica[] };
        }
      }),
    );
    const next = new Map<string, NodeStatus>();
    for (const r of results) {
      const before = this.nodeStates.get(r.n.name)?.state;
      const state = r.up ? 'up' : 'down';
      if (before !== state) {
        this.deps.log.info({ node: r.n.name, state }, `node ${r.n.name} is ${state}`);
        this.onNodeStateChange(r.n, state);
      }
      next.set(r.n.name, { name: r.n.name, address: r.n.address, enginePort: r.n.enginePort, state });
    }
    this.nodeStates = next;
    this.observed = results.flatMap((r) => r.observed);
    await this.memory.observe(this.observed, this.nodeStates, this.deps.store.currentDeployment()?.apps ?? [], this.now());
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  rolloutState(): RolloutState {
    return this.memory.state(this.now());
  }

  rollbackLog(): readonly RollbackRecord[] {
    return this.rollbacks;
  }

  private onNodeStateChange(n: StoredNode | NodeStatus, state: 'up' | 'down'): void {
    this.watches.get(n.name)?.();
    this.watches.delete(n.name);
    for (const key of [...this.pulled]) if (key.startsWith(`${n.name} `)) this.pulled.delete(key);
    if (state === 'down') {
      this.infos.delete(n.name); // capacity and labels are read again when it returns
      return;
    }
    const e = this.engine(n);
    if (!e.watch || !this.running) return;
    e.watch(() => this.kick(), () => this.kick())
      .then((unwatch) => this.watches.set(n.name, unwatch))
      .catch(() => undefined);
  }

  /** Backends for the ingress: running replicas on answering nodes, minus those about to stop. */
  routes(leaving: ReadonlySet<string> = new Set()): Route[] {
    return this.routed(leaving).map((r) => r.route);
  }

  private routed(leaving: ReadonlySet<string>): { route: Route; health: HealthCheck | undefined }[] {
    const routes: { route: Route; health: HealthCheck | undefined }[] = [];
    for (const o of this.observed) {
      const n = this.nodeStates.get(o.node);
      if (!n || n.state !== 'up' || o.state !== 'running' || o.hostPort === null || leaving.has(o.containerId)) continue;
      // in only once healthy; out as soon as it is draining
      if (!this.memory.routable(o.containerId)) continue;
      routes.push({ route: { app: o.app, node: o.node, address: n.address, port: o.hostPort }, health: o.health });
    }
    return routes;
  }

  async syncIngress(leaving: ReadonlySet<string> = new Set()): Promise<void> {
    const routed = this.routed(leaving);
    const routes = routed.map((r) => r.route);
    const changed = await this.deps.ingress.apply(renderVcl(routes, { ...(this.deps.domain ? { domain: this.deps.domain } : {}) }, ingressSettings(routed)));
    if (changed) this.deps.log.info({ routes: routes.length }, 'ingress updated');
  }

  nodeStatuses(): NodeStatus[] {
    return this.deps.store.listNodes().map((n) => this.nodeStates.get(n.name) ?? { name: n.name, address: n.address, enginePort: n.enginePort, state: 'down' as const });
  }

  schedNodes(): SchedNode[] {
    return this.deps.store.listNodes().map((n) => {
      const info = this.infos.get(n.name);
      return {
        name: n.name,
        up: this.nodeStates.get(n.name)?.state === 'up',
        labels: { ...(info?.labels ?? {}), ...n.labels },
        capacity: info?.capacity ?? { cpus: 0, memoryMb: 0 },
      };
    });
  }

  observedReplicas(): ObservedReplica[] {
    return this.observed;
  }

  /** The last plan the loop computed: placements, unplaced replicas with reasons, actions. */
  latestPlan(): DeploymentPlan | null {
    return this.lastPlan;
  }

  /** The deployer's plan becomes the latest one, so status routes see a rollout at once. */
  remember(p: DeploymentPlan): void {
    this.lastPlan = p;
  }

  /** What converging `d` would do now, without doing it. */
  plan(d: Deployment): DeploymentPlan {
    return planDeployment({
      deployment: d,
      nodes: this.schedNodes(),
      statuses: this.nodeStatuses(),
      existing: this.deps.store.listPlacements(),
      observed: this.observed,
      registry: this.deps.registry,
      rollout: this.rolloutState(),
    });
  }

  /** Brings nodes to the stored desired state. Call inside `exclusive` (tick does). */
  async converge(): Promise<ExecuteReport> {
    const d = this.deps.store.currentDeployment();
    if (!d) return { done: 0, failed: [] };
    const p = this.plan(d);
    this.lastPlan = p;
    if (p.failing.length) {
      for (const f of p.failing) this.rollback(d, f.app, f.reason);
      return { done: 0, failed: [] }; // the next tick works toward the rolled-back revision
    }
    this.savePlacements(p.placements);
    // a container being stopped in the background is already on its way out
    return this.execute(p.actions.filter((a) => a.kind === 'start' || !this.stopping.has(a.containerId)));
  }

  /** Records a deployment with `app` back at its previous revision. Call inside `exclusive`. */
  rollback(current: Deployment, app: string, reason: string): RollbackRecord | null {
    const failing = current.apps.find((a) => a.name === app);
    if (failing) markFailed(this.deps.store, app, appRevision(failing));
    const back = appsWithPreviousRevision(current, app, this.deps.store.deploymentHistory(ROLLBACK_HISTORY), failedRevisions(this.deps.store, app));
    if (!back) {
      this.deps.log.error({ app, reason }, `rollout of ${app} fails and there is no earlier revision to roll back to`);
      return null;
    }
    this.deps.store.saveDeployment(withApps(current, back.apps), new Date(this.now()));
    const rec = { app, reason, fromImage: back.from.image, toImage: back.to.image, at: new Date(this.now()).toISOString() };
    this.rollbacks.push(rec);
    this.deps.log.warn(rec, `rolled ${app} back: ${reason}`);
    return rec;
  }

  savePlacements(next: Placement[]): void {
    const before = new Map(this.deps.store.listPlacements().map((p) => [`${p.app}\0${p.slot}`, p]));
    const put: Placement[] = [];
    for (const p of next) {
      const key = `${p.app}\0${p.slot}`;
      const old = before.get(key);
      before.delete(key);
      if (!old || old.node !== p.node || old.hostPort !== p.hostPort) put.push(p);
    }
    const drop = [...before.values()];
    if (put.length || drop.length) this.deps.store.updatePlacements(put, drop);
  }

  /** Pulls every image the starts need onto their nodes; throws on the first failure. */
  async pullAll(actions: Action[]): Promise<void> {
    const wanted = new Map<string, { node: NodeStatus; image: string }>();
    for (const a of actions) {
      if (a.kind !== 'start') continue;
      const node = this.nodeStates.get(a.replica.node);
      const key = `${a.replica.node} ${a.replica.image}`;
      if (node && !this.pulled.has(key)) wanted.set(key, { node, image: a.replica.image });
    }
    await Promise.all(
      [...wanted.entries()].map(async ([key, { node, image }]) => {
        await this.engine(node).pull(image);
        this.pulled.add(key);
      }),
    );
  }

  async execute(actions: Action[]): Promise<ExecuteReport> {
    if (!actions.length) return { done: 0, failed: [] };
    await this.pullAll(actions).catch((e) => this.deps.log.warn({ err: e }, 'pull failed'));
    // drains only take a replica out of the ingress: its requests finish before a later stop
    const now = this.now();
    let drained = 0;
    for (const a of actions) {
      if (a.kind !== 'drain') continue;
      this.memory.drain(a.containerId, now);
      this.deps.log.info({ node: a.node, replica: a.id, container: a.containerId.slice(0, 12), reason: a.reason }, 'draining replica');
      drained++;
    }
    // and whatever stops leaves the ingress before it stops, not after
    const leaving = new Set(actions.flatMap((a) => (a.kind === 'stop' ? [a.containerId] : [])));
    if (leaving.size || drained) await this.syncIngress(leaving);
    for (const a of actions) if (a.kind === 'stop') this.memory.stopped(a.app, a.containerId, now);
    const engineOf = (name: string) => {
      const n = this.nodeStates.get(name);
      return n && n.state === 'up' ? this.engine(n) : null;
    };
    const { now: awaited, later } = backgroundStops(actions.filter((a) => a.kind !== 'drain'));
    this.stopInBackground(later, engineOf);
    const report = await executeActions(awaited, engineOf, this.deps.log);
    for (const f of report.failed) this.deps.log.warn({ action: f.action, error: f.error }, 'action failed');
    return { done: report.done + drained + later.length, failed: report.failed };
  }

  /**
   * A stop can take the container's whole grace period (an engine that just restarted is
   * slow to answer, too): the loop does not wait for stops nothing else needs. The
   * container is left alone by later ticks until its stop returns.
   */
  private stopInBackground(stops: Action[], engineOf: (node: string) => NodeEngine | null): void {
    for (const a of stops) {
      if (a.kind !== 'stop' || this.stopping.has(a.containerId)) continue;
      this.stopping.add(a.containerId);
      void executeActions([a], engineOf, this.deps.log)
        .then((r) => r.failed.forEach((f) => this.deps.log.warn({ action: f.action, error: f.error }, 'action failed')))
        .finally(() => {
          this.stopping.delete(a.containerId);
          this.kick();
        });
    }
  }
}

/**
 * Varnish probes an app's backends with the app's check. Mid-rollout, routed replicas of
 * two revisions may carry different checks: then the app keeps the default probe rather
 * than judging one revision by the other's check.
 */
export function ingressSettings(routed: { route: Route; health: HealthCheck | undefined }[]): Record<string, AppIngress> {
  const byApp = new Map<string, (HealthCheck | undefined)[]>();
  for (const r of routed) byApp.set(r.route.app, [...(byApp.get(r.route.app) ?? []), r.health]);
  const out: Record<string, AppIngress> = {};
  for (const [app, checks] of byApp) {
    const first = checks[0];
    if (!first || checks.some((c) => JSON.stringify(c) !== JSON.stringify(first))) continue;
    out[app] = { probe: { path: first.path, intervalS: first.intervalS, timeoutS: first.timeoutS, window: first.window, threshold: first.threshold } };
  }
  return out;
}
