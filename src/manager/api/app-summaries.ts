/**
 * What the API (`GET /v1/apps`, `/v1/replicas`, `/v1/apps/:name`) and the metrics
 * (`matrix_replicas_*`) say of each replica and app, from the loop's last snapshot, plan and
 * applied ingress state: one computation for both, so a dashboard and a Prometheus never disagree.
 */
import { appRevision } from '../../core/app-revision.ts';
import { isRollingUpdate } from '../../core/reconcile/reconcile.ts';
import { appCounts, replicaRows, type ReplicaRow } from '../../core/replica-status.ts';
import { hasVolumes } from '../../core/scheduler/existing.ts';
import { nodeStatuses } from '../../core/snapshot.ts';
import type { AppSummary, RollbackView } from '../../shared/api-types.ts';
import type { ControlLoop } from '../controllers/control-loop.ts';
import type { Store } from '../store/store.ts';

/** Every replica, desired or observed, with whether the ingress routes it now. */
export function replicaRowsNow(loop: ControlLoop): (ReplicaRow & { routed: boolean })[] {
  const routed = new Set((loop.appliedBy('ingress')?.routes ?? []).map((r) => r.containerId));
  return replicaRows(loop.latestPlan()?.desired ?? [], [...loop.snapshot().replicas], nodeStatuses(loop.snapshot())).map((r) => ({
    ...r,
    routed: r.containerId !== null && routed.has(r.containerId),
  }));
}

export function rollbacksOf(loop: ControlLoop, name: string): RollbackView[] {
  return loop
    .events()
    .filter((e) => e.kind === 'rollback' && e.subject === name)
    .map((e) => ({ at: e.at, reason: e.data?.reason ?? e.message, fromImage: e.data?.fromImage ?? '', toImage: e.data?.toImage ?? '' }));
}

/** Each app of the current deployment: its replicas running, leaving, unplaced and served, its revision and state. */
export function appSummaries(loop: ControlLoop, store: Store): AppSummary[] {
  const all = replicaRowsNow(loop);
  const plan = loop.latestPlan();
  const serving = loop.appliedBy('ingress')?.routes ?? [];
  const desiredContainers = new Set(all.filter((r) => r.desired && r.containerId !== null).map((r) => r.containerId));
  const simNodes = new Set(loop.snapshot().nodes.flatMap((n) => (n.driver === 'sim' ? [n.name] : [])));
  return (store.currentDeployment()?.apps ?? []).map((a) => ({
    name: a.name,
    project: a.project ?? 'default',
    image: a.image,
    revision: appRevision(a),
    desired: a.replicas,
    ...appCounts(all, a.name),
    unplaced: (plan?.unplaced ?? []).filter((u) => u.app === a.name).length,
    simulated: (plan?.desired ?? []).filter((r) => r.app === a.name && simNodes.has(r.node)).length,
    // a plan file's replicas, and those that stay with their volumes, never leave their node
    pinned: !!a.pins || hasVolumes(a),
    internal: a.expose === 'internal',
    volumes: hasVolumes(a),
    updating: (plan?.blocked ?? []).some((b) => b.app === a.name && isRollingUpdate(b.kind)),
    rollbacks: rollbacksOf(loop, a.name).length,
    serving: serving.filter((r) => r.route.app === a.name).length,
    servingOld: serving.filter((r) => r.route.app === a.name && !desiredContainers.has(r.containerId)).length,
  }));
}
