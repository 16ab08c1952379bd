/**
 * Property-based: 10,000 generated bodies for every API route that takes one (and random
 * route parameters and raw payloads), against the real API, store, control loop and
 * registry. Every answer is JSON below 500; every refusal carries a known error code; a
 * refused request never changes stored state. Nodes are engines that never answer: a
 * generated node address is never contacted.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../core/errors.ts';
import { Serial } from '../../util/serial.ts';
import { ConsumerRunner } from '../controllers/consumers.ts';
import { ControlLoop } from '../controllers/control-loop.ts';
import { DesiredState } from '../controllers/desired-state.ts';
import { EventLog } from '../controllers/event-log.ts';
import { pushSampleImages } from '../images/sample-image.ts';
import { ingressConsumer } from '../ingress/ingress-consumer.ts';
import type { NodeEngine } from '../nodes/engine.ts';
import { startTestRegistry, type TestRegistry } from '../registry/test-registry.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { Vault } from '../secrets/vault.ts';
import { hashToken } from './auth.ts';
import { buildApi } from './server.ts';

const RUNS = 10_000;
const TOKEN = 'fuzz-token-0123456789abcdef';
let dir = '';
let reg: TestRegistry | undefined;
let store: SqliteStore | undefined;
let loop: ControlLoop | undefined;
let api: ReturnType<typeof buildApi> | undefined;
const counts: Record<string, Record<number, number>> = {};

/** A node that never answers, and never opens a connection anywhere. */
const silent = (): NodeEngine => ({
  ping: async () => false,
  info: async () => ({ capacity: { cpus: 0, memoryMb: 0 }, labels: {}, version: 'test' }),
  listManaged: async () => [],
  pull: async () => undefined,
  start: async () => Promise.reject(new Error('silent node')),
  stop: async () => undefined,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mx-fuzz-'));
  reg = await startTestRegistry();
  await pushSampleImages(reg.client, ['simplewebapp1']);
  const log = pino({ level: 'silent' });
  store = new SqliteStore(join(dir, 'state.db'));
  const events = new EventLog();
  const lock = new Serial();
  loop = new ControlLoop({
    store,
    engines: silent,
    consumers: [new ConsumerRunner(ingressConsumer({ apply: async () => true }, {}, log), log, events)],
    events,
    log,
    registry: reg.client.addr,
    desiredLock: lock,
  });
  const desired = new DesiredState(store, loop, reg.client, reg.client.addr, lock, { vault: new Vault(store, SecretBox.fromKey(randomBytes(32))) });
  api = buildApi({ tokenHash: hashToken(TOKEN), store, loop, desired, log, pushSampleImages: async () => [], info: () => ({}) });
  await api.ready();
}, 60_000);

afterAll(async () => {
  console.log(`api fuzz (status counts per route): ${JSON.stringify(counts)}`);
  await api?.close();
  loop?.stop();
  store?.close();
  await reg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

/** The stored desired state, to compare before and after a refused request. */
function stored(): string {
  return JSON.stringify([
    store!.currentDeployment()?.generation ?? 0,
    store!.listNodes(),
    store!.listProjects().map((p) => p.name),
    store!.listPlacements(),
    store!.listSecrets(),
  ]);
}

async function send(route: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload: unknown, raw = false): Promise<void> {
  const before = stored();
  const res = await api!.inject({
    method,
    url,
    headers: { authorization: `Bearer ${TOKEN}`, ...(raw ? { 'content-type': 'application/json' } : {}) },
    ...(payload === undefined
      ? {}
      : raw
        ? { payload: payload as string }
        : { payload: JSON.stringify(payload), headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } }),
  });
  (counts[route] ??= {})[res.statusCode] = (counts[route]![res.statusCode] ?? 0) + 1;
  expect(res.statusCode, `${method} ${url} ${res.body.slice(0, 200)}`).toBeLessThan(500);
  const body = JSON.parse(res.body) as { error?: { code: string; details?: { code: string }[] } };
  if (res.statusCode >= 400) {
    expect(body.error?.code && body.error.code in ERROR_CODES, res.body.slice(0, 200)).toBe(true);
    for (const d of body.error?.details ?? []) expect(d.code in ERROR_CODES).toBe(true);
    expect(stored(), `${method} ${url} changed state though refused`).toBe(before);
  }
}

const junk = fc.oneof(fc.anything({ maxDepth: 3 }), fc.constant(null), fc.string({ maxLength: 40 }));
const segment = fc.oneof(fc.constantFrom('web', 'simplewebapp1', 'node1', 'a-b', ''), fc.string({ maxLength: 30 })).map((s) => encodeURIComponent(s) || 'x');
const specText = fc.oneof(
  fc.constantFrom(
    'simplewebapp1 node1 5050 8080\n',
    'apps:\n  web: { image: cloud/simplewebapp1, port: 8080 }\n',
    'apps: {}\n',
    '[[[[',
    'services:\n  web: { image: cloud/simplewebapp1, ports: ["80"] }\n',
  ),
  fc.string({ maxLength: 200 }),
);

describe('fuzzing the API', { timeout: 300_000 }, () => {
  it(`POST /v1/deploy: ${RUNS} bodies`, async () => {
    const body = fc.oneof(
      junk,
      fc.record(
        {
          file: fc.oneof(fc.constantFrom('a.yaml', 'x.plan', 'compose.yml'), junk),
          source: fc.oneof(specText, junk),
          dryRun: fc.oneof(fc.boolean(), junk),
          project: fc.oneof(fc.constantFrom('p', 'shop'), junk),
          prune: fc.oneof(fc.boolean(), junk),
        },
        { requiredKeys: [] },
      ),
    );
    // dry runs and refusals only: a real accepted deploy is the other tests' business, and would change state
    await fc.assert(
      fc.asyncProperty(body, async (b) => send('deploy', 'POST', '/v1/deploy', b && typeof b === 'object' && !Array.isArray(b) ? { ...b, dryRun: true } : b)),
      { numRuns: RUNS },
    );
  });

  it(`POST /v1/apps/:name/scale, /v1/apps/remove, /v1/projects/:name/remove: ${RUNS} bodies each`, async () => {
    await fc.assert(
      fc.asyncProperty(
        segment,
        fc.oneof(junk, fc.record({ replicas: fc.oneof(fc.integer({ min: -2, max: 20_000 }), junk), dryRun: junk }, { requiredKeys: [] })),
        async (app, b) => send('scale', 'POST', `/v1/apps/${app}/scale`, b),
      ),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(junk, fc.record({ apps: fc.oneof(fc.array(fc.string({ maxLength: 70 }), { maxLength: 5 }), junk), dryRun: junk }, { requiredKeys: [] })),
        async (b) => send('remove', 'POST', '/v1/apps/remove', b),
      ),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(segment, junk, async (p, b) => send('project-remove', 'POST', `/v1/projects/${p}/remove`, b)),
      { numRuns: RUNS },
    );
  });

  it(`PUT and DELETE /v1/secrets/:name: ${RUNS} bodies and names each`, async () => {
    const value = fc.oneof(fc.base64String({ maxLength: 64 }), fc.string({ maxLength: 40 }), junk);
    const body = fc.oneof(junk, fc.record({ value, extra: junk }, { requiredKeys: [] }));
    await fc.assert(
      fc.asyncProperty(segment, body, async (n, b) => send('secret-set', 'PUT', `/v1/secrets/${n}`, b)),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(segment, async (n) => send('secret-rm', 'DELETE', `/v1/secrets/${n}`, undefined)),
      { numRuns: RUNS },
    );
  });

  it(`DELETE /v1/volumes/:node/:name: ${RUNS} names`, async () => {
    await fc.assert(
      fc.asyncProperty(segment, segment, async (n, v) => send('volume-rm', 'DELETE', `/v1/volumes/${n}/${v}`, undefined)),
      { numRuns: RUNS },
    );
  });

  it(`GET /v1/events: ${RUNS} queries`, async () => {
    const key = fc.constantFrom('since', 'app', 'node', 'kind', 'after', 'limit', 'other');
    const value = fc.oneof(fc.constantFrom('10m', '1h', '0', '1000', '1001', '-1', 'deploy', '2026-11-27T10:00:00Z', ''), fc.string({ maxLength: 30 }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, value), { maxLength: 4 }), async (pairs) =>
        send('events', 'GET', `/v1/events?${new URLSearchParams(pairs).toString()}`, undefined),
      ),
      { numRuns: RUNS },
    );
  });

  it(`PUT /v1/nodes/:name: ${RUNS} bodies, raw payloads and GET routes`, async () => {
    const nodeBody = fc.oneof(
      junk,
      fc.record(
        {
          address: fc.oneof(fc.ipV4(), fc.ipV6(), junk),
          enginePort: fc.oneof(fc.integer({ min: -1, max: 70_000 }), junk),
          labels: fc.oneof(fc.dictionary(fc.string({ maxLength: 70 }), fc.oneof(fc.string({ maxLength: 70 }), junk)), junk),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(segment, nodeBody, async (n, b) => send('node', 'PUT', `/v1/nodes/${n}`, b)),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (raw) => send('raw', 'POST', '/v1/deploy', raw, true)),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('apps', 'apps/web', 'apps/web/history', 'projects', 'nodes', 'replicas', 'status', 'routes', 'secrets', 'volumes', 'dns'),
        segment,
        async (r, s) => send('get', 'GET', `/v1/${r.replace('web', s)}`, undefined),
      ),
      { numRuns: RUNS },
    );
  });
});
