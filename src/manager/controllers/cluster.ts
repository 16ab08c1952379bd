/**
 * The control loop. Every tick (and after every deploy) it reads observed state from the
 * nodes, routes the ingress to what is really running, and converges the nodes toward the
 * stored desired state. Level-triggered: it only ever compares desired with observed, so a
 * restarted manager, a lost event or a repeated tick changes nothing that is already right.
 */
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { Action, NodeInfo, NodeStatus, ObservedReplica, Route } from '../../core/model.ts';
import { reconcile } from '../../core/reconcile/reconcile.ts';
import { renderVcl } from '../../core/ingress/vcl.ts';
import { Serial } from '../../util/serial.ts';
import { engineClient, pingEngine, type ClientTls } from '../nodes/docker-client.ts';
import { listManaged, pullImage, startReplica, stopAndRemove } from '../nodes/node-ops.ts';
import type { Store } from '../store/store.ts';

export interface Ingress {
  apply(vcl: string): Promise<boolean>;
}

export interface ClusterDeps {
  store: Store;
  tls: ClientTls;
  ingress: Ingress;
  log: Logger;
}

export interface ClusterView {
  nodes: NodeStatus[];
  routes: Route[];
}

const PING_TIMEOUT_MS = 800;
const API_TIMEOUT_MS = 10_000;

export class Cluster {
  private readonly serial = new Serial();
  private nodeStates = new Map<string, NodeStatus>();
  private observed: ObservedReplica[] = [];
  private timer: NodeJS.Timeout | null = null;
  private clients = new Map<string, Docker>();

  constructor(private readonly deps: ClusterDeps) {}

  client(node: NodeInfo): Docker {
    const key = `${node.name}@${node.address}:${node.enginePort}`;
    let c = this.clients.get(key);
    if (!c) {
      c = engineClient(node, this.deps.tls, API_TIMEOUT_MS);
      this.clients.set(key, c);
    }
    return c;
  }

  /** Exclusive access to the nodes for the deployer, so it never races the loop. */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    return this.serial.run(job);
  }

  start(intervalMs = 1000): void {
    const loop = async () => {
      await this.tick().catch((e) => this.deps.log.error({ err: e }, 'control loop tick failed'));
      if (this.timer) this.timer = setTimeout(loop, intervalMs);
    };
    this.timer = setTimeout(loop, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  tick(): Promise<void> {
    return this.serial.run(async () => {
      await this.refresh();
      await this.syncIngress();
      const actions = await this.converge();
      if (actions.length) {
        await this.refresh();
        await this.syncIngress();
      }
    });
  }

  view(): ClusterView {
    const nodes = this.deps.store.listNodes().map((n) => this.nodeStates.get(n.name) ?? { ...n, state: 'down' as const });
    return { nodes, routes: this.routes() };
  }

  /** Reads node health and the containers of every answering node. Call inside `exclusive`. */
  async refresh(): Promise<void> {
    const nodes = this.deps.store.listNodes();
    const results = await Promise.all(
      nodes.map(async (n) => {
        const up = await pingEngine(n, this.deps.tls, PING_TIMEOUT_MS);
        if (!up) return { n, up: false, observed: [] as ObservedReplica[] };
        try {
          return { n, up: true, observed: await listManaged(n.name, this.client(n)) };
        } catch {
          return { n, up: false, observed: [] as ObservedReplica[] };
        }
      }),
    );
    const next = new Map<string, NodeStatus>();
    for (const r of results) {
      const before = this.nodeStates.get(r.n.name)?.state;
      const state = r.up ? 'up' : 'down';
      if (before !== state) this.deps.log.info({ node: r.n.name, state }, `node ${r.n.name} is ${state}`);
      next.set(r.n.name, { ...r.n, state });
    }
    this.nodeStates = next;
    this.observed = results.flatMap((r) => r.observed);
  }

  /** Backends for the ingress: running replicas on answering nodes, minus those about to stop. */
  routes(leaving: ReadonlySet<string> = new Set()): Route[] {
    const routes: Route[] = [];
    for (const o of this.observed) {
      const n = this.nodeStates.get(o.node);
      if (!n || n.state !== 'up' || o.state !== 'running' || o.hostPort === null || leaving.has(o.containerId)) continue;
      routes.push({ app: o.app, node: o.node, address: n.address, port: o.hostPort });
    }
    return routes;
  }

  async syncIngress(leaving: ReadonlySet<string> = new Set()): Promise<void> {
    const routes = this.routes(leaving);
    const changed = await this.deps.ingress.apply(renderVcl(routes));
    if (changed) this.deps.log.info({ routes: routes.length }, 'ingress updated');
  }

  nodeStatuses(): NodeStatus[] {
    return this.view().nodes;
  }

  observedReplicas(): ObservedReplica[] {
    return this.observed;
  }

  /** Brings nodes to the stored desired state. Call inside `exclusive` (tick does). */
  async converge(): Promise<Action[]> {
    const d = this.deps.store.currentDeployment();
    if (!d) return [];
    const { actions } = reconcile(d.replicas, this.observed, this.nodeStatuses());
    await this.execute(actions);
    return actions;
  }

  async pullAll(actions: Action[]): Promise<void> {
    const pulls = new Map<string, { node: NodeInfo; image: string }>();
    for (const a of actions) {
      if (a.kind !== 'start') continue;
      const node = this.nodeStates.get(a.replica.node);
      if (node) pulls.set(`${node.name} ${a.replica.image}`, { node, image: a.replica.image });
    }
    await Promise.all([...pulls.values()].map(({ node, image }) => pullImage(node.name, this.client(node), image)));
  }

  async execute(actions: Action[]): Promise<void> {
    if (!actions.length) return;
    await this.pullAll(actions);
    // take replicas out of the ingress before stopping them, not after
    const leaving = new Set(actions.flatMap((a) => (a.kind === 'stop' ? [a.containerId] : [])));
    if (leaving.size) await this.syncIngress(leaving);
    for (const a of actions) {
      const nodeName = a.kind === 'start' ? a.replica.node : a.node;
      const node = this.nodeStates.get(nodeName);
      if (!node) continue;
      if (a.kind === 'start') {
        const id = await startReplica(this.client(node), a.replica);
        this.deps.log.info({ node: node.name, replica: a.replica.id, container: id.slice(0, 12) }, 'started replica');
      } else {
        await stopAndRemove(this.client(node), node.name, a.containerId);
        this.deps.log.info({ node: node.name, replica: a.id, container: a.containerId.slice(0, 12), reason: a.reason }, 'stopped replica');
      }
    }
  }
}
