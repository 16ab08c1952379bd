/**
 * Feasibility filters (kube-scheduler's Filter plugins, Nomad's feasibility checkers). Each is
 * a small unit with a stable name that answers `null` (the node passes) or the reason it
 * rejects the node, e.g. `port 8080 in use`. Reasons are the keys of `Unplaced.reasons`.
 *
 * Order matters for counting: an unplaced slot counts every node once, under the first filter
 * (in FILTERS order) that rejects it.
 */
import { LABELS } from '../model.ts';
import type { AppCtx } from './app-context.ts';
import type { Cluster } from './cluster.ts';
import { constraintHolds } from './constraints.ts';
import { formatUnavailable } from './message.ts';

export type FilterName = 'health' | 'constraint' | 'affinity' | 'anti-affinity' | 'dependency' | 'port' | 'resources';

export interface Filter {
  name: FilterName;
  check(cluster: Cluster, app: AppCtx, node: number): string | null;
}

export const SIM_ONLY = `simulated node (only apps with a constraint on ${LABELS.sim} go there)`;

export const health: Filter = {
  name: 'health',
  check: (cl, _app, x) => (cl.up[x] !== 1 ? 'node down' : cl.drain[x] === 1 ? 'node drained' : null),
};

export const constraint: Filter = {
  name: 'constraint',
  check(cl, app, x) {
    // a simulated node serves nothing: a real app moved there would answer from fewer replicas
    if (cl.labels[x][LABELS.sim] === 'true' && !app.constraints.some(({ c }) => c.key === LABELS.sim)) return SIM_ONLY;
    for (const { c, reason } of app.constraints) if (!constraintHolds(c, cl.names[x], cl.labels[x])) return reason;
    return null;
  },
};

export const affinity: Filter = {
  name: 'affinity',
  check(_cl, app, x) {
    for (const r of app.affinity) if (r.counts[x] === 0) return r.reason;
    return null;
  },
};

export const antiAffinity: Filter = {
  name: 'anti-affinity',
  check(_cl, app, x) {
    for (const r of app.conflicts) if (r.counts[x] > 0) return r.reason;
    return null;
  },
};

export const dependency: Filter = {
  name: 'dependency',
  check(_cl, app, x) {
    for (const r of app.colocate) if (r.counts[x] === 0) return r.reason;
    return null;
  },
};

export const port: Filter = {
  name: 'port',
  check: (cl, app, x) => (app.hostPort !== null && cl.portUsed(app.hostPort, x) ? app.portReason : null),
};

/** Reservations summed per node against capacity; a zero reservation always fits. */
export const resources: Filter = {
  name: 'resources',
  check(cl, app, x) {
    const { cpu, mem } = app.units;
    if (cpu > 0 && cl.usedCpu[x] + cpu > cl.capCpu[x]) return 'insufficient cpu';
    if (mem > 0 && cl.usedMem[x] + mem > cl.capMem[x]) return 'insufficient memory';
    return null;
  },
};

export const FILTERS: readonly Filter[] = [health, constraint, affinity, antiAffinity, dependency, port, resources];
/** What a kept placement must still pass (its own resources are already counted as used). */
export const KEEP_FILTERS: readonly Filter[] = [health, constraint, affinity, antiAffinity, dependency, port];

export function firstRejection(cl: Cluster, app: AppCtx, x: number, filters: readonly Filter[]): string | null {
  for (const f of filters) {
    const r = f.check(cl, app, x);
    if (r !== null) return r;
  }
  return null;
}

/** Hot path: the dynamic filters, unrolled. */
export function dynamicOk(cl: Cluster, app: AppCtx, x: number): boolean {
  return antiAffinity.check(cl, app, x) === null && port.check(cl, app, x) === null && resources.check(cl, app, x) === null;
}

export interface Scan {
  reasons: Record<string, number>;
  feasible: number[];
  message: string;
}

/** Full scan over every node: rejection counts (first failing filter per node) and the nodes that pass. */
export function scanAll(cl: Cluster, app: AppCtx): Scan {
  const reasons: Record<string, number> = {};
  const feasible: number[] = [];
  for (let x = 0; x < cl.size; x++) {
    const r = firstRejection(cl, app, x, FILTERS);
    if (r === null) feasible.push(x);
    else reasons[r] = (reasons[r] ?? 0) + 1;
  }
  return { reasons, feasible, message: formatUnavailable(feasible.length, cl.size, reasons) };
}
