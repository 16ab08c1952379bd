/**
 * `GET /metrics`, Prometheus text format (prom-client, on a registry of its own so tests and
 * two managers in one process never share series). Gauges are read from the cluster state
 * at each scrape; counters and histograms are fed by the loop, the node monitor, the ingress
 * and the event log as things happen; per-app requests come from Varnish's own backend
 * counters at each scrape.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ClusterEvent } from '../../shared/api-types.ts';
import { Serial } from '../../util/serial.ts';

export interface AppCounts {
  name: string;
  desired: number;
  running: number;
  serving: number;
}

/** What a scrape reads from the cluster now. */
export interface MetricsSource {
  nodes(): readonly { state: 'up' | 'down' }[];
  apps(): AppCounts[];
  /** Varnish's backend counters (`<vcl>.<backend>` -> fetches, failed connects), and the app of each backend routed now. */
  backends?(): Promise<{ counters: Map<string, { req: number; fail: number }>; appOf: (backend: string) => string | undefined }>;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class ClusterMetrics {
  readonly registry = new Registry();
  private readonly passSeconds: Histogram;
  private readonly planSeconds: Histogram;
  private readonly loopErrors: Counter;
  private readonly healthFailures: Counter<'app'>;
  private readonly ingressReloadSeconds: Histogram;
  private readonly events: Counter<'kind'>;
  private readonly failover: Histogram<'phase'>;
  private readonly requests: Counter<'app'>;
  private readonly requestFailures: Counter<'app'>;
  /** Per `<vcl>.<backend>`: the counter values of the last scrape (deltas feed the per-app counters). */
  private lastBackend = new Map<string, { req: number; fail: number }>();
  /** Nodes down and not yet out of the ingress / replaced: when each went down (ms). */
  private readonly downSince = new Map<string, { at: number; outOfIngress: boolean; replaced: boolean }>();
  /** Two scrapes at once must not count the same deltas twice. */
  private readonly reading = new Serial();

  constructor(private readonly source: MetricsSource) {
    const registers = [this.registry];
    new Gauge({
      name: 'matrix_nodes',
      help: 'Nodes by state, as the control loop last observed them',
      labelNames: ['state'],
      registers,
      collect() {
        const nodes = source.nodes();
        this.set({ state: 'up' }, nodes.filter((n) => n.state === 'up').length);
        this.set({ state: 'down' }, nodes.filter((n) => n.state === 'down').length);
      },
    });
    const perApp = (name: string, help: string, pick: (a: AppCounts) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['app'],
        registers,
        collect() {
          this.reset();
          for (const a of source.apps()) this.set({ app: a.name }, pick(a));
        },
      });
    perApp('matrix_replicas_desired', 'Replicas the desired state asks for, per app', (a) => a.desired);
    perApp(
      'matrix_replicas_running',
      'Running replicas of the desired state, per app (as matrix apps counts them: replicas on their way out are not)',
      (a) => a.running,
    );
    perApp('matrix_replicas_serving', 'Replicas the ingress routes to, per app', (a) => a.serving);
    this.passSeconds = new Histogram({
      name: 'matrix_reconcile_duration_seconds',
      help: 'One control-loop pass: observe, plan, act',
      buckets: SECONDS,
      registers,
    });
    this.planSeconds = new Histogram({
      name: 'matrix_schedule_duration_seconds',
      help: 'Planning (scheduling and reconciling) in one pass',
      buckets: SECONDS,
      registers,
    });
    this.loopErrors = new Counter({ name: 'matrix_loop_errors_total', help: 'Control-loop passes that failed', registers });
    this.healthFailures = new Counter({
      name: 'matrix_health_check_failures_total',
      help: 'Failed health checks of running replicas, per app',
      labelNames: ['app'],
      registers,
    });
    this.ingressReloadSeconds = new Histogram({
      name: 'matrix_ingress_reload_duration_seconds',
      help: 'Loading and activating a new ingress VCL (its count: the reloads)',
      buckets: SECONDS,
      registers,
    });
    this.events = new Counter({ name: 'matrix_events_total', help: 'Cluster events by kind (`matrix events`)', labelNames: ['kind'], registers });
    this.failover = new Histogram({
      name: 'matrix_failover_seconds',
      help: 'From a node going down to its replicas out of the ingress (phase out_of_ingress) and replaced elsewhere (phase replaced)',
      labelNames: ['phase'],
      buckets: SECONDS,
      registers,
    });
    this.requests = new Counter({
      name: 'matrix_app_requests_total',
      help: "Requests the ingress fetched from the app's replicas (Varnish's backend counters)",
      labelNames: ['app'],
      registers,
    });
    this.requestFailures = new Counter({
      name: 'matrix_app_request_failures_total',
      help: "Fetches that could not reach one of the app's replicas (connect failed or timed out; retried on another)",
      labelNames: ['app'],
      registers,
    });
  }

  observePass(seconds: number): void {
    this.passSeconds.observe(seconds);
  }

  observePlan(seconds: number): void {
    this.planSeconds.observe(seconds);
  }

  loopError(): void {
    this.loopErrors.inc();
  }

  healthCheck(app: string, ok: boolean): void {
    if (!ok) this.healthFailures.inc({ app });
  }

  ingressReloaded(seconds: number): void {
    this.ingressReloadSeconds.observe(seconds);
  }

  /** Counts the event; a node's going down starts its failover clock, which its replacements and the ingress stop. */
  event(e: ClusterEvent): void {
    this.events.inc({ kind: e.kind });
    const t = Date.parse(e.at);
    if (e.kind === 'node-down' && e.node !== undefined) {
      const since = Date.parse(e.data?.since ?? e.at);
      this.downSince.set(e.node, { at: Number.isFinite(since) ? since : t, outOfIngress: false, replaced: false });
    } else if (e.kind === 'node-up' && e.node !== undefined) {
      this.downSince.delete(e.node);
    } else if (e.kind === 'ingress-reload') {
      for (const d of this.downSince.values()) {
        if (d.outOfIngress) continue;
        d.outOfIngress = true;
        this.failover.observe({ phase: 'out_of_ingress' }, Math.max(0, (t - d.at) / 1000));
      }
    } else if (e.kind === 'replica-started') {
      for (const [node, d] of this.downSince) {
        if (d.replaced || !e.message.includes(`moved from ${node}: ${node} down`)) continue;
        d.replaced = true; // the first replacement: a node's replicas are replaced in one pass
        this.failover.observe({ phase: 'replaced' }, Math.max(0, (t - d.at) / 1000));
      }
    }
  }

  /** The text a scrape answers. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    await this.reading.run(() => this.readBackends());
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /**
   * Per app, the requests the ingress has fetched and the fetches that failed since the
   * manager started, read from Varnish now; null when Varnish did not answer.
   */
  async appRequestTotals(): Promise<Map<string, { req: number; fail: number }> | null> {
    if (!(await this.reading.run(() => this.readBackends()))) return null;
    const totals = new Map<string, { req: number; fail: number }>();
    for (const [counter, key] of [
      [this.requests, 'req'],
      [this.requestFailures, 'fail'],
    ] as const) {
      for (const v of (await counter.get()).values) {
        const app = String(v.labels.app);
        const t = totals.get(app) ?? { req: 0, fail: 0 };
        t[key] = v.value;
        totals.set(app, t);
      }
    }
    return totals;
  }

  /** False when Varnish did not answer. */
  private async readBackends(): Promise<boolean> {
    if (!this.source.backends) return false;
    let read: Awaited<ReturnType<NonNullable<MetricsSource['backends']>>>;
    try {
      read = await this.source.backends();
    } catch {
      return false; // Varnish down or restarting: the counters stay where they were
    }
    const next = new Map<string, { req: number; fail: number }>();
    for (const [key, v] of read.counters) {
      next.set(key, v);
      const app = read.appOf(key.slice(key.indexOf('.') + 1));
      if (app === undefined) continue;
      // a backend is new with each VCL: counted from zero, and a restarted varnishd starts over
      const was = this.lastBackend.get(key) ?? { req: 0, fail: 0 };
      const dReq = v.req >= was.req ? v.req - was.req : v.req;
      const dFail = v.fail >= was.fail ? v.fail - was.fail : v.fail;
      if (dReq > 0) this.requests.inc({ app }, dReq);
      if (dFail > 0) this.requestFailures.inc({ app }, dFail);
    }
    this.lastBackend = next;
    return true;
  }
}
