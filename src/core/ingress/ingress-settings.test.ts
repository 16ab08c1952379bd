import { describe, expect, it } from 'vitest';
import { ingressSettings } from './ingress-settings.ts';

describe('ingressSettings', () => {
  const route = (app: string, node: string) => ({ app, node, address: '10.0.0.1', port: 30000 });
  const h = (path: string) => ({ path, intervalS: 1, timeoutS: 1, threshold: 2, window: 3 });

  it("probes an app with its replicas' check, or the default when revisions disagree or have none", () => {
    expect(
      ingressSettings([
        { route: route('web', 'n1'), health: h('/healthz') },
        { route: route('web', 'n2'), health: h('/healthz') },
        { route: route('api', 'n1'), health: h('/a') },
        { route: route('api', 'n2'), health: h('/b') },
        { route: route('db', 'n1'), health: undefined },
      ]),
    ).toEqual({ web: { probe: { path: '/healthz', intervalS: 1, timeoutS: 1, window: 3, threshold: 2 } } });
  });
});
