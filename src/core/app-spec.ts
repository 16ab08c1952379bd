import { DEFAULT_REPLICAS, DEFAULT_RESTART } from './defaults.ts';
import type { AppSpec } from './model.ts';

/** An app with every optional field at its default (no reservations, rules, env; restart unless-stopped). */
export function appSpec(required: Pick<AppSpec, 'name' | 'image' | 'port'> & Partial<AppSpec>): AppSpec {
  return {
    replicas: DEFAULT_REPLICAS,
    resources: { cpus: 0, memoryMb: 0 },
    constraints: [],
    affinity: [],
    antiAffinity: [],
    dependsOn: [],
    env: {},
    restart: DEFAULT_RESTART,
    ...required,
  };
}
