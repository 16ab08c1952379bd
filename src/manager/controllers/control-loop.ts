/**
 * The control loop, in three parts: observe (NodeMonitor -> an immutable ClusterSnapshot),
 * decide (the pure planDeployment on snapshot + stored desired state), act (Executor). After
 * each observation and each drain it publishes the state to its consumers (ConsumerRunner),
 * which apply it on their own time: converging never waits on a consumer.
 *
 * Level-triggered: a pass compares desired with observed only, so a restarted manager, a
 * lost event or a repeated pass changes nothing that is already right. It runs every
 * interval, at once when an engine reports a container event, and when the API records new
 * desired state (`passAfter`). Nothing else acts on the engines.
 */
import type { Logger } from 'pino';
import { DEFAULT_STRATEGY } from '../../core/defaults.ts';
import type { Action, DesiredReplica, Placement } from '../../core/model.ts';
import { planDeployment, type DeploymentPlan } from '../../core/reconcile/plan-deployment.ts';
import type { RolloutState } from '../../core/reconcile/rollout.ts';
import { describeAction } from '../../core/reconcile/reconcile.ts';
import { startReason, type NodeFacts } from '../../core/reconcile/start-reason.ts';
import type { ClusterMetrics } from '../metrics/metrics.ts';
import {
  EMPTY_SNAPSHOT,
  nodeStatuses,
  routedReplicas,
  schedNodes,
  warmingReplicas,
  type ClusterSnapshot,
  type PublishedState,
  type RoutedReplica,
} from '../../core/snapshot.ts';
import { Serial } from '../../util/serial.ts';
import type { EngineFactory, NodeEngine } from '../nodes/engine.ts';
import { hasVolumes } from '../../core/scheduler/existing.ts';
import { httpProbe, type HealthProbe } from '../nodes/health-probe.ts';
import type { Deployment, Store } from '../store/store.ts';
import type { ConsumerRunner, ConsumerStatus } from './consumers.ts';
import type { ClusterEvent, EventLog } from './event-log.ts';
import { Executor } from './executor.ts';
import { NodeMonitor, type EngineHealth } from './node-monitor.ts';
import { failRollout } from './rollback.ts';
import { RolloutMemory } from './rollout-memory.ts';

export interface ControlLoopDeps {
  store: Store;
  engines: EngineFactory;
  consumers: ConsumerRunner[];
  events: EventLog;
  log: Logger;
  /** Full image references are `<registry>/<repo>`. */
  registry: string;
  /** Held while desired state is read and written: the API's changes and the loop's rollbacks never interleave. */
  desiredLock: Serial;
  /** How long a ping may take before the node counts as down. */
  pingTimeoutMs?: number;
  /** The replica health check; the sim driver passes its own. */
  probe?: HealthProbe;
  /** Where pass durations, failed passes and health-check results are counted (metrics/metrics.ts). */
  metrics?: Pick<ClusterMetrics, 'observePass' | 'observePlan' | 'loopError' | 'healthCheck'>;
  now?: () => number;
}

/** What one pass did, as data: the API's deploy answer is built from it. */
export interface PassReport {
  /** The desired-state generation the pass worked on (0: nothing deployed). */
  generation: number;
  plan: DeploymentPlan | null;
  drained: Action[];
  done: Action[];
  failed: { action: Action; error: string }[];
  /** Apps whose failing rollout this pass rolled back. */
  rolledBack: string[];
}

const ROUTED_KEY = 'ingress.routed';
/** While a container started less than STARTING_MS ago is not healthy yet, passes come every STARTING_PASS_MS. */
const STARTING_MS = 5_000;
const STARTING_PASS_MS = 100;

/** The stored routed set; anything unreadable counts as empty (only replicas of the desired state are routed then). */
function loadRouted(raw: string | null): ReadonlySet<string> {
  try {
    const v: unknown = raw === null ? [] : JSON.parse(raw);
    return new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

export class ControlLoop {
  private readonly serial = new Serial();
  private readonly monitor: NodeMonitor;
  private readonly executor: Executor;
  private readonly memory = new RolloutMemory();
  private snap: ClusterSnapshot = EMPTY_SNAPSHOT;
  private lastPlan: DeploymentPlan | null = null;
  private published: PublishedState = { snapshot: EMPTY_SNAPSHOT, routes: [], version: 0, generation: 0, apps: [], warming: [] };
  /** The desired generation the current pass works on, and its apps. */
  private generation = 0;
  private apps: readonly string[] = [];
  private pinnedApps: ReadonlySet<string> = new Set();
  /** Container ids the last publication routed: they stay routed until the plan drains them. */
  private routed: ReadonlySet<string>;
  /** The desired replicas of the plan before the current one. */
  private previousDesired: readonly DesiredReplica[] = [];
  private passes = 0;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private inPass = false;
  private kicked = false;
  private intervalMs = 500;
  private waiters: { generation: number; resolve: (r: PassReport) => void }[] = [];

  constructor(private readonly deps: ControlLoopDeps) {
    this.routed = loadRouted(deps.store.getSetting(ROUTED_KEY));
    this.monitor = new NodeMonitor({
      engines: deps.engines,
      probe: deps.probe ?? httpProbe,
      ...(deps.metrics ? { onProbe: (app: string, ok: boolean) => deps.metrics!.healthCheck(app, ok) } : {}),
      log: deps.log,
      pingTimeoutMs: deps.pingTimeoutMs ?? 800,
      onChange: () => this.kick(),
      onNodeState: (node, state) => {
        this.executor.forgetNode(node);
        // the ingress stops sending to it now; the state without its replicas follows after the plan
        if (state === 'down') for (const c of deps.consumers) void c.nodeDown(node);
        if (this.passes > 0 || state === 'down')
          deps.events.add({
            kind: state === 'up' ? 'node-up' : 'node-down',
            subject: node,
            node,
            message: `node ${node} is ${state}`,
            data: { since: new Date(this.monitor.engineHealth(node)?.since ?? this.now()).toISOString() },
          });
      },
    });
    this.executor = new Executor({
      engineOf: (name) => this.engineOf(name),
      log: deps.log,
      onBackgroundDone: () => this.kick(),
    });
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  start(intervalMs = 500): void {
    this.running = true;
    this.intervalMs = intervalMs;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.monitor.stop();
    for (const c of this.deps.consumers) c.stop();
  }

  /** Something changed: run the next pass now instead of at the next interval. */
  kick(): void {
    if (!this.running) return;
    if (this.inPass) this.kicked = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), ms);
  }

  private async loop(): Promise<void> {
    this.timer = null;
    this.inPass = true;
    this.kicked = false;
    try {
      await this.pass();
    } catch (e) {
      this.deps.metrics?.loopError();
      this.deps.log.error({ err: e }, 'control loop pass failed');
    } finally {
      this.inPass = false;
    }
    if (this.running) this.schedule(this.kicked ? 0 : this.memory.awaitingFirstHealth(this.snap, STARTING_MS) ? STARTING_PASS_MS : this.intervalMs);
  }

  /** One pass: observe, decide, act. Passes never overlap. */
  pass(): Promise<PassReport> {
    return this.serial.run(async () => {
      const started = performance.now();
      const report = await this.runPass().finally(() => this.deps.metrics?.observePass((performance.now() - started) / 1000));
      this.passes++;
      const ready = this.waiters.filter((w) => w.generation <= report.generation);
      this.waiters = this.waiters.filter((w) => w.generation > report.generation);
      for (const w of ready) w.resolve(report);
      return report;
    });
  }

  /** The report of the first pass that works on `generation` or later (recorded desired state). */
  passAfter(generation: number): Promise<PassReport> {
    if (!this.running) return this.pass();
    return new Promise((resolve) => {
      this.waiters.push({ generation, resolve });
      this.kick();
    });
  }

  private async runPass(): Promise<PassReport> {
    const d = this.deps.store.currentDeployment();
    this.generation = d?.generation ?? 0;
    // internal apps are no name at the ingress: /<app>/ is a 404 for them, as for no app
    this.apps = (d?.apps ?? []).filter((a) => a.expose !== 'internal').map((a) => a.name);
    // replicas that never leave a drained node: a plan file's, and those that stay with their volumes
    this.pinnedApps = new Set((d?.apps ?? []).filter((a) => a.pins || hasVolumes(a)).map((a) => a.name));
    const snap = await this.monitor.observe(this.deps.store.listNodes(), d?.apps ?? [], this.now());
    this.snap = snap;
    this.memory.observe(snap);
    this.executor.observed(new Set(snap.replicas.map((r) => r.containerId)));
    // planning is pure and quick: the ingress is told which replicas belong to the desired state
    const planStart = performance.now();
    const plan = d ? this.plan(d) : null;
    this.deps.metrics?.observePlan((performance.now() - planStart) / 1000);
    this.previousDesired = this.lastPlan?.desired ?? [];
    this.lastPlan = plan;
    for (const id of plan?.undrain ?? []) {
      if (this.executor.isStopping(id)) continue; // too late: its stop is under way, a new one follows
      this.memory.undrain(id);
      this.deps.log.info({ container: id.slice(0, 12) }, 'draining replica is wanted again: back in the ingress');
    }
    this.publish(); // a dead node's replicas leave the ingress before anything else happens
    const report: PassReport = { generation: d?.generation ?? 0, plan, drained: [], done: [], failed: [], rolledBack: [] };
    if (!d || !plan) return report;
    if (plan.failing.length) {
      report.rolledBack = await this.rollBack(plan.failing);
      this.kick(); // the next pass works toward the rolled-back revision
      return report;
    }
    const placedBefore = new Map(this.deps.store.listPlacements().map((p) => [`${p.app}.${p.slot}`, p.node]));
    this.savePlacements(plan.placements);
    const now = this.now();
    const actions = plan.actions.filter((a) => a.kind === 'start' || !this.executor.isStopping(a.containerId));
    for (const a of actions) {
      if (a.kind !== 'drain') continue;
      this.memory.drain(a.app, a.containerId, now);
      this.deps.log.info({ node: a.node, replica: a.id, container: a.containerId.slice(0, 12), reason: a.reason }, 'draining replica');
      report.drained.push(a);
    }
    if (report.drained.length) this.publish();
    const r = await this.executor.run(actions);
    report.done = r.done;
    report.failed = r.failed;
    this.tell(r, placedBefore, snap);
    if (r.done.length || report.drained.length) this.kick(); // look again at once: new replicas get probed and routed
    return report;
  }

  /** The pass's outcomes as events, each with its reason. */
  private tell(r: { done: Action[]; failed: { action: Action; error: string }[] }, placedBefore: ReadonlyMap<string, string>, snap: ClusterSnapshot): void {
    if (!r.done.length && !r.failed.length) return;
    const facts = new Map<string, NodeFacts>(
      snap.nodes.map((n) => {
        const since = this.monitor.engineHealth(n.name)?.since;
        return [n.name, { state: n.state, availability: n.availability, ...(since !== undefined ? { since } : {}) }];
      }),
    );
    for (const a of r.done) {
      if (a.kind === 'start') {
        const { id, app, node } = a.replica;
        const why = startReason(a.replica, placedBefore.get(id), snap.replicas, facts);
        this.deps.events.add({ kind: 'replica-started', subject: id, app, node, message: `${id} started on ${node}: ${why}` });
      } else if (a.kind === 'stop') {
        this.deps.events.add({ kind: 'replica-stopped', subject: a.id, app: a.app, node: a.node, message: `${a.id} on ${a.node} stopped: ${a.reason}` });
      }
    }
    for (const f of r.failed) {
      const a = f.action;
      const where = a.kind === 'start' ? { app: a.replica.app, node: a.replica.node } : { app: a.app, node: a.node };
      this.deps.events.add({
        kind: 'replica-failed',
        subject: a.kind === 'start' ? a.replica.id : a.id,
        ...where,
        message: `${describeAction(a)} failed: ${f.error}`,
      });
    }
  }

  private async rollBack(failing: { app: string; reason: string }[]): Promise<string[]> {
    return this.deps.desiredLock.run(async () => {
      const done: string[] = [];
      for (const f of failing) {
        const current = this.deps.store.currentDeployment();
        if (!current) break;
        const back = failRollout(this.deps.store, current, f.app);
        if (!back) {
          this.deps.log.error({ app: f.app, reason: f.reason }, `rollout of ${f.app} fails and there is no earlier revision to roll back to`);
          continue;
        }
        this.deps.store.saveDeployment(back.next, new Date(this.now()));
        const data = { fromImage: back.from.image, toImage: back.to.image, reason: f.reason };
        this.deps.events.add({ kind: 'rollback', subject: f.app, app: f.app, message: `rolled ${f.app} back: ${f.reason}`, data });
        this.deps.log.warn({ app: f.app, ...data }, `rolled ${f.app} back: ${f.reason}`);
        done.push(f.app);
      }
      return done;
    });
  }

  private publish(): void {
    const draining = this.memory.drainingNow();
    const routes = routedReplicas(this.snap, draining, {
      desired: [...(this.lastPlan?.desired ?? []), ...this.previousDesired],
      routed: this.routed,
      pinned: this.pinnedApps,
    });
    this.published = {
      snapshot: this.snap,
      routes,
      version: this.published.version + 1,
      generation: this.generation,
      apps: this.apps,
      warming: warmingReplicas(this.snap, draining, this.lastPlan?.desired ?? [], routes),
    };
    this.remember(this.published.routes);
    for (const c of this.deps.consumers) c.offer(this.published);
  }

  /** The routed set outlives the manager: a restarted one keeps routing what its ingress serves. */
  private remember(routes: readonly RoutedReplica[]): void {
    const ids = new Set(routes.map((r) => r.containerId));
    if (ids.size === this.routed.size && [...ids].every((id) => this.routed.has(id))) return;
    this.routed = ids;
    try {
      this.deps.store.setSetting(ROUTED_KEY, JSON.stringify([...ids].sort()));
    } catch (e) {
      // routing goes on from memory; only a restart while the store fails would forget it
      this.deps.log.error({ err: e }, 'cannot record the routed replicas');
    }
  }

  private savePlacements(next: Placement[]): void {
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

  /** What converging to `d` would do now, on the latest snapshot, without doing it. */
  plan(d: Pick<Deployment, 'apps' | 'strategy' | 'generation'>): DeploymentPlan {
    return planDeployment({
      deployment: { apps: d.apps, strategy: d.strategy ?? DEFAULT_STRATEGY, generation: d.generation },
      nodes: schedNodes(this.snap),
      statuses: nodeStatuses(this.snap),
      existing: this.deps.store.listPlacements(),
      observed: [...this.snap.replicas],
      registry: this.deps.registry,
      rollout: this.rolloutState(),
    });
  }

  rolloutState(): RolloutState {
    return this.memory.state(this.now(), this.snap.healthy);
  }

  snapshot(): ClusterSnapshot {
    return this.snap;
  }

  /** Since when a node's engine has been up or down, and why it does not answer. */
  /** The engine of an up node, for operator commands on one node's own things (`matrix volume rm`). */
  engineOf(node: string): NodeEngine | null {
    const n = this.snap.nodes.find((x) => x.name === node);
    return n && n.state === 'up' ? this.monitor.engine(n) : null;
  }

  engineHealth(node: string): EngineHealth | null {
    return this.monitor.engineHealth(node);
  }

  /** The last plan a pass computed: placements, unplaced replicas with reasons, actions, waits. */
  latestPlan(): DeploymentPlan | null {
    return this.lastPlan;
  }

  state(): PublishedState {
    return this.published;
  }

  /** True once a pass has observed the nodes (before that, the snapshot is empty). */
  observedOnce(): boolean {
    return this.passes > 0;
  }

  /** What the named consumer last applied: for the ingress, the replicas that really serve. */
  appliedBy(name: string): PublishedState | null {
    return this.deps.consumers.find((c) => c.name === name)?.appliedState() ?? null;
  }

  consumers(): ConsumerStatus[] {
    return this.deps.consumers.map((c) => c.status());
  }

  events(): ClusterEvent[] {
    return this.deps.events.list();
  }
}
