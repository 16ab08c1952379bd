/**
 * Test support: a spec's text through the whole pure pipeline, parse -> plan (three
 * answering nodes with room for any app) -> VCL for a route on every replica. Throws what
 * any step throws; the fuzz suite and the boundary test of one notion of valid share it.
 */
import { ingressSettings } from '../ingress/ingress-settings.ts';
import { renderVcl } from '../ingress/vcl.ts';
import { planDeployment, type DeploymentPlan } from '../reconcile/plan-deployment.ts';
import { MAX_CPUS, MAX_MEMORY_MB } from './fields.ts';
import { loadSpec } from './load-spec.ts';

const nodes = ['node1', 'node2', 'node3'].map((name) => ({
  name,
  up: true,
  labels: { zone: 'a' },
  capacity: { cpus: MAX_CPUS * 2, memoryMb: MAX_MEMORY_MB * 2 },
}));
const statuses = nodes.map((n, i) => ({ name: n.name, address: `10.0.0.${i + 1}`, enginePort: 2376, state: 'up' as const }));
const rollout = { now: 0, draining: new Map(), firstSeen: new Map(), lastBatchDone: new Map(), healthy: new Set<string>() };

export function parsePlanRender(text: string, file: string): { plan: DeploymentPlan; vcl: string } {
  const spec = loadSpec(text, file);
  const plan = planDeployment({
    deployment: { apps: spec.apps, strategy: 'spread', generation: 1 },
    nodes,
    statuses,
    existing: [],
    observed: [],
    registry: 'r:5000',
    rollout,
  });
  const routed = plan.desired.map((d, i) => ({ route: { app: d.app, node: d.node, address: '10.0.0.1', port: 1024 + (i % 60_000) }, health: d.health }));
  const vcl = renderVcl(
    routed.map((r) => r.route),
    { domain: 'matrix' },
    ingressSettings(routed),
  );
  return { plan, vcl };
}
