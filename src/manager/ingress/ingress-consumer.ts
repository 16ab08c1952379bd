/**
 * The Varnish ingress as a consumer of the cluster state: renders the routed replicas to
 * VCL and loads it. An app whose settings cannot be rendered is left out and reported
 * (`onAppFailed`), so one bad app never takes the others' routes down; a load failure
 * throws, and the consumer runner reports it and retries with backoff while the control
 * loop goes on converging.
 */
import type { Logger } from 'pino';
import type { AppIngress } from '../../core/ingress/app-ingress.ts';
import { ingressSettings } from '../../core/ingress/ingress-settings.ts';
import { backendName, renderVcl } from '../../core/ingress/vcl.ts';
import type { Route } from '../../core/model.ts';
import type { PublishedState, RoutedReplica } from '../../core/snapshot.ts';
import type { SnapshotConsumer } from '../controllers/consumers.ts';

export interface VclTarget {
  /**
   * Makes `vcl` active with the backends named in `sick` switched off (and any it switched
   * off before that are not in `sick` switched on); resolves false when the VCL text equals
   * the active one, which then only has its backends' health set.
   */
  apply(vcl: string, sick: readonly string[]): Promise<boolean>;
  /** Marks `backends` sick and aborts the fetches in flight to `address` on `ports`; resolves to how many were aborted. */
  cutNode?(address: string, backends: readonly string[], ports: readonly number[]): Promise<number>;
}

export interface IngressConsumerOptions {
  domain?: string | undefined;
  /** An app is left out of the ingress because its settings cannot be rendered (called once per failure). */
  onAppFailed?: (app: string, message: string) => void;
  /** A new VCL was loaded, in `seconds`: `routes` backends on, `off` switched off (warming). */
  onUpdated?: (routes: number, off: number, seconds: number) => void;
  now?: () => number;
}

/**
 * How long a replica's endpoint is remembered after it left the VCL: a request fetched under
 * an older VCL may still be in flight to it (up to the first-byte timeout, then the body).
 */
export const RECENT_ENDPOINT_MS = 10 * 60_000;

/** Per node, the address:port endpoints the ingress routed to lately, and when last. */
class RecentEndpoints {
  private readonly byNode = new Map<string, Map<string, { address: string; port: number; at: number }>>();

  saw(routes: readonly Route[], at: number): void {
    for (const r of routes) {
      let m = this.byNode.get(r.node);
      if (!m) this.byNode.set(r.node, (m = new Map()));
      m.set(`${r.address}:${r.port}`, { address: r.address, port: r.port, at });
    }
    for (const [node, m] of this.byNode) {
      for (const [k, e] of m) if (at - e.at > RECENT_ENDPOINT_MS) m.delete(k);
      if (m.size === 0) this.byNode.delete(node);
    }
  }

  /** The node's recent ports, by address. */
  of(node: string, at: number): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const e of this.byNode.get(node)?.values() ?? []) if (at - e.at <= RECENT_ENDPOINT_MS) out.set(e.address, [...(out.get(e.address) ?? []), e.port]);
    return out;
  }
}

/**
 * Pure: the VCL that serves `state`, the backends in it to switch off (the warming replicas':
 * in the VCL already, so switching one on when it passes its check needs no compile), and
 * the apps left out because they cannot be rendered (with why).
 */
export function ingressVcl(
  state: Pick<PublishedState, 'routes' | 'apps' | 'warming'>,
  domain?: string,
): { vcl: string; routes: number; sick: string[]; bad: Map<string, string> } {
  const opts = domain ? { domain } : {};
  const routed = served(state.routes);
  const on = new Set(routed.map((r) => backendName(r.route)));
  const warming = served(state.warming).filter((r) => !on.has(backendName(r.route)));
  const all = [...routed, ...warming];
  const routes = all.map((r) => r.route);
  // every app of the desired state is known to the ingress: one with no route answers 503
  const settings: Record<string, AppIngress> = { ...Object.fromEntries(state.apps.map((a) => [a, {}])), ...ingressSettings(all) };
  const bad = unrenderable(routes, opts, settings);
  const good = routes.filter((r) => !bad.has(r.app));
  // an app left out still exists: it answers 503 like an app with no replica, not 404
  const vcl = renderVcl(good, opts, Object.fromEntries(Object.entries(settings).map(([app, s]) => [app, bad.has(app) ? {} : s])));
  const sick = [...new Set(warming.filter((r) => !bad.has(r.route.app)).map((r) => backendName(r.route)))].sort();
  return { vcl, routes: good.length - sick.length, sick, bad };
}

export function ingressConsumer(target: VclTarget, o: IngressConsumerOptions, log: Logger): SnapshotConsumer {
  let failing = new Set<string>();
  const now = o.now ?? Date.now;
  const lately = new RecentEndpoints();
  return {
    name: 'ingress',
    async apply(state) {
      const { vcl, routes, sick, bad } = ingressVcl(state, o.domain);
      for (const [app, message] of bad) {
        if (failing.has(app)) continue;
        log.error({ app, err: message }, `app ${app} is left out of the ingress: ${message}`);
        o.onAppFailed?.(app, message);
      }
      failing = new Set(bad.keys());
      const started = performance.now();
      if (await target.apply(vcl, sick)) {
        log.info({ routes, warming: sick.length }, 'ingress updated');
        o.onUpdated?.(routes, sick.length, (performance.now() - started) / 1000);
      }
      lately.saw(
        served([...state.routes, ...state.warming])
          .map((r) => r.route)
          .filter((r) => !bad.has(r.app)),
        now(),
      );
    },
    async nodeDown(node, last) {
      if (!target.cutNode) return;
      const active = served(last?.routes ?? [])
        .map((r) => r.route)
        .filter((r) => r.node === node);
      for (const [address, ports] of lately.of(node, now())) {
        const backends = active.filter((r) => r.address === address).map(backendName);
        const aborted = await target.cutNode(address, backends, ports);
        log.info(
          { node, backends: backends.length, aborted },
          `node ${node} is down: ${backends.length} backends marked sick, ${aborted} connections to it aborted (GETs in flight are retried elsewhere)`,
        );
      }
    },
  };
}

/** The routes the ingress serves: internal replicas are for the cluster network (DNS) alone. */
function served(routes: readonly RoutedReplica[]): RoutedReplica[] {
  return routes.filter((r) => !r.internal);
}

/** Apps whose routes and settings cannot be rendered, with why; empty when the whole VCL renders. */
function unrenderable(routes: Route[], opts: { domain?: string }, settings: Record<string, AppIngress>): Map<string, string> {
  const bad = new Map<string, string>();
  try {
    renderVcl(routes, opts, settings);
    return bad;
  } catch {
    // find the culprits one app at a time; rare, so the extra renders do not matter
  }
  for (const app of new Set(routes.map((r) => r.app))) {
    try {
      renderVcl(
        routes.filter((r) => r.app === app),
        opts,
        settings[app] ? { [app]: settings[app] } : {},
      );
    } catch (e) {
      bad.set(app, e instanceof Error ? e.message : String(e));
    }
  }
  return bad;
}
