/**
 * Pure: apps + the scheduler's placements -> the concrete replicas reconcile compares with
 * what runs. The revision hashes everything that needs a new container when it changes.
 */
import { createHash } from 'node:crypto';
import type { AppSpec, DesiredReplica, Placement } from '../model.ts';
import { resolveImage } from '../appspec/image-ref.ts';

export function replicaId(app: string, slot: number): string {
  return `${app}.${slot}`;
}

export function revisionOf(r: Omit<DesiredReplica, 'revision' | 'id' | 'app' | 'node' | 'source'>): string {
  // keys in a fixed order so the hash never depends on how the object was built
  const canonical = JSON.stringify([
    r.image,
    r.hostPort,
    r.containerPort,
    Object.entries(r.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    r.resources ? [r.resources.cpus, r.resources.memoryMb] : null,
    r.restart ?? null,
    r.health ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

export function appsToDesired(apps: AppSpec[], placements: Placement[], registry: string): DesiredReplica[] {
  const byName = new Map(apps.map((a) => [a.name, a]));
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
      resources: app.resources,
      restart: app.restart,
      ...(app.health ? { health: app.health } : {}),
    };
    out.push({
      app: app.name,
      node: p.node,
      id: replicaId(app.name, p.slot),
      ...body,
      revision: revisionOf(body),
      ...(app.source ? { source: app.source } : {}),
    });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
