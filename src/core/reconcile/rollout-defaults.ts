import type { HealthCheck, UpdatePolicy } from '../model.ts';

/** Swarm-like defaults, but start-first and health-gated: an update never lowers capacity. */
export const UPDATE_DEFAULTS: Readonly<UpdatePolicy> = Object.freeze({
  parallelism: 1,
  delayS: 0,
  order: 'start-first',
  drainS: 2,
  monitorS: 30,
});

/** The health check an app without one gets: `/` answers. Matches the ingress probe defaults. */
export const DEFAULT_HEALTH: Readonly<HealthCheck> = Object.freeze({ path: '/', intervalS: 1, timeoutS: 1, threshold: 2, window: 3 });
