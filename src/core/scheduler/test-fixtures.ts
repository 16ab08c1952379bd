/** Builders shared by the scheduler's tests (not used by production code). */
import { appSpec } from '../app-spec.ts';
import type { AppSpec, Placement, SchedNode, Strategy } from '../model.ts';
import { schedule } from './schedule.ts';
import type { ScheduleResult } from './types.ts';

export function app(name: string, over: Partial<AppSpec> = {}): AppSpec {
  return appSpec({ name, image: `reg:5000/cloud/${name}:latest`, port: 8080, restart: 'always', ...over });
}

export function node(name: string, over: Partial<SchedNode> = {}): SchedNode {
  return { name, up: true, labels: {}, capacity: { cpus: 4, memoryMb: 4096 }, ...over };
}

export function nodes(n: number, over: Partial<SchedNode> = {}): SchedNode[] {
  return Array.from({ length: n }, (_, i) => node(`node${i + 1}`, over));
}

export function run(apps: AppSpec[], ns: SchedNode[], opts: { existing?: Placement[]; strategy?: Strategy; seed?: number } = {}): ScheduleResult {
  return schedule({ apps, nodes: ns, existing: opts.existing ?? [], strategy: opts.strategy ?? 'spread', seed: opts.seed ?? 1 });
}

/** node -> number of placements (of one app, or of all). */
export function perNode(placements: Placement[], appName?: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of placements) if (appName === undefined || p.app === appName) out[p.node] = (out[p.node] ?? 0) + 1;
  return out;
}

export function nodeOf(r: ScheduleResult, appName: string, slot: number): string | undefined {
  return r.placements.find((p) => p.app === appName && p.slot === slot)?.node;
}
