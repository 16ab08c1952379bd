import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EMPTY_SNAPSHOT, type PublishedState, type RoutedReplica } from '../../core/snapshot.ts';
import { ingressConsumer, ingressVcl, RECENT_ENDPOINT_MS } from './ingress-consumer.ts';

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
  warming: [],
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
  function consumerWithClock() {
    const cuts: { address: string; backends: readonly string[]; ports: readonly number[] }[] = [];
    const clock = { now: 1_000_000 };
    const consumer = ingressConsumer(
      { apply: async () => true, cutNode: async (address, backends, ports) => (cuts.push({ address, backends, ports }), 1) },
      { now: () => clock.now },
      pino({ level: 'silent' }),
    );
    return { consumer, cuts, clock };
  }

  it("marks the down node's routed backends sick, by the names the VCL gives them, and aborts fetches to every port it routed there lately", async () => {
    const { consumer, cuts } = consumerWithClock();
    const first = state([on('n1', '10.0.0.1', 'web', 30001), on('n3', '10.0.0.3', 'web', 30001), on('n3', '10.0.0.3', 'api', 30007)]);
    await consumer.apply(first);
    // api's replica on n3 left the VCL (unhealthy) before n3 went down: a fetch under the older VCL may still wait on it
    const second = state([on('n1', '10.0.0.1', 'web', 30001), on('n3', '10.0.0.3', 'web', 30001)], 2);
    await consumer.apply(second);
    await consumer.nodeDown!('n3', second);
    expect(cuts).toEqual([{ address: '10.0.0.3', backends: ['b_web_n3_30001'], ports: [30001, 30007] }]);
    // the names are the ones renderVcl declares
    expect(ingressVcl(second).vcl).toContain('backend b_web_n3_30001 {');
  });

  it('forgets endpoints routed long ago, and does nothing for a node it never routed to', async () => {
    const { consumer, cuts, clock } = consumerWithClock();
    await consumer.apply(state([on('n1', '10.0.0.1', 'web', 30001), on('n3', '10.0.0.3', 'web', 30001)]));
    clock.now += RECENT_ENDPOINT_MS + 1;
    const later = state([on('n1', '10.0.0.1', 'web', 30001)], 2);
    await consumer.apply(later);
    await consumer.nodeDown!('n3', later);
    await consumer.nodeDown!('n2', later);
    expect(cuts).toEqual([]);
    await consumer.nodeDown!('n1', null); // no applied state to name backends by: the fetches are aborted all the same
    expect(cuts).toEqual([{ address: '10.0.0.1', backends: [], ports: [30001] }]);
  });
});

describe('the VCL of a published state', () => {
  it('knows every app of the desired state: one with no routed replica answers 503 at its path', () => {
    const { vcl, routes, bad } = ingressVcl({ routes: [routed('web', 30001)], apps: ['web', 'worker'], warming: [] }, 'matrix');
    expect(routes).toBe(1);
    expect(bad.size).toBe(0);
    expect(vcl).toMatch(/if \(req\.url ~ "\^\/worker\/"\) \{\s+set req\.http\.X-Matrix-App = "worker";[^}]*synth\(503/);
    expect(vcl).not.toContain('d_worker');
    // the same cluster without the app: the name is unknown, hence 404
    expect(ingressVcl({ routes: [routed('web', 30001)], apps: ['web'], warming: [] }, 'matrix').vcl).not.toContain('"worker"');
  });

  it('serves no internal replica: an internal app has no backend and no path (the control loop leaves it out of the apps)', () => {
    const internal = { ...routed('db', 8080), route: { app: 'db', node: 'n1', address: '10.220.1.2', port: 8080 }, internal: true };
    const s = { ...state([routed('web', 30001), internal]), apps: ['web'] };
    const { vcl, routes } = ingressVcl(s);
    expect(routes).toBe(1);
    expect(vcl).not.toContain('10.220.1.2');
    expect(vcl).not.toMatch(/X-Matrix-App = "db"/);
  });

  it('declares warming replicas switched off, and the same text once they are routed: switching one on needs no compile', () => {
    const web = routed('web', 30001);
    const next = routed('web', 30002);
    const warm = ingressVcl({ routes: [web], apps: ['web'], warming: [next] });
    expect(warm.sick).toEqual(['b_web_n1_30002']);
    expect(warm.routes).toBe(1);
    expect(warm.vcl).toContain('.port = "30002"');
    const on = ingressVcl({ routes: [web, next], apps: ['web'], warming: [] });
    expect(on.sick).toEqual([]);
    expect(on.routes).toBe(2);
    expect(on.vcl).toBe(warm.vcl);
    // a routed endpoint listed as warming too (a stale start) stays on
    expect(ingressVcl({ routes: [web], apps: ['web'], warming: [{ ...web, containerId: '' }] }).sick).toEqual([]);
  });

  it('gives a new app whose replicas all warm up a director of switched-off backends, not the idle 503 path', () => {
    const { vcl, sick, routes } = ingressVcl({ routes: [], apps: ['web'], warming: [routed('web', 30001)] });
    expect(sick).toEqual(['b_web_n1_30001']);
    expect(routes).toBe(0);
    expect(vcl).toContain('d_web.add_backend(b_web_n1_30001)');
  });

  it('leaves internal warming replicas out', () => {
    const internal = { ...routed('db', 8080), internal: true };
    expect(ingressVcl({ routes: [], apps: [], warming: [internal] }).sick).toEqual([]);
  });
});
