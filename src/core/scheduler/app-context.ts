/**
 * Per-app facts the filters need, computed once per call: reservations in integer units, the
 * published port, constraint and relation lists with their reason text prebuilt (the hot path
 * never allocates a string).
 */
import type { AppSpec, Constraint, Strategy } from '../model.ts';
import { Cluster, toUnits, type Units } from './cluster.ts';
import { describeConstraint } from './constraints.ts';
import { byCodeUnit } from '../compare.ts';

/** Another app whose per-node counts a filter looks at. */
export interface Relation {
  app: string;
  counts: Int32Array;
  reason: string;
}

export interface AppCtx {
  spec: AppSpec;
  name: string;
  strategy: Strategy;
  replicas: number;
  units: Units;
  /** The host port every replica publishes (`publish`), null when the engine picks one. */
  hostPort: number | null;
  portReason: string;
  /** This app's per-node counts. */
  counts: Int32Array;
  constraints: { c: Constraint; reason: string }[];
  /** Apps that must already be on the node (affinity), self excluded. */
  affinity: Relation[];
  /**
   * Apps that must not be on the node: this app's `antiAffinity` plus every app that names
   * this one in its own (anti-affinity is symmetric: "must not share a node"). Sorted by name.
   */
  conflicts: Relation[];
  /** `dependsOn` with `colocate`, self excluded. */
  colocate: Relation[];
  pinned: boolean;
}

export function replicaCount(spec: AppSpec): number {
  const r = spec.replicas;
  return typeof r === 'number' && Number.isFinite(r) && r > 0 ? Math.floor(r) : 0;
}

const uniq = (xs: Iterable<string>): string[] => [...new Set(xs)];
const byName = byCodeUnit;

export function buildContexts(apps: readonly AppSpec[], cluster: Cluster, strategy: Strategy): Map<string, AppCtx> {
  const reverseAnti = new Map<string, Set<string>>();
  for (const a of apps) {
    for (const other of a.antiAffinity ?? []) {
      if (other === a.name) continue;
      let s = reverseAnti.get(other);
      if (!s) reverseAnti.set(other, (s = new Set()));
      s.add(a.name);
    }
  }
  const rel = (app: string, reason: string): Relation => ({ app, counts: cluster.countsOf(app), reason });
  const out = new Map<string, AppCtx>();
  for (const spec of apps) {
    const name = spec.name;
    const hostPort = typeof spec.publish === 'number' ? spec.publish : null;
    const anti = uniq([...(spec.antiAffinity ?? []), ...(reverseAnti.get(name) ?? [])]).sort(byName);
    out.set(name, {
      spec,
      name,
      strategy: spec.strategy ?? strategy,
      replicas: replicaCount(spec),
      units: toUnits(spec.resources),
      hostPort,
      portReason: `port ${hostPort ?? ''} in use`,
      counts: cluster.countsOf(name),
      constraints: (spec.constraints ?? []).map((c) => ({ c, reason: `constraint ${describeConstraint(c)} not met` })),
      affinity: uniq(spec.affinity ?? [])
        .filter((a) => a !== name)
        .map((a) => rel(a, `affinity with ${a} not met`)),
      conflicts: anti.map((a) => rel(a, `anti-affinity with ${a}`)),
      colocate: uniq((spec.dependsOn ?? []).filter((d) => d.colocate).map((d) => d.app))
        .filter((a) => a !== name)
        .map((a) => rel(a, `dependency ${a} not on node`)),
      pinned: spec.pins !== undefined,
    });
  }
  return out;
}
