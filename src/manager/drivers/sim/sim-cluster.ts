/**
 * The `sim` driver: in-process simulated nodes (the seed's CloudStack-simulator idea). They
 * implement the same NodeEngine the controllers use for real engines, with capacity,
 * labels and failure injection, so the control loop can be tested at datacenter scale.
 * Addresses are in 127.255.0.0/16 and are never contacted.
 */
import { secretMaterial, type SecretMaterial } from '../../nodes/secret-files.ts';
import type { SecretReader } from '../../secrets/vault.ts';
import { MatrixError } from '../../../core/errors.ts';
import type { ContainerState, DesiredReplica, NodeInfo, ObservedReplica, Resources } from '../../../core/model.ts';
import type { EngineFactory, EngineInfo, NodeEngine } from '../../nodes/engine.ts';
import type { HealthProbe } from '../../nodes/health-probe.ts';

export interface SimNodeSpec {
  name: string;
  capacity: Resources;
  labels?: Record<string, string>;
}

interface SimContainer {
  id: string;
  replica: DesiredReplica;
  state: ContainerState;
  hostPort: number;
  /** What the container was given of its secrets, as a Docker engine would (files and env). */
  secrets: SecretMaterial;
}

export type SimFault = 'pull' | 'start' | 'stop';

export class SimNode implements NodeEngine {
  up = true;
  readonly containers = new Map<string, SimContainer>();
  readonly images = new Set<string>();
  private readonly faults = new Set<SimFault>();
  private nextPort = 32768;
  private watchers = new Set<() => void>();
  /** Counts of engine calls, for tests that assert what the controllers did. */
  readonly calls = { pull: 0, start: 0, stop: 0, list: 0 };

  constructor(
    readonly spec: SimNodeSpec,
    private readonly ids: () => string,
    private readonly readSecret: SecretReader,
  ) {}

  private requireUp(): void {
    if (!this.up) throw new MatrixError('E_NODE_DOWN', `sim node ${this.spec.name} is down`);
  }

  private changed(): void {
    for (const w of this.watchers) w();
  }

  failNext(f: SimFault): void {
    this.faults.add(f);
  }

  private fault(f: SimFault): void {
    if (this.faults.delete(f)) throw new MatrixError('E_DEPLOY_FAILED', `sim node ${this.spec.name}: injected ${f} failure`);
  }

  async ping(): Promise<boolean> {
    return this.up;
  }

  async info(): Promise<EngineInfo> {
    this.requireUp();
    return { capacity: { ...this.spec.capacity }, labels: { ...(this.spec.labels ?? {}) }, version: 'sim' };
  }

  async listManaged(): Promise<ObservedReplica[]> {
    this.requireUp();
    this.calls.list++;
    return [...this.containers.values()].map((c) => ({
      containerId: c.id,
      node: this.spec.name,
      app: c.replica.app,
      id: c.replica.id,
      revision: c.replica.revision,
      state: c.state,
      hostPort: c.state === 'running' ? c.hostPort : null,
      containerPort: c.replica.containerPort,
      ...(c.replica.health ? { health: c.replica.health } : {}),
    }));
  }

  async pull(image: string): Promise<void> {
    this.requireUp();
    this.calls.pull++;
    this.fault('pull');
    this.images.add(image);
  }

  async start(r: DesiredReplica): Promise<string> {
    this.requireUp();
    this.calls.start++;
    this.fault('start');
    if (!this.images.has(r.image)) throw new MatrixError('E_DEPLOY_FAILED', `sim node ${this.spec.name}: no image ${r.image}`);
    const secrets = secretMaterial(r.secrets ?? [], this.readSecret);
    const hostPort = r.hostPort ?? this.nextPort++;
    for (const c of this.containers.values()) {
      if (c.state === 'running' && c.hostPort === hostPort) {
        throw new MatrixError('E_DEPLOY_FAILED', `sim node ${this.spec.name}: port ${hostPort} is already allocated`);
      }
    }
    const id = this.ids();
    this.containers.set(id, { id, replica: r, state: 'running', hostPort, secrets });
    this.changed();
    return id;
  }

  async stop(containerId: string): Promise<void> {
    this.requireUp();
    this.calls.stop++;
    this.fault('stop');
    this.containers.delete(containerId);
    this.changed();
  }

  /** A container dies and its restart policy does not bring it back. */
  crash(containerId: string): void {
    const c = this.containers.get(containerId);
    if (c) c.state = 'exited';
    this.changed();
  }

  async watch(onChange: () => void): Promise<() => void> {
    this.watchers.add(onChange);
    return () => this.watchers.delete(onChange);
  }
}

export class SimCluster {
  readonly nodes = new Map<string, SimNode>();
  private readonly byAddress = new Map<string, SimNode>();
  /** containerIds whose health check fails (the app answers 5xx) although they run. */
  readonly sick = new Set<string>();
  private seq = 0;

  /** `readSecret`: the manager's vault, when a test gives apps secrets. */
  constructor(private readonly readSecret: SecretReader = noSecret) {}

  /** A node at `address`, or at the next 127.255.x.y. */
  add(spec: SimNodeSpec, address?: string): NodeInfo {
    if (this.nodes.has(spec.name)) throw new MatrixError('E_BAD_REQUEST', `sim node ${spec.name} exists`);
    const node = new SimNode(spec, () => (++this.seq).toString(16).padStart(12, '0'), this.readSecret);
    this.nodes.set(spec.name, node);
    const i = this.nodes.size;
    address ??= `127.255.${(i >> 8) & 255}.${i & 255}`;
    this.byAddress.set(address, node);
    return { name: spec.name, address, enginePort: 2376 };
  }

  hasAddress(address: string): boolean {
    return this.byAddress.has(address);
  }

  node(name: string): SimNode {
    const n = this.nodes.get(name);
    if (!n) throw new MatrixError('E_NOT_FOUND', `no sim node ${name}`);
    return n;
  }

  /** Switches a node off: it stops answering; its containers are frozen, as on a powered-off host. */
  powerOff(name: string): void {
    this.node(name).up = false;
  }

  /** Back on: like a rebooted dockerd, containers with a restart policy run again. */
  powerOn(name: string): void {
    const n = this.node(name);
    n.up = true;
    for (const c of n.containers.values()) if (c.replica.restart !== 'no') c.state = 'running';
  }

  running(): { node: string; app: string; id: string }[] {
    const out: { node: string; app: string; id: string }[] = [];
    for (const n of this.nodes.values()) {
      for (const c of n.containers.values()) if (c.state === 'running') out.push({ node: n.spec.name, app: c.replica.app, id: c.replica.id });
    }
    return out;
  }

  /** The health check against simulated replicas: a running container on an up node passes unless sick. */
  probe(): HealthProbe {
    return async (address, port) => {
      const n = this.byAddress.get(address);
      if (!n?.up) return false;
      for (const c of n.containers.values()) if (c.state === 'running' && c.hostPort === port) return !this.sick.has(c.id);
      return false;
    };
  }

  engines(): EngineFactory {
    return (node) => this.node(node.name);
  }
}

function noSecret(name: string): Buffer {
  throw new MatrixError('E_NOT_FOUND', `secret ${name}: this sim cluster has no secret store`);
}
