/**
 * The Varnish ingress as a consumer of the cluster state: renders the routed replicas to
 * VCL and loads it. A render or load failure throws; the consumer runner reports it and
 * retries with backoff while the control loop goes on converging.
 */
import type { Logger } from 'pino';
import { ingressSettings } from '../../core/ingress/ingress-settings.ts';
import { renderVcl } from '../../core/ingress/vcl.ts';
import type { SnapshotConsumer } from '../controllers/consumers.ts';

export interface VclTarget {
  /** Loads the VCL; resolves false when it equals the active one. */
  apply(vcl: string): Promise<boolean>;
}

export function ingressConsumer(target: VclTarget, o: { domain?: string | undefined }, log: Logger): SnapshotConsumer {
  return {
    name: 'ingress',
    async apply(state) {
      const routes = state.routes.map((r) => r.route);
      const vcl = renderVcl(routes, o.domain ? { domain: o.domain } : {}, ingressSettings(state.routes));
      if (await target.apply(vcl)) log.info({ routes: routes.length }, 'ingress updated');
    },
  };
}
