import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EMPTY_SNAPSHOT, type PublishedState, type RoutedReplica } from '../../core/snapshot.ts';
import { ingressConsumer, ingressVcl } from './ingress-consumer.ts';

const routed = (app: string, port: number, path = '/'): RoutedReplica => ({
  route: { app, node: 'n1', address: '10.0.0.1', port },
  containerId: `${app}-${port}`,
  health: { path, intervalS: 1, timeoutS: 1, threshold: 2, window: 3 },
});
const state = (routes: RoutedReplica[], version = 1): PublishedState => ({
  snapshot: EMPTY_SNAPSHOT,
  routes,
  version,
  generation: 1,
  apps: [...new Set(routes.map((r) => r.route.app))],
});

describe('the ingress consumer', () => {
  it('leaves out an app it cannot render, reports it once, and keeps routing the others', async () => {
    const loaded: string[] = [];
    const failed: string[] = [];
    const consumer = ingressConsumer(
      { apply: async (v) => (loaded.push(v), true) },
      { onAppFailed: (app, msg) => failed.push(`${app}: ${msg}`) },
      pino({ level: 'silent' }),
    );
    // a probe path the renderer refuses (it could only come from stored state older than the spec check)
    const routes = [routed('web', 30001), routed('api', 30002, '/x"; }'), routed('api', 30003, '/x"; }')];
    await consumer.apply(state(routes));
    await consumer.apply(state(routes, 2));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/^api: .*probe path/);
    expect(loaded).toHaveLength(2);
    expect(loaded[0]).toContain('30001');
    expect(loaded[0]).not.toContain('30002');
    expect(loaded[0]).toMatch(/X-Matrix-App = "api";[^}]*synth\(503/); // it exists: 503, not 404
    // fixed: it is routed again, and a later failure would be reported again
    await consumer.apply(state([routed('web', 30001), routed('api', 30002)], 3));
    expect(loaded[2]).toContain('30002');
  });
});

describe('the ingress consumer when a node goes down', () => {
  const on = (node: string, address: string, app: string, port: number): RoutedReplica => ({ ...routed(app, port), route: { app, node, address, port } });
  const cuts: { address: string; backends: readonly string[]; ports: readonly number[] }[] = [];
  const consumer = ingressConsumer(
    { apply: async () => true, cutNode: async (address, backends, ports) => (cuts.push({ address, backends, ports }), 1) },
    {},
    pino({ level: 'silent' }),
  );

  it("cuts exactly the down node's backends of the applied state, by the names the VCL gives them", async () => {
    cuts.length = 0;
    const last = state([on('n1', '10.0.0.1', 'web', 30001), on('n3', '10.0.0.3', 'web', 30001), on('n3', '10.0.0.3', 'api', 30007)]);
    await consumer.nodeDown!('n3', last);
    expect(cuts).toEqual([{ address: '10.0.0.3', backends: ['b_web_n3_30001', 'b_api_n3_30007'], ports: [30001, 30007] }]);
    // the names are the ones renderVcl declares
    const { vcl } = ingressVcl(last);
    for (const b of cuts[0]!.backends) expect(vcl).toContain(`backend ${b} {`);
  });

  it('does nothing for a node with no routed replica, or before anything was applied', async () => {
    cuts.length = 0;
    await consumer.nodeDown!('n2', state([on('n1', '10.0.0.1', 'web', 30001)]));
    await consumer.nodeDown!('n1', null);
    expect(cuts).toEqual([]);
  });
});

describe('the VCL of a published state', () => {
  it('knows every app of the desired state: one with no routed replica answers 503 at its path', () => {
    const { vcl, routes, bad } = ingressVcl({ routes: [routed('web', 30001)], apps: ['web', 'worker'] }, 'matrix');
    expect(routes).toBe(1);
    expect(bad.size).toBe(0);
    expect(vcl).toMatch(/if \(req\.url ~ "\^\/worker\/"\) \{\s+set req\.http\.X-Matrix-App = "worker";[^}]*synth\(503/);
    expect(vcl).not.toContain('d_worker');
    // the same cluster without the app: the name is unknown, hence 404
    expect(ingressVcl({ routes: [routed('web', 30001)], apps: ['web'] }, 'matrix').vcl).not.toContain('"worker"');
  });
});
