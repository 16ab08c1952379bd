import type { RoutedReplica } from '../snapshot.ts';
import type { AppIngress } from './app-ingress.ts';

/**
 * Varnish probes an app's backends with the app's check. Mid-rollout, routed replicas of
 * two revisions may carry different checks: then the app keeps the default probe rather
 * than judging one revision by the other's check.
 */
export function ingressSettings(routed: readonly Pick<RoutedReplica, 'route' | 'health'>[]): Record<string, AppIngress> {
  const byApp = new Map<string, RoutedReplica['health'][]>();
  for (const r of routed) byApp.set(r.route.app, [...(byApp.get(r.route.app) ?? []), r.health]);
  const out: Record<string, AppIngress> = {};
  for (const [app, checks] of byApp) {
    const first = checks[0];
    if (!first || checks.some((c) => JSON.stringify(c) !== JSON.stringify(first))) continue;
    out[app] = { probe: { path: first.path, intervalS: first.intervalS, timeoutS: first.timeoutS, window: first.window, threshold: first.threshold } };
  }
  return out;
}
