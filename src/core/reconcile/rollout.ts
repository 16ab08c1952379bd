/**
 * Pure: turns reconcile's actions into a zero-downtime rollout. Reconcile says *what* must
 * change (old revision out, new revision in); this decides *when*, per app:
 *
 * - every stop of a running container goes through `drain` first: out of the ingress,
 *   in-flight requests finish for `drainS`, then stop;
 * - a replica whose revision changes is replaced in batches of `parallelism`, `delayS`
 *   apart; start-first keeps the old replica until the new one passes its health check,
 *   stop-first drains and stops the old one before starting the new one;
 * - a new replica that dies, or is not healthy within `monitorS`, fails the rollout: the
 *   manager rolls the app back (and the old replicas are still there, start-first). Only when
 *   the old container runs another revision: a move (the scheduler put the slot on another
 *   node, same revision) is paced like an update, but an earlier revision would not fix a
 *   replica that fails on its new node; it is retried while the old one keeps serving: a
 *   move's target not healthy within `monitorS` is stopped, and started afresh.
 *
 * Time is an input (`now`, ms); state that outlives a tick (drain start, first-seen,
 * last batch) is kept by the manager and passed in.
 */
import type { Action, DesiredReplica, ObservedReplica, UpdatePolicy } from '../model.ts';
import { isCurrentReplica, type Blocked } from './reconcile.ts';
import { UPDATE_DEFAULTS } from '../defaults.ts';
import { byCodeUnit } from '../compare.ts';

export interface RolloutState {
  now: number;
  /** containerId -> when it was taken out of the ingress. */
  draining: ReadonlyMap<string, number>;
  /** containerId -> when the manager first saw it. */
  firstSeen: ReadonlyMap<string, number>;
  /** app -> when its last batch was done (its old container taken out of the ingress). */
  lastBatchDone: ReadonlyMap<string, number>;
  /** containerIds whose health check passes now. */
  healthy: ReadonlySet<string>;
}

export interface RolloutFailure {
  app: string;
  reason: string;
}

export interface RolloutResult {
  actions: Action[];
  waiting: Blocked[];
  failing: RolloutFailure[];
  /**
   * Containers taken out of the ingress that are wanted again (the change that drained them
   * was undone, e.g. an app removed and deployed again before its drain ended): they serve again.
   */
  undrain: string[];
}

type StopLike = Extract<Action, { kind: 'stop' }>;

export function applyRollout(
  actions: Action[],
  desired: DesiredReplica[],
  observed: ObservedReplica[],
  policyOf: (app: string) => UpdatePolicy | undefined,
  st: RolloutState,
): RolloutResult {
  const want = new Map(desired.map((d) => [d.id, d]));
  const isCurrent = (c: ObservedReplica): boolean => {
    const d = want.get(c.id);
    return !!d && isCurrentReplica(c, d);
  };
  const byId = new Map<string, ObservedReplica[]>();
  for (const c of observed) {
    const list = byId.get(c.id) ?? [];
    list.push(c);
    byId.set(c.id, list);
  }
  const currentOf = (id: string) => (byId.get(id) ?? []).filter(isCurrent);
  const oldRunning = (id: string) => (want.has(id) ? (byId.get(id) ?? []).filter((c) => !isCurrent(c) && c.state === 'running') : []);
  const healthyNow = (id: string) => currentOf(id).some((c) => c.state === 'running' && st.healthy.has(c.containerId));
  /** A slot being replaced: the new revision is wanted while an old one still runs. */
  const isUpdateSlot = (id: string) => oldRunning(id).length > 0;
  /** An update slot whose old container runs another revision (not just another node or port). */
  const isRevisionChange = (id: string) => {
    const d = want.get(id);
    return !!d && oldRunning(id).some((c) => c.revision !== d.revision);
  };

  // per app: slots already in transition, and how many more may start now
  const policy = (app: string): UpdatePolicy => policyOf(app) ?? UPDATE_DEFAULTS;
  /**
   * start-first cannot work when the new replica needs the very host port the old one holds, nor
   * when it mounts the same volumes (one writer at a time: two processes on one data directory
   * corrupt it).
   */
  const orderOf = (id: string): UpdatePolicy['order'] => {
    const d = want.get(id)!;
    const clash = d.hostPort !== null && oldRunning(id).some((c) => c.node === d.node && c.hostPort === d.hostPort);
    return clash || (d.volumes?.length ?? 0) > 0 ? 'stop-first' : policy(d.app).order;
  };
  const inTransition = new Map<string, Set<string>>();
  for (const id of [...want.keys()].sort()) {
    const d = want.get(id)!;
    // pending: old revision running untouched; done: new revision healthy and every old
    // container out of the ingress (draining in the background: the slot serves at full
    // capacity, so the next batch may start, as Swarm starts the next task once the new one
    // runs). Anything else (starting, missing after a stop-first stop) is mid-flight.
    const old = oldRunning(id);
    const oldDraining = old.some((c) => st.draining.has(c.containerId));
    const pending = isUpdateSlot(id) && currentOf(id).length === 0 && !oldDraining;
    const done = healthyNow(id) && old.every((c) => st.draining.has(c.containerId));
    if (!pending && !done) {
      const set = inTransition.get(d.app) ?? new Set<string>();
      set.add(id);
      inTransition.set(d.app, set);
    }
  }
  const budget = new Map<string, number>();
  const mayStart = (app: string, id: string): boolean => {
    const busy = inTransition.get(app) ?? new Set<string>();
    if (busy.has(id)) return true;
    const p = policy(app);
    if (!budget.has(app)) {
      const last = st.lastBatchDone.get(app);
      const rested = busy.size > 0 || last === undefined || st.now - last >= p.delayS * 1000;
      budget.set(app, rested ? Math.max(0, p.parallelism - busy.size) : 0);
    }
    const left = budget.get(app)!;
    if (left <= 0) return false;
    budget.set(app, left - 1);
    busy.add(id);
    inTransition.set(app, busy);
    return true;
  };

  const out: Action[] = [];
  const waiting: Blocked[] = [];
  const drainThenStop = (a: StopLike): void => {
    const since = st.draining.get(a.containerId);
    if (since === undefined) out.push({ ...a, kind: 'drain' });
    else if (st.now - since >= policy(a.app).drainS * 1000) out.push(a);
    else waiting.push({ app: a.app, id: a.id, node: a.node, kind: 'draining', reason: 'draining in-flight requests' });
  };

  /**
   * A move's target that runs but has not passed its health check within `monitorS` (e.g. a
   * container a returning node restarted that never answers again): without this the old
   * replica would wait on it forever. It is stopped; the next pass starts a fresh one there.
   */
  const stuckMoveTargets = (id: string) =>
    currentOf(id).filter(
      (x) => x.state === 'running' && !st.healthy.has(x.containerId) && st.now - (st.firstSeen.get(x.containerId) ?? st.now) >= policy(x.app).monitorS * 1000,
    );
  const replaced = new Set<string>();
  const replaceStuck = (x: ObservedReplica): void => {
    if (replaced.has(x.containerId)) return;
    replaced.add(x.containerId);
    const reason = `moved replica not healthy after ${policy(x.app).monitorS}s: a fresh one replaces it`;
    out.push({ kind: 'stop', node: x.node, containerId: x.containerId, app: x.app, id: x.id, reason });
  };

  // decide slots in a stable order so the same input picks the same batch
  const ordered = [...actions].sort((x, y) => byCodeUnit(idOf(x), idOf(y)));
  for (const a of ordered) {
    if (a.kind === 'drain') {
      out.push(a);
      continue;
    }
    if (a.kind === 'start') {
      const { id, app } = a.replica;
      if (!isUpdateSlot(id))
        out.push(a); // a fresh replica (new slot, replacement of a dead one)
      else if (orderOf(id) === 'stop-first')
        waiting.push({ app, id, node: a.replica.node, kind: 'rollout-stop-first', reason: 'rolling update: old replica leaves first' });
      else if (mayStart(app, id)) out.push(a);
      else waiting.push({ app, id, node: a.replica.node, kind: 'rollout-batch', reason: 'rolling update: waiting for its batch' });
      continue;
    }
    const c = observed.find((o) => o.containerId === a.containerId);
    if (!c || c.state !== 'running') {
      out.push(a); // nothing to drain
      continue;
    }
    if (!want.has(c.id) || isCurrent(c)) {
      drainThenStop(a); // scaled away, not in the plan, or a duplicate
      continue;
    }
    // an old revision of a wanted slot
    if (orderOf(c.id) === 'start-first') {
      if (healthyNow(c.id)) drainThenStop(a);
      else {
        waiting.push({ app: c.app, id: c.id, node: c.node, kind: 'rollout-unhealthy', reason: 'rolling update: new replica not healthy yet' });
        if (!isRevisionChange(c.id)) for (const stuck of stuckMoveTargets(c.id)) replaceStuck(stuck);
      }
    } else if (mayStart(c.app, c.id)) drainThenStop(a);
    else waiting.push({ app: c.app, id: c.id, node: c.node, kind: 'rollout-batch', reason: 'rolling update: waiting for its batch' });
  }

  const leaving = new Set(actions.flatMap((a) => (a.kind === 'start' ? [] : [a.containerId])));
  const running = new Set(observed.filter((o) => o.state === 'running').map((o) => o.containerId));
  const undrain = [...st.draining.keys()].filter((id) => running.has(id) && !leaving.has(id)).sort(byCodeUnit);
  return { actions: out, waiting, failing: failures(observed, isCurrent, isRevisionChange, policy, st), undrain };
}

function failures(
  observed: ObservedReplica[],
  isCurrent: (c: ObservedReplica) => boolean,
  isRevisionChange: (id: string) => boolean,
  policy: (app: string) => UpdatePolicy,
  st: RolloutState,
): RolloutFailure[] {
  const failing = new Map<string, string>();
  for (const c of observed) {
    if (!isCurrent(c) || !isRevisionChange(c.id) || failing.has(c.app)) continue;
    const seen = st.firstSeen.get(c.containerId) ?? st.now;
    if (c.state === 'exited' || c.state === 'dead') {
      failing.set(c.app, `new replica ${c.id} ${c.state} during the update`);
    } else if (c.state === 'running' && !st.healthy.has(c.containerId) && st.now - seen >= policy(c.app).monitorS * 1000) {
      failing.set(c.app, `new replica ${c.id} not healthy after ${policy(c.app).monitorS}s`);
    }
  }
  return [...failing.entries()].sort(([a], [b]) => byCodeUnit(a, b)).map(([app, reason]) => ({ app, reason }));
}

function idOf(a: Action): string {
  return a.kind === 'start' ? a.replica.id : a.id;
}
