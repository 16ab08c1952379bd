/**
 * Who may call what. Three roles, each including the one before: `viewer` reads, `deployer`
 * also changes apps (deploy, scale, rm, rollback, images), `admin` also changes nodes and
 * tokens. The rule is by method and route, so a new route gets a role without being listed.
 */
export const ROLES = ['viewer', 'deployer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const ADMIN_ROUTES = [/^\/v1\/nodes(\/|$)/, /^\/v1\/tokens(\/|$)/];
/** Reads that need a deployer: what apps print may hold what a viewer should not see (as Kubernetes keeps pods/log a right of its own). */
const DEPLOYER_READS = new Set(['/v1/apps/:name/logs']);

/** The least role a request needs; `route` is the route's pattern (`/v1/nodes/:name`). */
export function requiredRole(method: string, route: string): Role {
  if (ADMIN_ROUTES.some((r) => r.test(route)) && (method !== 'GET' || route.startsWith('/v1/tokens'))) return 'admin';
  return (method === 'GET' || method === 'HEAD') && !DEPLOYER_READS.has(route) ? 'viewer' : 'deployer';
}

export function allows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}
