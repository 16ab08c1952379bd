/**
 * Plan lines -> desired replicas: resolves nodes against the cluster and gives each replica
 * its stable identity (`id`) and a revision that changes exactly when a new container is needed.
 */
import { createHash } from 'node:crypto';
import { MatrixError } from '../errors.ts';
import type { DesiredReplica, NodeInfo } from '../model.ts';
import { problemsError, type PlanLine } from './plan.ts';

export interface DesiredOptions {
  /** `host:port` of the cluster registry, as the nodes reach it. */
  registry: string;
  nodes: NodeInfo[];
  file?: string;
  /** Image tag; `latest` unless a deploy pins one. */
  tag?: string;
}

export function planToDesired(lines: PlanLine[], opts: DesiredOptions): DesiredReplica[] {
  const file = opts.file ?? 'applications.plan';
  const tag = opts.tag ?? 'latest';
  const known = new Set(opts.nodes.map((n) => n.name));
  const knownList = [...known].sort().join(', ') || '(none)';
  const problems: MatrixError[] = [];
  const out: DesiredReplica[] = [];

  for (const l of lines) {
    const source = `${file}:${l.line}`;
    if (!known.has(l.node)) {
      problems.push(new MatrixError('E_UNKNOWN_NODE', `unknown node "${l.node}"; the cluster has: ${knownList}`, { path: source }));
      continue;
    }
    const image = `${opts.registry}/cloud/${l.app}:${tag}`;
    out.push({
      app: l.app,
      node: l.node,
      image,
      hostPort: l.hostPort,
      containerPort: l.containerPort,
      id: `${l.app}.${l.node}.${l.hostPort}`,
      revision: revisionOf({ image, hostPort: l.hostPort, containerPort: l.containerPort }),
      source,
    });
  }
  if (problems.length > 0) throw problemsError(file, problems);
  return out;
}

/**
 * First 12 hex of sha256 over the fields that need a new container when they change.
 * Keys are written in a fixed order so the hash never depends on object construction.
 */
export function revisionOf(r: { image: string; hostPort: number; containerPort: number }): string {
  const canonical = JSON.stringify({ containerPort: r.containerPort, hostPort: r.hostPort, image: r.image });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

/** Every image the desired state needs, once each, sorted: checked in the registry before acting. */
export function imagesOf(desired: DesiredReplica[]): string[] {
  return [...new Set(desired.map((d) => d.image))].sort();
}
