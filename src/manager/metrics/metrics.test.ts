import { describe, expect, it } from 'vitest';
import type { ClusterEvent } from '../../shared/api-types.ts';
import { ClusterMetrics, type AppCounts } from './metrics.ts';

/** Pure: `name{labels} value` lines of a scrape -> value by series (comments left out). */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function world() {
  const state = {
    nodes: [{ state: 'up' as const }, { state: 'up' as const }, { state: 'down' as const }],
    apps: [{ name: 'web', desired: 3, running: 2, serving: 2 }] as AppCounts[],
    counters: new Map<string, { req: number; fail: number }>(),
    routed: new Map([['b_web_node1_32768', 'web']]),
    varnishDown: false,
  };
  const m = new ClusterMetrics({
    nodes: () => state.nodes,
    apps: () => state.apps,
    backends: async () => {
      if (state.varnishDown) throw new Error('varnishstat: no varnishd');
      return { counters: state.counters, appOf: (b) => state.routed.get(b) };
    },
  });
  return { m, state, scrape: async () => series((await m.scrape()).body) };
}

const ev = (kind: ClusterEvent['kind'], at: string, o: Partial<ClusterEvent> = {}): ClusterEvent => ({ kind, at, subject: 'x', message: '', ...o });

describe('cluster metrics', () => {
  it('reads nodes and replicas from the cluster at each scrape, in Prometheus text', async () => {
    const { m, state, scrape } = world();
    expect((await m.scrape()).contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    let s = await scrape();
    expect(s.get('matrix_nodes{state="up"}')).toBe(2);
    expect(s.get('matrix_nodes{state="down"}')).toBe(1);
    expect(s.get('matrix_replicas_desired{app="web"}')).toBe(3);
    expect(s.get('matrix_replicas_running{app="web"}')).toBe(2);
    expect(s.get('matrix_replicas_serving{app="web"}')).toBe(2);
    // an app removed is no series any more
    state.apps = [{ name: 'api', desired: 1, running: 1, serving: 1 }];
    s = await scrape();
    expect(s.has('matrix_replicas_desired{app="web"}')).toBe(false);
    expect(s.get('matrix_replicas_desired{app="api"}')).toBe(1);
  });

  it("counts an app's requests from Varnish's backend counters: by delta, across VCLs and a restarted varnishd, only for routed backends", async () => {
    const { state, scrape } = world();
    state.counters = new Map([
      ['mx1.b_web_node1_32768', { req: 10, fail: 1 }],
      ['mx1.b_gone_node2_1', { req: 50, fail: 0 }],
    ]);
    let s = await scrape();
    expect(s.get('matrix_app_requests_total{app="web"}')).toBe(10);
    expect(s.get('matrix_app_request_failures_total{app="web"}')).toBe(1);
    expect([...s.keys()].some((k) => k.includes('gone'))).toBe(false);
    // a new VCL: its backend counts from zero, the old one's went on a bit
    state.counters = new Map([
      ['mx1.b_web_node1_32768', { req: 12, fail: 1 }],
      ['mx2.b_web_node1_32768', { req: 5, fail: 0 }],
    ]);
    s = await scrape();
    expect(s.get('matrix_app_requests_total{app="web"}')).toBe(17);
    // Varnish unreachable: the counters stay; restarted: counted from its new zero
    state.varnishDown = true;
    expect((await scrape()).get('matrix_app_requests_total{app="web"}')).toBe(17);
    state.varnishDown = false;
    state.counters = new Map([['boot.b_web_node1_32768', { req: 3, fail: 0 }]]);
    expect((await scrape()).get('matrix_app_requests_total{app="web"}')).toBe(20);
  });

  it("answers each app's request totals read from Varnish now, and null when Varnish does not answer", async () => {
    const { m, state } = world();
    state.counters = new Map([['mx1.b_web_node1_32768', { req: 7, fail: 2 }]]);
    expect(await m.appRequestTotals()).toEqual(new Map([['web', { req: 7, fail: 2 }]]));
    state.counters = new Map([['mx1.b_web_node1_32768', { req: 9, fail: 2 }]]);
    expect(await m.appRequestTotals()).toEqual(new Map([['web', { req: 9, fail: 2 }]]));
    state.varnishDown = true;
    expect(await m.appRequestTotals()).toBeNull();
  });

  it('times a failover from the node going down to its replicas out of the ingress and replaced; counts events by kind', async () => {
    const { m, scrape } = world();
    m.event(ev('node-down', '2026-11-27T10:00:01.000Z', { node: 'node2', data: { since: '2026-11-27T10:00:00.500Z' } }));
    m.event(ev('ingress-reload', '2026-11-27T10:00:01.100Z'));
    m.event(ev('replica-started', '2026-11-27T10:00:01.300Z', { message: 'web.1 started on node3: moved from node1: node1 down since 09:00:00' }));
    m.event(ev('replica-started', '2026-11-27T10:00:02.000Z', { message: 'web.2 started on node3: moved from node2: node2 down since 10:00:00' }));
    // later reloads and moves are not this failover's
    m.event(ev('ingress-reload', '2026-11-27T10:00:09.000Z'));
    m.event(ev('replica-started', '2026-11-27T10:00:09.000Z', { message: 'web.0 started on node3: moved from node2: node2 down since 10:00:00' }));
    const s = await scrape();
    expect(s.get('matrix_failover_seconds_count{phase="out_of_ingress"}')).toBe(1);
    expect(s.get('matrix_failover_seconds_sum{phase="out_of_ingress"}')).toBeCloseTo(0.6, 6);
    expect(s.get('matrix_failover_seconds_count{phase="replaced"}')).toBe(1);
    expect(s.get('matrix_failover_seconds_sum{phase="replaced"}')).toBeCloseTo(1.5, 6);
    expect(s.get('matrix_events_total{kind="replica-started"}')).toBe(3);
    expect(s.get('matrix_events_total{kind="node-down"}')).toBe(1);
  });

  it('observes passes, planning, failed passes, health checks and ingress reloads', async () => {
    const { m, scrape } = world();
    m.observePass(0.02);
    m.observePlan(0.001);
    m.observePass(0.3);
    m.observePlan(0.002);
    m.loopError();
    m.healthCheck('web', true);
    m.healthCheck('web', false);
    m.ingressReloaded(0.02);
    const s = await scrape();
    expect(s.get('matrix_reconcile_duration_seconds_count')).toBe(2);
    expect(s.get('matrix_reconcile_duration_seconds_bucket{le="0.025"}')).toBe(1);
    expect(s.get('matrix_schedule_duration_seconds_sum')).toBeCloseTo(0.003, 6);
    expect(s.get('matrix_loop_errors_total')).toBe(1);
    expect(s.get('matrix_health_check_failures_total{app="web"}')).toBe(1);
    expect(s.get('matrix_ingress_reload_duration_seconds_count')).toBe(1);
  });
});
