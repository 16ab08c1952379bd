/**
 * The mutable bookkeeping of one `schedule()` call: nodes by dense index, reserved resources,
 * placement counts (per node and per app per node) and used host ports. Typed arrays keep the
 * per-replica work allocation-free. Usage only grows while replicas are placed (phases 1-3),
 * which the candidate sets rely on: a node a dynamic filter rejects stays rejected. Only the
 * rebalance (phase 4) removes, and it runs after every candidate set is done.
 */
import type { Resources, SchedNode } from '../model.ts';

/** Reservations in integer units, so sums are exact: milli-CPUs and KiB. */
export interface Units {
  cpu: number;
  mem: number;
}

export function toUnits(r: Resources | undefined): Units {
  const clean = (v: number | undefined, scale: number): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v * scale) : 0);
  return { cpu: clean(r?.cpus, 1000), mem: clean(r?.memoryMb, 1024) };
}

export class Cluster {
  /** Unique node names in input order (a repeated name keeps its first entry). */
  readonly names: string[] = [];
  readonly labels: Record<string, string>[] = [];
  readonly index = new Map<string, number>();
  readonly up: Uint8Array;
  readonly drain: Uint8Array;
  readonly capCpu: Float64Array;
  readonly capMem: Float64Array;
  readonly usedCpu: Float64Array;
  readonly usedMem: Float64Array;
  /** Placements of any app per node. */
  readonly total: Int32Array;
  private readonly appCounts = new Map<string, Int32Array>();
  private readonly ports = new Map<number, Uint8Array>();

  constructor(nodes: readonly SchedNode[]) {
    const unique = nodes.filter((n) => {
      if (this.index.has(n.name)) return false;
      this.index.set(n.name, this.index.size);
      return true;
    });
    const n = unique.length;
    this.up = new Uint8Array(n);
    this.drain = new Uint8Array(n);
    this.capCpu = new Float64Array(n);
    this.capMem = new Float64Array(n);
    this.usedCpu = new Float64Array(n);
    this.usedMem = new Float64Array(n);
    this.total = new Int32Array(n);
    unique.forEach((node, i) => {
      this.names.push(node.name);
      this.labels.push(node.labels ?? {});
      this.up[i] = node.up ? 1 : 0;
      this.drain[i] = node.drain ? 1 : 0;
      const cap = toUnits(node.capacity);
      this.capCpu[i] = cap.cpu;
      this.capMem[i] = cap.mem;
    });
  }

  get size(): number {
    return this.names.length;
  }

  /** Per-node placement counts of one app (allocated on first use, then stable). */
  countsOf(app: string): Int32Array {
    let c = this.appCounts.get(app);
    if (!c) {
      c = new Int32Array(this.size);
      this.appCounts.set(app, c);
    }
    return c;
  }

  portUsed(port: number, node: number): boolean {
    const used = this.ports.get(port);
    return used !== undefined && used[node] === 1;
  }

  /** Records one placement: its reservations, its host port and the counts. */
  add(node: number, counts: Int32Array, units: Units, hostPort: number | null): void {
    this.usedCpu[node] += units.cpu;
    this.usedMem[node] += units.mem;
    this.total[node] += 1;
    counts[node] += 1;
    if (hostPort !== null) {
      let used = this.ports.get(hostPort);
      if (!used) {
        used = new Uint8Array(this.size);
        this.ports.set(hostPort, used);
      }
      used[node] = 1;
    }
  }

  /**
   * Undoes one `add`. Clearing the port is exact because a (node, port) has one holder at most:
   * every placement with a host port passed the port filter (or the pin's port check) first.
   */
  remove(node: number, counts: Int32Array, units: Units, hostPort: number | null): void {
    this.usedCpu[node] -= units.cpu;
    this.usedMem[node] -= units.mem;
    this.total[node] -= 1;
    counts[node] -= 1;
    if (hostPort !== null) {
      const used = this.ports.get(hostPort);
      if (used) used[node] = 0;
    }
  }

  /**
   * Max of the cpu and memory fractions reserved; a dimension with capacity 0 is ignored, and
   * a node with no capacity at all is measured by its placement count.
   */
  utilization(node: number): number {
    const cc = this.capCpu[node];
    const cm = this.capMem[node];
    if (cc <= 0 && cm <= 0) return this.total[node];
    const c = cc > 0 ? this.usedCpu[node] / cc : 0;
    const m = cm > 0 ? this.usedMem[node] / cm : 0;
    return c > m ? c : m;
  }
}
