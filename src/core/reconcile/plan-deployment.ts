/**
 * Pure: one step of the control loop's thinking. Desired apps + nodes + the placements the
 * scheduler made before + what runs now -> new placements, the replicas they mean, and the
 * ordered actions to get there. The manager persists the placements and runs the actions.
 */
import type { Action, DesiredReplica, NodeStatus, ObservedReplica, Placement, SchedNode, AppSpec, Strategy } from '../model.ts';
import { schedule, type Unplaced } from '../scheduler/schedule.ts';
import { appsToDesired } from './apps-to-desired.ts';
import { reconcile, type Blocked } from './reconcile.ts';
import { applyRollout, type RolloutFailure, type RolloutState } from './rollout.ts';

export interface DeploymentPlanInput {
  deployment: { apps: AppSpec[]; strategy: Strategy; generation: number };
  nodes: SchedNode[];
  statuses: NodeStatus[];
  existing: Placement[];
  observed: ObservedReplica[];
  registry: string;
  rollout: RolloutState;
}

export interface DeploymentPlan {
  placements: Placement[];
  unplaced: Unplaced[];
  desired: DesiredReplica[];
  actions: Action[];
  blocked: Blocked[];
  /** Apps whose new revision fails during a rolling update: the manager rolls them back. */
  failing: RolloutFailure[];
  /** Draining containers the plan wants again: back into the ingress. */
  undrain: string[];
}

export function planDeployment(i: DeploymentPlanInput): DeploymentPlan {
  const { apps, strategy, generation } = i.deployment;
  const sched = schedule({ apps, nodes: i.nodes, existing: i.existing, strategy, seed: generation });
  const desired = appsToDesired(apps, sched.placements, i.registry);
  const r = reconcile(desired, i.observed, i.statuses);
  const gated = gateOnDependencies(r.actions, apps, i.observed, i.statuses);
  const policies = new Map(apps.map((a) => [a.name, a.update]));
  const rolled = applyRollout(gated.actions, desired, i.observed, (app) => policies.get(app), i.rollout);
  return {
    placements: sched.placements,
    unplaced: sched.unplaced,
    desired,
    actions: rolled.actions,
    blocked: [...r.blocked, ...gated.blocked, ...rolled.waiting],
    failing: rolled.failing,
    undrain: rolled.undrain,
  };
}

/** `depends_on`: a replica starts only once every app it depends on has a running replica. */
export function gateOnDependencies(
  actions: Action[],
  apps: AppSpec[],
  observed: ObservedReplica[],
  statuses: NodeStatus[],
): { actions: Action[]; blocked: Blocked[] } {
  const up = new Set(statuses.filter((s) => s.state === 'up').map((s) => s.name));
  const runningApps = new Set(observed.filter((o) => o.state === 'running' && up.has(o.node)).map((o) => o.app));
  const deps = new Map(apps.map((a) => [a.name, a.dependsOn.map((d) => d.app)]));
  const out: Action[] = [];
  const blocked: Blocked[] = [];
  for (const a of actions) {
    if (a.kind === 'start') {
      const waiting = (deps.get(a.replica.app) ?? []).filter((d) => !runningApps.has(d));
      if (waiting.length) {
        blocked.push({ app: a.replica.app, id: a.replica.id, node: a.replica.node, kind: 'dependency', reason: `waiting for ${waiting.join(', ')} to run` });
        continue;
      }
    }
    out.push(a);
  }
  return { actions: out, blocked };
}
