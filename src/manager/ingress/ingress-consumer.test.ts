import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EMPTY_SNAPSHOT, type PublishedState, type RoutedReplica } from '../../core/snapshot.ts';
import { ingressConsumer } from './ingress-consumer.ts';

const routed = (app: string, port: number, path = '/'): RoutedReplica => ({
  route: { app, node: 'n1', address: '10.0.0.1', port },
  containerId: `${app}-${port}`,
  health: { path, intervalS: 1, timeoutS: 1, threshold: 2, window: 3 },
});
const state = (routes: RoutedReplica[], version = 1): PublishedState => ({ snapshot: EMPTY_SNAPSHOT, routes, version, generation: 1 });

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
    // fixed: it is routed again, and a later failure would be reported again
    await consumer.apply(state([routed('web', 30001), routed('api', 30002)], 3));
    expect(loaded[2]).toContain('30002');
  });
});
