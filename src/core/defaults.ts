/**
 * Every default an app gets when its spec is silent, defined once: the spec parsers, the
 * scheduler, the rollout, the health prober and the ingress all read them from here.
 */
import type { HealthCheck, RestartPolicy, Strategy, UpdatePolicy } from './model.ts';

/** Swarm-like defaults, but start-first and health-gated: an update never lowers capacity. */
export const UPDATE_DEFAULTS: Readonly<UpdatePolicy> = Object.freeze({
  parallelism: 1,
  delayS: 0,
  order: 'start-first',
  drainS: 2,
  monitorS: 30,
});

/** The health check an app without one gets: `/` answers. The ingress probe uses the same. */
export const DEFAULT_HEALTH: Readonly<HealthCheck> = Object.freeze({ path: '/', intervalS: 1, timeoutS: 1, threshold: 2, window: 3 });

/** Docker's own choice for services: restarted by the engine unless someone stopped it. */
export const DEFAULT_RESTART: RestartPolicy = 'unless-stopped';

export const DEFAULT_REPLICAS = 1;

/** Per app: more is a typo, and the scheduler's memory grows with it. */
export const MAX_REPLICAS = 10_000;

export const DEFAULT_STRATEGY: Strategy = 'spread';
