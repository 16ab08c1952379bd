/**
 * The seed's plan file as apps: every line pins one replica of `cloud/<app>` to a node, so an
 * app's replicas are its lines, in order, and they never move (the scheduler keeps pins).
 */
import { appSpec } from '../app-spec.ts';
import type { AppSpec, Pin } from '../model.ts';
import type { PlanLine } from './plan.ts';
import { byCodeUnit } from '../compare.ts';

/** One pinned AppSpec per app name, sorted by name; lines are assumed valid (from parsePlan). */
export function planToApps(lines: PlanLine[], file = 'applications.plan'): AppSpec[] {
  const byApp = new Map<string, { first: PlanLine; pins: Pin[] }>();
  for (const l of lines) {
    const pin: Pin = { node: l.node, hostPort: l.hostPort, containerPort: l.containerPort };
    const entry = byApp.get(l.app);
    if (entry) entry.pins.push(pin);
    else byApp.set(l.app, { first: l, pins: [pin] });
  }
  return [...byApp.entries()]
    .sort(([a], [b]) => byCodeUnit(a, b))
    .map(([name, { first, pins }]) =>
      appSpec({ name, image: `cloud/${name}`, replicas: pins.length, port: first.containerPort, pins, source: `${file}:${first.line}` }),
    );
}
