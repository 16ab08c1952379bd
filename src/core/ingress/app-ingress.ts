/**
 * Per-app ingress settings for `renderVcl`: the app's own health probe and the host names
 * routed to it. Everything here ends up inside VCL strings, so it is validated strictly:
 * a value outside these shapes is a bug upstream (the manager builds them from validated
 * specs), hence `E_INTERNAL`.
 */
import { MatrixError } from '../errors.ts';
import { APP_NAME } from '../appspec/plan.ts';

export interface AppProbe {
  /** Path (no query) the probe GETs, e.g. `/health`. */
  path: string;
  intervalS: number;
  timeoutS: number;
  /** Healthy = at least `threshold` good probes among the last `window`. */
  window: number;
  threshold: number;
}

export interface AppIngress {
  /** From the app's health check; without it the app's probe uses the global options. */
  probe?: AppProbe;
  /** Extra host names routed to this app (exact match; compared lowercase). */
  hosts?: string[];
}

export const PROBE_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** A DNS name in lowercase: dot-separated labels of 1..63, at most 253 characters, no trailing dot. */
export const DNS_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);

/** Sane probe ranges: at most 20 probes a second per backend, at most an hour between two. */
export const PROBE_LIMITS = {
  intervalS: [0.05, 3600],
  timeoutS: [0.01, 3600],
  window: [1, 64], // Varnish keeps the window in a 64-bit mask
} as const;

function bad(app: string, what: string): never {
  throw new MatrixError('E_INTERNAL', `ingress settings of app "${app}": ${what}`, { path: `apps.${app}` });
}

/** Throws E_INTERNAL for anything that is not safe to paste into VCL. */
export function checkAppIngress(app: string, a: AppIngress): void {
  if (!APP_NAME.test(app)) bad(app, `app name must match ${APP_NAME.source}`);
  const p = a.probe;
  if (p !== undefined) {
    if (typeof p.path !== 'string' || !PROBE_PATH.test(p.path)) bad(app, `probe path must match ${PROBE_PATH.source}, got ${JSON.stringify(p.path)}`);
    for (const k of ['intervalS', 'timeoutS'] as const) {
      const [min, max] = PROBE_LIMITS[k];
      if (typeof p[k] !== 'number' || !Number.isFinite(p[k]) || p[k] < min || p[k] > max) bad(app, `probe ${k} must be seconds in ${min}..${max}, got ${p[k]}`);
    }
    const [wmin, wmax] = PROBE_LIMITS.window;
    if (!Number.isInteger(p.window) || p.window < wmin || p.window > wmax) bad(app, `probe window must be an integer in ${wmin}..${wmax}, got ${p.window}`);
    if (!Number.isInteger(p.threshold) || p.threshold < 1 || p.threshold > p.window)
      bad(app, `probe threshold must be an integer in 1..window (${p.window}), got ${p.threshold}`);
  }
  if (a.hosts !== undefined) {
    if (!Array.isArray(a.hosts)) bad(app, 'hosts must be a list');
    for (const h of a.hosts) {
      if (typeof h !== 'string' || !DNS_NAME.test(h)) bad(app, `host ${JSON.stringify(h)} is not a lowercase DNS name`);
    }
  }
}

/**
 * Host name -> app for the apps that are routed: `<app>.<domain>` (when `domain` is set) and
 * each app's extra `hosts`. Result sorted by app, then host. A host claimed by two apps is a
 * bug upstream (E_INTERNAL); `known` are all apps whose claims count (routed or configured).
 */
export function hostRules(
  routed: string[],
  known: string[],
  apps: Readonly<Record<string, AppIngress>>,
  domain: string | undefined,
): { app: string; hosts: string[] }[] {
  const owner = new Map<string, string>();
  const hostsOf = (app: string): string[] => {
    const hs = new Set(apps[app]?.hosts ?? []);
    if (domain !== undefined) hs.add(`${app}.${domain}`);
    return [...hs].sort();
  };
  for (const app of [...known].sort()) {
    for (const h of hostsOf(app)) {
      const other = owner.get(h);
      if (other !== undefined && other !== app) bad(app, `host "${h}" is also routed to app "${other}"`);
      owner.set(h, app);
    }
  }
  return [...routed]
    .sort()
    .map((app) => ({ app, hosts: hostsOf(app) }))
    .filter((r) => r.hosts.length > 0);
}
