/**
 * Observe: turns engine pings, engine events, container lists and replica health probes
 * into one immutable ClusterSnapshot. It never acts on a node; it only looks, and tells the
 * loop (`onChange`) when an engine reports a container event so the next pass comes early.
 */
import type { Logger } from 'pino';
import { DEFAULT_HEALTH } from '../../core/defaults.ts';
import type { AppSpec, HealthCheck, NodeState, ObservedReplica } from '../../core/model.ts';
import { engineHost } from '../../core/model.ts';
import { endpoint, type ClusterSnapshot, type ObservedNode } from '../../core/snapshot.ts';
import type { EngineFactory, EngineInfo, NodeEngine } from '../nodes/engine.ts';
import type { HealthProbe } from '../nodes/health-probe.ts';
import type { StoredNode } from '../store/store.ts';

export interface EngineHealth {
  /** When it last went up or down (ms). */
  since: number;
  lastError: string | null;
}

export interface NodeMonitorDeps {
  engines: EngineFactory;
  probe: HealthProbe;
  /** Each health check's result, by app (metrics). */
  onProbe?: (app: string, ok: boolean) => void;
  log: Logger;
  /** How long a ping may take before the node counts as down. */
  pingTimeoutMs: number;
  /** An engine reported a container start or death: observe again soon. */
  onChange: () => void;
  /** A node went up or down. */
  onNodeState?: (node: string, state: NodeState) => void;
}

export class NodeMonitor {
  private readonly engineCache = new Map<string, NodeEngine>();
  private readonly infos = new Map<string, EngineInfo>();
  private readonly watches = new Map<string, () => void>();
  /** Each engine's state, since when, and why it is down. */
  private readonly states = new Map<string, EngineHealth & { state: NodeState }>();
  /** Down nodes: a ping under way beside the passes, or one that answered (see answeredAgain). */
  private readonly revived = new Map<string, 'pinging' | true>();
  private watching = true;

  constructor(private readonly deps: NodeMonitorDeps) {}

  /** One client per node address, reused across passes. */
  engine(node: Pick<StoredNode, 'name' | 'address' | 'enginePort' | 'socket'> & { subnet?: number }): NodeEngine {
    const key = `${node.name}@${engineHost(node)}#${node.subnet ?? ''}`;
    let e = this.engineCache.get(key);
    if (!e) {
      e = this.deps.engines(node);
      this.engineCache.set(key, e);
    }
    return e;
  }

  async observe(nodes: StoredNode[], apps: AppSpec[], now: number): Promise<ClusterSnapshot> {
    const results = await Promise.all(nodes.map((n) => this.look(n)));
    const observed: ObservedNode[] = [];
    for (const r of results) {
      const state: NodeState = r.up ? 'up' : 'down';
      if (this.states.get(r.node.name)?.state !== state) {
        this.states.set(r.node.name, { state, since: now, lastError: null });
        this.changed(r.node, state);
      }
      if (r.error !== undefined) this.states.get(r.node.name)!.lastError = r.error;
      const info = this.infos.get(r.node.name);
      observed.push({
        name: r.node.name,
        address: r.node.address,
        enginePort: r.node.enginePort,
        ...(r.node.socket !== undefined ? { socket: r.node.socket } : {}),
        state,
        labels: { ...(info?.labels ?? {}), ...r.node.labels },
        apiLabels: r.node.labels,
        availability: r.node.availability,
        driver: r.node.driver,
        ...(r.node.subnet !== undefined ? { subnet: r.node.subnet } : {}),
        capacity: info?.capacity ?? null,
        engineVersion: info?.version ?? null,
      });
    }
    for (const name of [...this.states.keys()]) if (!nodes.some((n) => n.name === name)) this.forget(name);
    const replicas = results.flatMap((r) => r.replicas);
    const healthy = await this.probeAll(replicas, observed, apps);
    return Object.freeze({ at: now, nodes: Object.freeze(observed), replicas: Object.freeze(replicas), healthy });
  }

  /** Since when an engine has been in its state, and the last reason it did not answer (null while up). */
  engineHealth(name: string): EngineHealth | null {
    const s = this.states.get(name);
    return s ? { since: s.since, lastError: s.lastError } : null;
  }

  private async look(node: StoredNode): Promise<{ node: StoredNode; up: boolean; replicas: ObservedReplica[]; error?: string }> {
    const e = this.engine(node);
    if (this.states.get(node.name)?.state === 'down' && !this.answeredAgain(node, e)) return { node, up: false, replicas: [] };
    try {
      if (!(await e.ping(this.deps.pingTimeoutMs))) return { node, up: false, replicas: [], error: `no answer to a ping within ${this.deps.pingTimeoutMs} ms` };
      if (!this.infos.has(node.name)) this.infos.set(node.name, await e.info());
      return { node, up: true, replicas: await e.listManaged() };
    } catch (err) {
      return { node, up: false, replicas: [], error: (err instanceof Error ? err.message : String(err)).slice(0, 300) };
    }
  }

  /**
   * A node that is down is pinged beside the passes, not in them: a pass would otherwise wait
   * out the ping timeout on every dead node, every time, and everything it does for the live
   * ones (a replacement replica's first probe, its route) would wait with it. True once such
   * a ping has answered: the pass looks at the node in full again (and an answer kicks one).
   */
  private answeredAgain(node: StoredNode, e: NodeEngine): boolean {
    const was = this.revived.get(node.name);
    if (was === true) {
      this.revived.delete(node.name);
      return true;
    }
    if (was === undefined) {
      this.revived.set(node.name, 'pinging');
      void e
        .ping(this.deps.pingTimeoutMs)
        .catch(() => false)
        .then((up) => {
          if (this.revived.get(node.name) !== 'pinging') return; // forgotten meanwhile
          if (up) {
            this.revived.set(node.name, true);
            this.deps.onChange();
          } else this.revived.delete(node.name);
        });
    }
    return false;
  }

  /** Each container by the check it was started with: a new revision's check never judges the old. */
  private async probeAll(replicas: ObservedReplica[], nodes: ObservedNode[], apps: AppSpec[]): Promise<ReadonlySet<string>> {
    const checks = new Map<string, HealthCheck>(apps.map((a) => [a.name, a.health ?? DEFAULT_HEALTH]));
    const up = new Map(nodes.filter((n) => n.state === 'up').map((n) => [n.name, n]));
    const healthy = new Set<string>();
    await Promise.all(
      replicas.map(async (o) => {
        const n = up.get(o.node);
        const at = n && o.state === 'running' ? endpoint(o, n.address) : null;
        if (!at) return;
        const ok = await this.deps.probe(at.address, at.port, o.health ?? checks.get(o.app) ?? DEFAULT_HEALTH);
        this.deps.onProbe?.(o.app, ok);
        if (ok) healthy.add(o.containerId);
      }),
    );
    return healthy;
  }

  private changed(node: StoredNode, state: NodeState): void {
    this.deps.log.info({ node: node.name, state }, `node ${node.name} is ${state}`);
    this.unwatch(node.name);
    this.deps.onNodeState?.(node.name, state);
    if (state === 'down') {
      this.infos.delete(node.name); // capacity and labels are read again when it returns
      return;
    }
    const e = this.engine(node);
    if (!e.watch || !this.watching) return;
    e.watch(this.deps.onChange, this.deps.onChange)
      .then((unwatch) => {
        if (this.watching && this.states.get(node.name)?.state === 'up') this.watches.set(node.name, unwatch);
        else unwatch();
      })
      .catch(() => undefined);
  }

  private unwatch(name: string): void {
    this.watches.get(name)?.();
    this.watches.delete(name);
  }

  private forget(name: string): void {
    this.unwatch(name);
    this.revived.delete(name);
    this.states.delete(name);
    this.infos.delete(name);
  }

  stop(): void {
    this.watching = false;
    for (const name of [...this.watches.keys()]) this.unwatch(name);
  }
}
