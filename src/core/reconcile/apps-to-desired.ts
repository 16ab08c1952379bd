/**
 * Pure: apps + the scheduler's placements -> the concrete replicas reconcile compares with
 * what runs. Every replica carries its app's revision (`appRevision`).
 */
import { appRevision } from '../app-revision.ts';
import type { AppSpec, DesiredReplica, Placement } from '../model.ts';
import { resolveImage } from '../appspec/image-ref.ts';
import { byCodeUnit } from '../compare.ts';

export function replicaId(app: string, slot: number): string {
  return `${app}.${slot}`;
}

export function appsToDesired(apps: AppSpec[], placements: Placement[], registry: string): DesiredReplica[] {
  const byName = new Map(apps.map((a) => [a.name, a]));
  const revisions = new Map(apps.map((a) => [a.name, appRevision(a)]));
  const out: DesiredReplica[] = [];
  for (const p of placements) {
    const app = byName.get(p.app);
    if (!app || p.slot >= app.replicas) continue;
    const pin = app.pins?.[p.slot];
    const body = {
      image: resolveImage(app.image, registry),
      hostPort: pin ? pin.hostPort : (app.publish ?? null),
      containerPort: pin ? pin.containerPort : app.port,
      env: app.env,
      ...(app.command ? { command: app.command } : {}),
      ...(app.entrypoint ? { entrypoint: app.entrypoint } : {}),
      ...(app.expose === 'internal' ? { internal: true } : {}),
      ...(app.volumes ? { volumes: app.volumes } : {}),
      resources: app.resources,
      restart: app.restart,
      ...(app.health ? { health: app.health } : {}),
      ...(app.secrets?.length ? { secrets: app.secrets } : {}),
      ...(app.host ? { host: app.host } : {}),
    };
    out.push({
      app: app.name,
      node: p.node,
      id: replicaId(app.name, p.slot),
      ...body,
      revision: revisions.get(app.name)!,
      ...(app.source ? { source: app.source } : {}),
    });
  }
  return out.sort((a, b) => byCodeUnit(a.id, b.id));
}
