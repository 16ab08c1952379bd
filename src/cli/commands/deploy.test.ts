import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppSummary, StatusView } from '../../shared/api-types.ts';
import type { ApiClient } from '../api-client.ts';
import { printIngressBanner } from '../ingress-status.ts';
import { answering, printChange, waitUntilServing } from './deploy.ts';

// `as unknown as ApiClient` below: the stub answers the two calls waitUntilServing makes

const app = (over: Partial<AppSummary>): AppSummary => ({
  name: 'web',
  project: 'shop',
  image: 'cloud/web',
  revision: 'r1',
  desired: 3,
  running: 3,
  leaving: 0,
  unplaced: 0,
  simulated: 0,
  pinned: false,
  internal: false,
  volumes: false,
  updating: false,
  rollbacks: 0,
  serving: 0,
  servingOld: 0,
  ...over,
});

const status = (over: Partial<StatusView>): StatusView => ({
  generation: 2,
  nodes: { up: 3, down: 0 },
  apps: 1,
  replicas: { desired: 3, running: 3 },
  consumers: [{ name: 'ingress', state: 'ok', applied: 2, offered: 2, appliedGeneration: 2, offeredGeneration: 2, failures: 0 }],
  store: { state: 'up', lastError: null },
  engines: [],
  events: [],
  ...over,
});

/** The two calls waitUntilServing makes, answered by the test. */
const api = (apps: AppSummary[], s: StatusView) => ({ apps: async () => apps, status: async () => s }) as unknown as ApiClient;

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = 0;
});

describe('waiting for a change to serve', () => {
  it('a change done while the ingress is down is reported done and pending, and is not an error', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
    const down = status({ components: [{ name: 'ingress', state: 'down', since: 'now', restarts: 0, lastError: 'cannot bind :6081' }] });
    await waitUntilServing(api([app({})], down), new Set(['web']), 60_000);
    expect(out.join('\n')).toMatch(/^done: web running; pending: the ingress is not serving \(varnishd is down: cannot bind :6081\)/m);
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('the same when the ingress runs but its updates fail', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
    const failing = status({
      consumers: [
        {
          name: 'ingress',
          state: 'failing',
          applied: 1,
          offered: 2,
          appliedGeneration: 1,
          offeredGeneration: 2,
          failures: 3,
          lastError: 'varnish CLI did not answer in time',
          failingSince: 'now',
        },
      ],
    });
    await waitUntilServing(api([app({})], failing), new Set(['web']), 60_000);
    expect(out.join('\n')).toMatch(/pending: the ingress is not serving \(its updates fail: varnish CLI did not answer in time\)/);
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('with a healthy ingress, replicas that never serve are an error after the timeout', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const errs: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: string) => void errs.push(m));
    await waitUntilServing(api([app({})], status({})), new Set(['web']), 0);
    expect(errs.join('\n')).toMatch(/E_DEPLOY_FAILED.*web: no replica passed its health check/);
    expect(process.exitCode).toBe(1);
  });

  it('an app placed on simulated nodes alone is not waited for; one with a real replica too is', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const errs: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: string) => void errs.push(m));
    await waitUntilServing(api([app({ simulated: 3 })], status({})), new Set(['web']), 0);
    expect(errs).toEqual([]);
    expect(process.exitCode ?? 0).toBe(0);
    await waitUntilServing(api([app({ simulated: 2 })], status({})), new Set(['web']), 0);
    expect(errs.join('\n')).toMatch(/E_DEPLOY_FAILED.*web: no replica passed its health check/);
  });

  it('says done only once the ingress no longer routes the replicas the change replaced', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
    const answers = [app({ serving: 4, servingOld: 1 }), app({ serving: 4, servingOld: 1 }), app({ serving: 3, servingOld: 0 })];
    let calls = 0;
    const stub = { apps: async () => [answers[Math.min(calls++, answers.length - 1)]!], status: async () => status({}) } as unknown as ApiClient;
    await waitUntilServing(stub, new Set(['web']), 60_000);
    expect(calls).toBe(3);
    expect(out).toEqual([]); // a short wait goes unsaid
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('with the ingress down, replaced replicas still routed are pending, not an error', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
    const down = status({ components: [{ name: 'ingress', state: 'down', since: 'now', restarts: 0, lastError: null }] });
    await waitUntilServing(api([app({ serving: 3, servingOld: 3 })], down), new Set(['web']), 60_000);
    expect(out.join('\n')).toMatch(
      /^done: web updated; pending: the ingress is not serving \(varnishd is down\) and still routes replicas that were replaced/m,
    );
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('returns at once when everything serves', async () => {
    await waitUntilServing(api([app({ serving: 3 })], status({})), new Set(['web']), 0);
    expect(process.exitCode ?? 0).toBe(0);
  });
});

describe('the ingress banner', () => {
  it('warns above a listing when the ingress does not serve, and says nothing when it does', async () => {
    const errs: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: string) => void errs.push(m));
    await printIngressBanner(api([], status({})));
    expect(errs).toEqual([]);
    await printIngressBanner(api([], status({ components: [{ name: 'ingress', state: 'down', since: 'now', restarts: 2, lastError: null }] })));
    expect(errs.join('\n')).toMatch(/^warning: the ingress is not serving \(varnishd is down\)/);
  });
});

describe('printing a change', () => {
  it('a dry run of a rolling update lists every replica it would replace, not only the first batch', () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
    const wait = (id: string, node: string) => ({ app: 'web', id, node, kind: 'rollout-batch' as const, reason: 'rolling update: waiting for its batch' });
    printChange({
      project: 'shop',
      dryRun: true,
      generation: null,
      actions: ['start web.0 on node1'],
      blocked: [
        { app: 'web', id: 'web.0', node: 'node1', kind: 'rollout-unhealthy', reason: 'rolling update: new replica not healthy yet' },
        wait('web.1', 'node2'),
        wait('web.1', 'node2'),
        wait('web.2', 'node3'),
      ],
      unplaced: [],
      warnings: [],
      failed: [],
      replicas: 3,
      added: [],
      changed: ['web'],
      unchanged: [],
      kept: [],
      removed: [],
      pending: false,
    });
    expect(out).toEqual([
      'would: start web.0 on node1',
      'would then: replace web.1 on node2, in a later batch of the rolling update',
      'would then: replace web.2 on node3, in a later batch of the rolling update',
    ]);
  });
});

describe('what the deploy waits for', () => {
  it('says internal apps answer inside the cluster, the others through the ingress', () => {
    expect(answering(['web', 'db', 'api'], new Set(['db']))).toBe('web, api to answer through the ingress and db to answer inside the cluster');
    expect(answering(['db'], new Set(['db']))).toBe('db to answer inside the cluster');
    expect(answering(['web'], new Set())).toBe('web to answer through the ingress');
  });
});
