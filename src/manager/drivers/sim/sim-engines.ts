/**
 * The manager's half of the sim driver: an in-process engine (SimCluster) for every node
 * `matrix node create --driver sim` recorded in `<home>/machines`, switched off and on by the
 * record's `off` (`matrix node stop|start`). Nothing a record holds can stop the manager: a
 * broken or missing one makes the node an engine that never answers. Its engine label
 * matrix.sim=true keeps every app that does not ask for a simulated node off it.
 */
import { LABELS, type NodeInfo } from '../../../core/model.ts';
import type { HealthProbe } from '../../nodes/health-probe.ts';
import type { EngineInfo, NodeEngine } from '../../nodes/engine.ts';
import { MachineStore, type MachineRecord } from '../../machines/machine-store.ts';
import type { SecretReader } from '../../secrets/vault.ts';
import { SimCluster, type SimNode } from './sim-cluster.ts';

export class SimEngines {
  readonly cluster: SimCluster;
  private readonly records: MachineStore;

  constructor(machinesDir: string, readSecret?: SecretReader) {
    this.records = new MachineStore(machinesDir);
    this.cluster = new SimCluster(readSecret);
  }

  /** The simulated engine of a sim node, or null for a node of any other driver. */
  engine(node: NodeInfo): NodeEngine | null {
    const r = this.record(node.name);
    if (r?.sim === undefined || r.address !== node.address) return null;
    let sim = this.cluster.nodes.get(node.name);
    if (!sim) {
      this.cluster.add({ name: node.name, capacity: { cpus: r.sim.cpus, memoryMb: r.sim.memoryMb }, labels: { [LABELS.sim]: 'true' } }, r.address);
      sim = this.cluster.node(node.name);
    }
    return new SwitchedSimNode(sim, () => this.record(node.name)?.sim?.off, this.cluster);
  }

  /** Health checks of sim replicas are answered by the simulation; every other goes to `real`. */
  probe(real: HealthProbe): HealthProbe {
    const sim = this.cluster.probe();
    return (address, port, check) => (this.cluster.hasAddress(address) ? sim(address, port, check) : real(address, port, check));
  }

  private record(name: string): MachineRecord | null {
    try {
      return this.records.owned(name, 'sim', 'sim');
    } catch {
      return null; // another driver's, none, or unreadable
    }
  }
}

/** A sim node whose power follows its record at each ping, as the monitor pings every pass. */
class SwitchedSimNode implements NodeEngine {
  constructor(
    private readonly sim: SimNode,
    private readonly off: () => boolean | undefined,
    private readonly cluster: SimCluster,
  ) {}

  async ping(): Promise<boolean> {
    const off = this.off();
    if (off === true && this.sim.up) this.cluster.powerOff(this.sim.spec.name);
    if (off === false && !this.sim.up) this.cluster.powerOn(this.sim.spec.name);
    return this.sim.ping();
  }

  info(): Promise<EngineInfo> {
    return this.sim.info();
  }
  listManaged() {
    return this.sim.listManaged();
  }
  pull(image: string) {
    return this.sim.pull(image);
  }
  start(r: Parameters<NodeEngine['start']>[0]) {
    return this.sim.start(r);
  }
  stop(containerId: string) {
    return this.sim.stop(containerId);
  }
  watch(onChange: () => void) {
    return this.sim.watch(onChange);
  }
}
