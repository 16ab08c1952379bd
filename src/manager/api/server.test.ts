/**
 * The API over fastify's inject, with real parts behind it: a SQLite store on a temp file,
 * the real control loop and desired-state service, and a real docker-registry holding one
 * sample image. No
 * Docker engine answers here, so every registered node is `down` (its address is loopback
 * with a port nothing listens on), which is exactly what the E_NODE_DOWN path needs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderVcl } from '../../core/ingress/vcl.ts';
import { Serial } from '../../util/serial.ts';
import { dockerEngines } from '../nodes/docker-engine.ts';
import { ConsumerRunner } from '../controllers/consumers.ts';
import { ControlLoop } from '../controllers/control-loop.ts';
import { ClusterMetrics } from '../metrics/metrics.ts';
import { DesiredState } from '../controllers/desired-state.ts';
import { EventLog } from '../controllers/event-log.ts';
import { ingressConsumer, type VclTarget } from '../ingress/ingress-consumer.ts';
import { pushSampleImages } from '../images/sample-image.ts';
import { freePort, startTestRegistry, type TestRegistry } from '../registry/test-registry.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { Vault } from '../secrets/vault.ts';
import { hashToken, newToken } from './auth.ts';
import { buildApi } from './server.ts';

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

const TOKEN = newToken();
const VALUE = 'the-secret-value-7c1d';
const WRONG = newToken();

class RecordingIngress implements VclTarget {
  readonly applied: string[] = [];
  private current = '';
  async apply(vcl: string): Promise<boolean> {
    this.applied.push(vcl);
    const changed = vcl !== this.current;
    this.current = vcl;
    return changed;
  }
}

let dir = '';
let reg: TestRegistry | undefined;
let store: SqliteStore | undefined;
let loop: ControlLoop | undefined;
let api: ReturnType<typeof buildApi> | undefined;
let closedPort = 0;
const ingress = new RecordingIngress();
const logLines: string[] = [];
const responses: LightMyRequestResponse[] = [];

async function call(
  method: Method,
  url: string,
  opts: { body?: unknown; raw?: string; token?: string | null; contentType?: string; authorization?: string } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  else if (token !== null) headers.authorization = `Bearer ${token}`;
  if (opts.contentType) headers['content-type'] = opts.contentType;
  const res = await api!.inject({
    method,
    url,
    headers,
    ...(opts.raw !== undefined ? { payload: opts.raw } : opts.body !== undefined ? { payload: opts.body as object } : {}),
  });
  responses.push(res);
  return res;
}

// any: API bodies of many shapes, each test asserts the fields it reads
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (res: LightMyRequestResponse): any => JSON.parse(res.body);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mx-api-'));
  reg = await startTestRegistry();
  // one image exists (simplewebapp1), so a plan can name an existing and a missing one
  await pushSampleImages(reg.client, ['simplewebapp1']);
  await reg.pki.ensureClientCert('manager');
  closedPort = await freePort();

  const log = pino(
    { level: 'trace' },
    {
      write(line: string) {
        logLines.push(line);
      },
    },
  );
  store = new SqliteStore(join(dir, 'matrix.db'));
  const events = new EventLog(1000, Date.now, store);
  const lock = new Serial();
  const consumers = [new ConsumerRunner(ingressConsumer(ingress, {}, log), log, events)];
  loop = new ControlLoop({ store, engines: dockerEngines(reg.pki.clientTls()), consumers, events, log, registry: reg.client.addr, desiredLock: lock });
  const metrics = new ClusterMetrics({ nodes: () => loop!.snapshot().nodes, apps: () => [] });
  events.onEvent((e) => metrics.event(e));
  const desired = new DesiredState(store, loop, reg.client, reg.client.addr, lock, { vault: new Vault(store, SecretBox.fromKey(randomBytes(32))), events });
  const registry = reg;
  api = buildApi({
    tokenHash: hashToken(TOKEN),
    store,
    loop,
    desired,
    log,
    pushSampleImages: () => pushSampleImages(registry.client, ['simplewebapp1']),
    info: () => ({ registry: registry.client.addr, ingress: '127.0.0.1:0', pid: process.pid }),
    metrics: () => metrics.scrape(),
    requestTotals: () => metrics.appRequestTotals(),
  });
  await api.ready();
}, 60_000);

afterAll(async () => {
  await api?.close();
  loop?.stop();
  store?.close();
  await reg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('auth', () => {
  it('answers /v1/health without a token', async () => {
    const res = await call('GET', '/v1/health', { token: null });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ ok: true, store: 'up', components: [] });
  });

  const routes: [Method, string, unknown?][] = [
    ['GET', '/v1/info'],
    ['GET', '/metrics'],
    ['GET', '/v1/nodes'],
    ['PUT', '/v1/nodes/node1', { address: '127.0.0.1', enginePort: 2376 }],
    ['DELETE', '/v1/nodes/node1'],
    ['GET', '/v1/replicas'],
    ['GET', '/v1/routes'],
    ['GET', '/v1/apps/x/logs'],
    ['GET', '/v1/stats'],
    ['GET', '/v1/deployment'],
    ['POST', '/v1/deploy', { source: '' }],
    ['POST', '/v1/images/sample', {}],
    ['GET', '/v1/nope'],
  ];

  it.each(routes)('refuses %s %s without a token or with a wrong one', async (method, url, body) => {
    const variants: Parameters<typeof call>[2][] = [
      { token: null },
      { token: WRONG },
      { token: TOKEN + 'x' },
      { token: TOKEN.slice(1) },
      { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` },
      { authorization: 'Bearer ' },
    ];
    for (const v of variants) {
      const res = await call(method, url, { ...v, ...(body !== undefined ? { body } : {}) });
      expect(res.statusCode, JSON.stringify(v)).toBe(401);
      expect(json(res)).toMatchObject({ error: { code: 'E_AUTH' } });
    }
    // nothing reached the store
    expect(store!.listNodes()).toEqual([]);
    expect(store!.currentDeployment()).toBeNull();
  });

  it('accepts the right token', async () => {
    const res = await call('GET', '/v1/info');
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ registry: reg!.client.addr, pid: process.pid });
  });
});

describe('errors', () => {
  it('answers an unknown route with 404 E_NOT_FOUND', async () => {
    for (const [m, u] of [
      ['GET', '/v1/nope'],
      ['POST', '/v1/health'],
      ['GET', '/nope'],
    ] as [Method, string][]) {
      const res = await call(m, u);
      expect(res.statusCode).toBe(404);
      expect(json(res)).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
    }
  });

  it("answers the router's own errors (bad %-encoding, an over-long parameter) in the API's error shape", async () => {
    for (const url of ['/v1/apps/%zz', `/v1/apps/${'a'.repeat(500)}`, '/v1/apps/%E0%A4%A']) {
      const res = await call('GET', url);
      expect(res.statusCode, url).toBe(400);
      expect(json(res).error, url).toMatchObject({ code: 'E_BAD_REQUEST', message: expect.any(String) });
      expect(json(res).error.message.length).toBeLessThanOrEqual(200);
    }
  });

  it('answers malformed JSON with 400 E_BAD_REQUEST', async () => {
    for (const raw of ['{"source":', '{source: 1}', 'nope']) {
      const res = await call('POST', '/v1/deploy', { raw, contentType: 'application/json' });
      expect(res.statusCode, raw).toBe(400);
      expect(json(res)).toMatchObject({ error: { code: 'E_BAD_REQUEST' } });
    }
    const put = await call('PUT', '/v1/nodes/node1', { raw: '{"address":', contentType: 'application/json' });
    expect(put.statusCode).toBe(400);
    expect(json(put)).toMatchObject({ error: { code: 'E_BAD_REQUEST' } });
    expect(store!.listNodes()).toEqual([]);
  });

  it('answers a body of the wrong media type with 400 E_BAD_REQUEST, not a 5xx', async () => {
    const res = await call('POST', '/v1/deploy', { raw: 'web node1 80 8080', contentType: 'text/csv' });
    expect(res.statusCode).toBe(400);
    expect(json(res)).toMatchObject({ error: { code: 'E_BAD_REQUEST' } });
  });
});

describe('POST /v1/deploy validation', () => {
  const bad: [string, unknown, string][] = [
    ['source missing', {}, 'source'],
    ['source a number', { source: 42 }, 'source'],
    ['source null', { source: null }, 'source'],
    ['source an array', { source: ['a'] }, 'source'],
    ['dryRun a string', { source: '', dryRun: 'yes' }, 'dryRun'],
    ['dryRun a number', { source: '', dryRun: 1 }, 'dryRun'],
    ['file not a string', { source: '', file: 7 }, 'file'],
    ['body an array', [], 'body'],
    ['body a string', 'hello', 'body'],
    ['body null', null, 'body'],
  ];
  it.each(bad)('%s -> 400 with the path of the bad field', async (_what, body, path) => {
    const res = await call('POST', '/v1/deploy', { raw: JSON.stringify(body), contentType: 'application/json' });
    expect(res.statusCode).toBe(400);
    expect(json(res)).toMatchObject({ error: { code: 'E_BAD_REQUEST', path } });
  });

  it('refuses a plan over 1 MiB with a path, before parsing it', async () => {
    const res = await call('POST', '/v1/deploy', { body: { source: '#'.repeat(1024 * 1024 + 1) } });
    expect(res.statusCode).toBe(400);
    expect(json(res)).toMatchObject({ error: { code: 'E_BAD_REQUEST', path: 'source' } });
    // the limit is in bytes: 600,000 two-byte characters are over it, though the string is shorter
    const wide = await call('POST', '/v1/deploy', { body: { source: '#' + 'é'.repeat(600_000) } });
    expect(wide.statusCode).toBe(400);
    expect(json(wide)).toMatchObject({ error: { code: 'E_BAD_REQUEST', path: 'source' } });
  });

  it('refuses a body over the body limit with 400, not a 5xx', async () => {
    const res = await call('POST', '/v1/deploy', { body: { source: '#'.repeat(3 * 1024 * 1024) } });
    expect(res.statusCode).toBe(400);
    expect(json(res)).toMatchObject({ error: { code: 'E_BAD_REQUEST' } });
  });
});

describe('PUT /v1/nodes/:name', () => {
  const bad: [string, string, unknown, string][] = [
    ['uppercase name', 'Node1', { address: '127.0.0.1' }, 'name'],
    ['underscore in name', 'node_1', { address: '127.0.0.1' }, 'name'],
    ['name starting with -', '-node', { address: '127.0.0.1' }, 'name'],
    ['name of 64 characters', 'n'.repeat(64), { address: '127.0.0.1' }, 'name'],
    ['address missing', 'node1', {}, 'address'],
    ['address a host name', 'node1', { address: 'localhost' }, 'address'],
    ['address out of range', 'node1', { address: '127.0.0.256' }, 'address'],
    ['address a number', 'node1', { address: 2130706433 }, 'address'],
    ['port 0', 'node1', { address: '127.0.0.1', enginePort: 0 }, 'enginePort'],
    ['port 65536', 'node1', { address: '127.0.0.1', enginePort: 65536 }, 'enginePort'],
    ['port not an integer', 'node1', { address: '127.0.0.1', enginePort: 2376.5 }, 'enginePort'],
    ['port a string', 'node1', { address: '127.0.0.1', enginePort: '2376' }, 'enginePort'],
    ['body an array', 'node1', [], 'body'],
    ['availability unknown', 'node1', { address: '127.0.0.1', availability: 'pause' }, 'availability'],
    ['availability not a string', 'node1', { address: '127.0.0.1', availability: true }, 'availability'],
    ['driver not a name', 'node1', { address: '127.0.0.1', driver: 'SSH driver' }, 'driver'],
    ['socket relative', 'node1', { address: '127.0.0.1', socket: 'docker.sock' }, 'socket'],
    ['socket with a space', 'node1', { address: '127.0.0.1', socket: '/var/run/my docker.sock' }, 'socket'],
    ['socket not a string', 'node1', { address: '127.0.0.1', socket: ['/x'] }, 'socket'],
    ['driver not a string', 'node1', { address: '127.0.0.1', driver: 7 }, 'driver'],
  ];
  it.each(bad)('%s -> 400 with path', async (_what, name, body, path) => {
    const res = await call('PUT', `/v1/nodes/${encodeURIComponent(name)}`, { raw: JSON.stringify(body), contentType: 'application/json' });
    expect(res.statusCode).toBe(400);
    expect(json(res)).toMatchObject({ error: { code: 'E_BAD_REQUEST', path } });
    expect(store!.listNodes()).toEqual([]);
  });

  it('stores a valid node, which shows as down in GET /v1/nodes (no engine answers there)', async () => {
    const res = await call('PUT', '/v1/nodes/node1', { body: { address: '127.0.0.1', enginePort: closedPort, driver: 'ssh' } });
    expect(res.statusCode).toBe(200);
    // a node that never answered has no known capacity and only the labels set through the API
    const node = {
      name: 'node1',
      address: '127.0.0.1',
      enginePort: closedPort,
      state: 'down',
      labels: {},
      apiLabels: {},
      availability: 'active',
      driver: 'ssh',
      // its share of the cluster network, numbered when it joined
      subnet: 1,
      capacity: null,
      engineVersion: null,
    };
    expect(json(res)).toEqual({ node });
    const list = await call('GET', '/v1/nodes');
    expect(list.statusCode).toBe(200);
    expect(json(list)).toEqual({ nodes: [node] });
    // the tick behind the upsert routed the ingress to what runs: nothing
    expect(ingress.applied.length).toBeGreaterThan(0);
    expect(ingress.applied.every((v) => v === renderVcl([]))).toBe(true);
    expect(json(await call('GET', '/v1/routes'))).toEqual({ routes: [] });
    expect(json(await call('GET', '/v1/replicas'))).toEqual({ replicas: [], desired: 0, unplaced: [] });
  });

  it('updates a node in place and defaults the engine port to 2376', async () => {
    const res = await call('PUT', '/v1/nodes/node2', { body: { address: '127.0.0.2' } });
    expect(res.statusCode).toBe(200);
    expect(json(res).node).toMatchObject({ name: 'node2', address: '127.0.0.2', enginePort: 2376, state: 'down' });
    const again = await call('PUT', '/v1/nodes/node2', { body: { address: '127.0.0.1', enginePort: closedPort } });
    expect(json(again).node).toMatchObject({ name: 'node2', address: '127.0.0.1', enginePort: closedPort, state: 'down' });
    const labelled = await call('PUT', '/v1/nodes/node2', { body: { address: '127.0.0.1', enginePort: closedPort, labels: { zone: 'a' } } });
    expect(json(labelled).node).toMatchObject({ labels: { zone: 'a' }, apiLabels: { zone: 'a' } });
    const badLabel = await call('PUT', '/v1/nodes/node2', { body: { address: '127.0.0.1', labels: { zone: 'a b' } } });
    expect(json(badLabel).error).toMatchObject({ code: 'E_BAD_REQUEST', path: 'labels.zone' });
    expect(json(await call('GET', '/v1/nodes')).nodes.map((n: { name: string }) => n.name)).toEqual(['node1', 'node2']);
  });
});

describe('POST /v1/deploy', { timeout: 30_000 }, () => {
  const deploy = (source: string, extra: Record<string, unknown> = {}) => call('POST', '/v1/deploy', { body: { source, file: 'x.plan', ...extra } });
  const expectNothingStored = async () => {
    const res = await call('GET', '/v1/deployment');
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ deployment: null });
  };

  it('answers plan syntax problems with 422, the first code on top and every problem in details with its path', async () => {
    const res = await deploy('# app node ext int\nsimplewebapp1 node1 0 8080\nsimplewebapp1\nBad node1 80 8080\n');
    expect(res.statusCode).toBe(422);
    const { error } = json(res);
    expect(error.code).toBe('E_PORT_RANGE');
    expect(error.details.map((d: { code: string; path: string }) => [d.code, d.path])).toEqual([
      ['E_PORT_RANGE', 'x.plan:2'],
      ['E_PLAN_SYNTAX', 'x.plan:3'],
      ['E_PLAN_SYNTAX', 'x.plan:4'],
    ]);
    await expectNothingStored();
  });

  it('answers a single plan problem with 422 and its path', async () => {
    const res = await deploy('\nsimplewebapp1 node1 5050 5050 extra\n');
    expect(res.statusCode).toBe(422);
    const { error } = json(res);
    expect(error.code).toBe('E_PLAN_SYNTAX');
    expect(error.details).toEqual([expect.objectContaining({ code: 'E_PLAN_SYNTAX', path: 'x.plan:2' })]);
  });

  it('names the plan file in paths as given, defaulting to applications.plan', async () => {
    const res = await call('POST', '/v1/deploy', { body: { source: 'web node1 80' } });
    expect(res.statusCode).toBe(422);
    expect(json(res).error.details[0].path).toBe('applications.plan:1');
  });

  it('answers a port conflict and an unknown node with 422', async () => {
    const conflict = await deploy('simplewebapp1 node1 5050 8080\nsimplewebapp1 node1 5050 8080\n');
    expect(conflict.statusCode).toBe(422);
    expect(json(conflict).error).toMatchObject({ code: 'E_PORT_CONFLICT', details: [{ code: 'E_PORT_CONFLICT', path: 'x.plan:2' }] });

    const unknown = await deploy('simplewebapp1 node1 5050 8080\nsimplewebapp1 node9 5050 8080\n');
    expect(unknown.statusCode).toBe(422);
    expect(json(unknown).error).toMatchObject({ code: 'E_UNKNOWN_NODE', details: [{ code: 'E_UNKNOWN_NODE', path: 'x.plan:2' }] });
    expect(json(unknown).error.details[0].message).toContain('node1, node2');
    await expectNothingStored();
  });

  it('answers 422 E_IMAGE_NOT_FOUND for an image the registry does not have', async () => {
    const res = await deploy('simplewebapp1 node1 5050 8080\nnosuchapp node1 5051 8080\n');
    expect(res.statusCode).toBe(422);
    expect(json(res).error).toMatchObject({ code: 'E_IMAGE_NOT_FOUND', path: 'x.plan:2' });
    expect(json(res).error.message).toContain(`${reg!.client.addr}/cloud/nosuchapp:latest`);
    await expectNothingStored();
  });

  it('lists every missing image in details', async () => {
    const res = await deploy('nosuchapp node1 5050 8080\nsimplewebapp1 node1 5051 8080\nalsomissing node2 5050 8080\n');
    expect(res.statusCode).toBe(422);
    const { error } = json(res);
    expect(error.code).toBe('E_IMAGE_NOT_FOUND');
    expect(error.details.map((d: { code: string; path: string }) => [d.code, d.path]).sort()).toEqual([
      ['E_IMAGE_NOT_FOUND', 'x.plan:1'],
      ['E_IMAGE_NOT_FOUND', 'x.plan:3'],
    ]);
  });

  it('answers 503 E_NODE_DOWN for an existing image on a registered but down node, and stores nothing', async () => {
    const res = await deploy('# one replica\nsimplewebapp1 node1 5050 8080\n');
    expect(res.statusCode).toBe(503);
    expect(json(res).error).toMatchObject({ code: 'E_NODE_DOWN', path: 'x.plan:2' });
    await expectNothingStored();

    const dry = await deploy('simplewebapp1 node1 5050 8080\n', { dryRun: true });
    expect(dry.statusCode).toBe(503);
    expect(json(dry).error.code).toBe('E_NODE_DOWN');

    const two = await deploy('simplewebapp1 node1 5050 8080\nsimplewebapp1 node2 5050 8080\n');
    expect(two.statusCode).toBe(503);
    expect(json(two).error).toMatchObject({
      code: 'E_NODE_DOWN',
      details: [
        { code: 'E_NODE_DOWN', path: 'x.plan:1' },
        { code: 'E_NODE_DOWN', path: 'x.plan:2' },
      ],
    });
    await expectNothingStored();
    expect(json(await call('GET', '/v1/replicas'))).toEqual({ replicas: [], desired: 0, unplaced: [] });
  });

  it('refuses an empty plan (dry run or not) instead of removing everything', async () => {
    for (const dryRun of [true, false]) {
      const res = await deploy('# nothing yet\n', { dryRun });
      expect(res.statusCode).toBe(422);
      expect(json(res).error).toMatchObject({ code: 'E_SPEC_EMPTY', path: 'x.plan' });
    }
    await expectNothingStored();
  });
});

describe('projects', { timeout: 30_000 }, () => {
  const yaml = (apps: string[], name?: string) =>
    `${name ? `name: ${name}\n` : ''}apps:\n${apps.map((a) => `  ${a}: { image: cloud/simplewebapp1, port: 8080 }\n`).join('')}`;
  const deployYaml = (source: string, extra: Record<string, unknown> = {}) => call('POST', '/v1/deploy', { body: { file: 'shop.yaml', source, ...extra } });

  it('validates the project and prune fields with their paths', async () => {
    for (const [body, path] of [
      [{ project: 'Bad Name' }, 'project'],
      [{ project: 7 }, 'project'],
      [{ prune: 'yes' }, 'prune'],
    ] as const) {
      const res = await deployYaml(yaml(['web']), body);
      expect(res.statusCode).toBe(400);
      expect(json(res).error).toMatchObject({ code: 'E_BAD_REQUEST', path });
    }
  });

  it('records a project, keeps its missing apps, refuses its app names to another project', async () => {
    const first = await deployYaml(yaml(['web', 'api']));
    expect(first.statusCode).toBe(200);
    expect(json(first)).toMatchObject({ project: 'shop', added: ['api', 'web'], kept: [], pending: false });
    // no engine answers here: the replicas cannot be placed, and the answer says why
    expect(json(first).unplaced).toHaveLength(2);
    const second = await deployYaml(yaml(['web']));
    expect(json(second)).toMatchObject({ project: 'shop', kept: ['api'], unchanged: ['web'] });
    const owned = await deployYaml(yaml(['web'], 'other'));
    expect(owned.statusCode).toBe(409);
    expect(json(owned).error).toMatchObject({ code: 'E_APP_OWNED', message: expect.stringMatching(/belongs to project shop/) });
    const projects = json(await call('GET', '/v1/projects')).projects;
    expect(projects).toEqual([{ name: 'shop', apps: ['api', 'web'], kind: 'matrix', file: 'shop.yaml', updatedAt: expect.any(String) }]);
    const apps = json(await call('GET', '/v1/apps')).apps;
    expect(apps.map((a: { name: string; project: string }) => `${a.name}@${a.project}`)).toEqual(['api@shop', 'web@shop']);
  });

  it("scales an app (the dry run changes nothing), answers its revisions, and refuses a rollback with nothing to go back to (the dashboard's actions)", async () => {
    const replicasOfWeb = () => store!.currentDeployment()!.apps.find((a) => a.name === 'web')!.replicas;
    for (const [body, path] of [
      [{ replicas: -1 }, 'replicas'],
      [{ replicas: 1.5 }, 'replicas'],
      [{ replicas: '3' }, 'replicas'],
      [{}, 'replicas'],
    ] as const) {
      const res = await call('POST', '/v1/apps/web/scale', { body });
      expect([res.statusCode, json(res).error.code, json(res).error.path]).toEqual([400, 'E_BAD_REQUEST', path]);
    }
    const dry = await call('POST', '/v1/apps/web/scale', { body: { replicas: 3, dryRun: true } });
    expect(dry.statusCode).toBe(200);
    expect(json(dry)).toMatchObject({ dryRun: true, generation: null });
    expect(replicasOfWeb()).toBe(1);
    const real = await call('POST', '/v1/apps/web/scale', { body: { replicas: 3 } });
    expect(json(real)).toMatchObject({ dryRun: false, generation: expect.any(Number) });
    expect(replicasOfWeb()).toBe(3);
    expect((await call('POST', '/v1/apps/nope/scale', { body: { replicas: 1 } })).statusCode).toBe(404);
    // scaling is not a revision: web has the one it was deployed with
    const history = json(await call('GET', '/v1/apps/web/history')).history;
    expect(history).toEqual([expect.objectContaining({ image: expect.stringContaining('cloud/simplewebapp1'), replicas: 3 })]);
    const back = await call('POST', '/v1/apps/web/rollback');
    expect([back.statusCode, json(back).error.code, json(back).error.message]).toEqual([404, 'E_NOT_FOUND', 'web has no earlier revision to roll back to']);
    expect(replicasOfWeb()).toBe(3);
  });

  it('removes apps by name (all or nothing) and projects', async () => {
    for (const [body, path] of [
      [{ apps: [] }, 'apps'],
      [{ apps: ['Web'] }, 'apps[0]'],
      [{ apps: 'web' }, 'apps'],
    ] as const) {
      const res = await call('POST', '/v1/apps/remove', { body });
      expect(res.statusCode).toBe(400);
      expect(json(res).error).toMatchObject({ code: 'E_BAD_REQUEST', path });
    }
    const unknown = await call('POST', '/v1/apps/remove', { body: { apps: ['api', 'nope'] } });
    expect(unknown.statusCode).toBe(404);
    expect(store!.currentDeployment()!.apps.map((a) => a.name)).toEqual(['api', 'web']);
    const rm = await call('POST', '/v1/apps/remove', { body: { apps: ['api'] } });
    expect(json(rm)).toMatchObject({ removed: ['api'] });
    expect(store!.currentDeployment()!.apps.map((a) => a.name)).toEqual(['web']);
    const dry = await call('POST', '/v1/projects/shop/remove', { body: { dryRun: true } });
    expect(json(dry)).toMatchObject({ dryRun: true, removed: ['web'], generation: null });
    expect(store!.currentDeployment()!.apps.map((a) => a.name)).toEqual(['web']);
    const gone = await call('POST', '/v1/projects/shop/remove');
    expect(json(gone)).toMatchObject({ project: 'shop', removed: ['web'] });
    expect(json(await call('GET', '/v1/projects')).projects).toEqual([]);
    expect((await call('POST', '/v1/projects/shop/remove')).statusCode).toBe(404);
  });

  it('GET /v1/events: what each change did to which app, filtered, oldest first; a bad query is refused with its field', async () => {
    const api = json(await call('GET', '/v1/events?app=api&kind=deploy')).events;
    expect(api.map((e: { message: string }) => e.message)).toEqual([
      expect.stringMatching(/^api added \(generation \d+\): 1 × .*simplewebapp1/),
      expect.stringMatching(/^api removed \(generation \d+\)$/),
    ]);
    expect(api[0].id).toBeLessThan(api[1].id);
    const after = json(await call('GET', `/v1/events?app=api&after=${api[0].id}`)).events;
    expect(after.map((e: { id: number }) => e.id)).toEqual([api[1].id]);
    expect(json(await call('GET', '/v1/events?app=api&limit=1')).events).toEqual([api[1]]);
    expect(json(await call('GET', '/v1/events?since=1h&node=nowhere')).events).toEqual([]);
    for (const [q, path] of [
      ['since=yesterday', 'since'],
      ['since=', 'since'],
      ['kind=explosion', 'kind'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['after=-1', 'after'],
      ['app=a&app=b', 'app'],
    ] as const) {
      const res = await call('GET', `/v1/events?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(json(res).error).toMatchObject({ code: 'E_BAD_REQUEST', path });
    }
  });

  it('GET /metrics answers Prometheus text with a token, the events of the changes counted', async () => {
    const res = await call('GET', '/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toMatch(/^# HELP matrix_nodes /m);
    expect(res.body).toMatch(/^matrix_events_total\{kind="deploy"\} [1-9]\d*$/m);
    expect((await call('GET', '/metrics', { token: null })).statusCode).toBe(401);
  });

  it('reports the consumers and the loop in GET /v1/status', async () => {
    const res = await call('GET', '/v1/status');
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ apps: 0, nodes: { up: 0 }, consumers: [{ name: 'ingress', state: expect.stringMatching(/^(ok|waiting)$/) }] });
    expect(json(res).store).toEqual({ state: 'up', lastError: null });
    // every registered node's engine, as the last observation saw it (no engine answers here)
    expect(json(res).engines.every((e: { state: string }) => e.state === 'down')).toBe(true);
  });

  it('GET /v1/health answers 503 with the states when the store or a component is down', async () => {
    const broken = Object.create(store!, {
      ping: {
        value: () => {
          throw new Error('database disk image is malformed');
        },
      },
    }) as SqliteStore;
    const sick = buildApi({
      tokenHash: hashToken(TOKEN),
      store: broken,
      loop: loop!,
      desired: new DesiredState(store!, loop!, reg!.client, reg!.client.addr),
      log: pino({ level: 'silent' }),
      pushSampleImages: async () => [],
      info: () => ({}),
      components: () => [{ name: 'ingress', state: 'down', since: 'now', restarts: 3, lastError: 'cannot bind :6081' }],
    });
    const health = await sick.inject({ method: 'GET', url: '/v1/health' });
    expect(health.statusCode).toBe(503);
    expect(JSON.parse(health.body)).toEqual({ ok: false, store: 'down', components: [{ name: 'ingress', state: 'down' }] });
    const status = await sick.inject({ method: 'GET', url: '/v1/status', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(JSON.parse(status.body)).toMatchObject({
      store: { state: 'down', lastError: 'database disk image is malformed' },
      components: [{ name: 'ingress', state: 'down', lastError: 'cannot bind :6081' }],
    });
    await sick.close();
  });
});

describe('other routes', { timeout: 30_000 }, () => {
  it('pushes the sample images through POST /v1/images/sample', async () => {
    const res = await call('POST', '/v1/images/sample');
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ images: [`${reg!.client.addr}/cloud/simplewebapp1:latest`] });
  });

  it('deletes a node, then answers 404 for it', async () => {
    const del = await call('DELETE', '/v1/nodes/node2');
    expect(del.statusCode).toBe(200);
    expect(json(del)).toEqual({ removed: 'node2' });
    expect(store!.listNodes().map((n) => n.name)).toEqual(['node1']);

    const again = await call('DELETE', '/v1/nodes/node2');
    expect(again.statusCode).toBe(404);
    expect(json(again)).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
    const never = await call('DELETE', '/v1/nodes/never-was');
    expect(never.statusCode).toBe(404);
    expect(json(never)).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
  });
});

describe('tokens and roles', () => {
  const ROUTES: [Method, string][] = [
    ['GET', '/v1/info'],
    ['GET', '/v1/nodes'],
    ['PUT', '/v1/nodes/x'],
    ['DELETE', '/v1/nodes/x'],
    ['GET', '/v1/replicas'],
    ['GET', '/v1/apps'],
    ['GET', '/v1/apps/x'],
    ['POST', '/v1/apps/remove'],
    ['POST', '/v1/apps/x/rollback'],
    ['GET', '/v1/apps/x/history'],
    ['POST', '/v1/apps/x/scale'],
    ['GET', '/v1/projects'],
    ['POST', '/v1/projects/x/remove'],
    ['GET', '/v1/routes'],
    ['GET', '/v1/deployment'],
    ['GET', '/v1/status'],
    ['GET', '/v1/tokens'],
    ['POST', '/v1/tokens'],
    ['DELETE', '/v1/tokens/x'],
    ['POST', '/v1/deploy'],
    ['POST', '/v1/images/sample'],
    ['GET', '/v1/secrets'],
    ['PUT', '/v1/secrets/x'],
    ['DELETE', '/v1/secrets/x'],
  ];
  const need = (m: Method, url: string) =>
    url.startsWith('/v1/tokens') || (url.startsWith('/v1/nodes/') && m !== 'GET') ? 'admin' : m === 'GET' && !url.endsWith('/logs') ? 'viewer' : 'deployer';
  const rank = { viewer: 0, deployer: 1, admin: 2 } as const;

  it('walks every route: no token 401, a role too low 403, enough role gets past auth', async () => {
    const tokens: Record<'viewer' | 'deployer', string> = { viewer: '', deployer: '' };
    for (const role of ['viewer', 'deployer'] as const) {
      const res = await call('POST', '/v1/tokens', { body: { role, name: `ci-${role}` } });
      expect(res.statusCode).toBe(200);
      tokens[role] = json(res).token;
    }
    expect(json(await call('GET', '/v1/tokens')).tokens.map((t: { role: string }) => t.role)).toEqual(['admin', 'viewer', 'deployer']);
    for (const [m, url] of ROUTES) {
      expect((await call(m, url, { token: null })).statusCode, `${m} ${url}`).toBe(401);
      for (const role of ['viewer', 'deployer'] as const) {
        // an empty body: a request that gets past auth is then refused by validation, changing nothing
        const res = await call(m, url, { token: tokens[role], ...(m === 'GET' || m === 'DELETE' ? {} : { body: {} }) });
        if (rank[role] < rank[need(m, url)]) {
          expect(res.statusCode, `${role} ${m} ${url}`).toBe(403);
          expect(json(res).error.code).toBe('E_FORBIDDEN');
          expect(json(res).error.message).toContain(`needs the ${need(m, url)} role`);
        } else {
          expect([401, 403], `${role} ${m} ${url}`).not.toContain(res.statusCode);
        }
      }
    }
    // a revoked token opens nothing; the token file's admin token cannot be revoked
    const id = json(await call('GET', '/v1/tokens')).tokens.find((t: { role: string }) => t.role === 'viewer').id;
    expect((await call('DELETE', `/v1/tokens/${id}`)).statusCode).toBe(200);
    expect((await call('GET', '/v1/apps', { token: tokens.viewer })).statusCode).toBe(401);
    expect((await call('DELETE', '/v1/tokens/admin')).statusCode).toBe(400);
    expect((await call('POST', '/v1/tokens', { body: { role: 'root' } })).statusCode).toBe(400);
    // only hashes are stored
    expect(JSON.stringify(store!.listTokens())).not.toContain(tokens.deployer);
  });
});

describe('stats', () => {
  it("answers every node with what it could not measure, and the ingress's rates as unknown without Varnish", async () => {
    const res = await call('GET', '/v1/stats');
    expect(res.statusCode).toBe(200);
    const view = json(res);
    expect(view.at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(view.nodes.length).toBeGreaterThan(0);
    for (const n of view.nodes) expect(n).toMatchObject({ cpuPercent: null, memoryBytes: null, diskBytes: null }); // down: not asked
    expect(view.errors).toEqual(expect.arrayContaining([{ subject: 'ingress', message: 'Varnish did not answer: no request rates' }]));
    // every node registered here is down (nothing answers at its address): each is said to be
    expect(view.errors.filter((e: { message: string }) => e.message.endsWith('is down: not measured'))).toHaveLength(view.nodes.length);
  });
});

describe('app logs', () => {
  it('refuses an unknown app and bad query values with the path of the bad one', async () => {
    const none = await call('GET', '/v1/apps/no-such-app/logs');
    expect([none.statusCode, json(none).error.code]).toEqual([404, 'E_NOT_FOUND']);
    for (const [query, path] of [
      ['tail=0', 'tail'],
      ['tail=10001', 'tail'],
      ['tail=ten', 'tail'],
      ['since=yesterday', 'since'],
      ['after=2026-11-27T10:00:00Z', 'after'], // not a line's time: 9 digits of fraction
      ['after=2026-11-27T10:00:00.000000000Zjunk', 'after'],
      ['tail=1&tail=2', 'tail'],
    ]) {
      const res = await call('GET', `/v1/apps/no-such-app/logs?${query}`);
      expect([res.statusCode, json(res).error.code, json(res).error.path], query).toEqual([400, 'E_BAD_REQUEST', path]);
    }
  });
});

describe('secrets', () => {
  it('sets, lists and removes a secret by value in base64, never answering with the value', async () => {
    const set = await call('PUT', '/v1/secrets/db-password', { body: { value: Buffer.from(VALUE).toString('base64') } });
    expect(set.statusCode).toBe(200);
    expect(json(set)).toMatchObject({ created: true, change: null, secret: { name: 'db-password', version: 1, bytes: VALUE.length, usedBy: [] } });
    const again = await call('PUT', '/v1/secrets/db-password', { body: { value: Buffer.from(`${VALUE}!`).toString('base64') } });
    expect(json(again)).toMatchObject({ created: false, secret: { version: 2, bytes: VALUE.length + 1 } });
    const list = await call('GET', '/v1/secrets');
    expect(json(list).secrets.map((x: { name: string }) => x.name)).toEqual(['db-password']);
    expect((await call('DELETE', '/v1/secrets/db-password')).statusCode).toBe(200);
    expect(json(await call('GET', '/v1/secrets')).secrets).toEqual([]);
    const gone = await call('DELETE', '/v1/secrets/db-password');
    expect([gone.statusCode, json(gone).error.code]).toEqual([404, 'E_NOT_FOUND']);
  });

  it('refuses bad names and values with the path of the bad field', async () => {
    const bad = async (url: string, body: unknown, path: string) => {
      const res = await call('PUT', url, { body });
      expect(res.statusCode, url).toBe(400);
      expect(json(res).error).toMatchObject({ code: 'E_BAD_REQUEST', path });
    };
    await bad('/v1/secrets/-bad', { value: 'eA==' }, 'name');
    await bad(`/v1/secrets/${'a'.repeat(65)}`, { value: 'eA==' }, 'name');
    await bad('/v1/secrets/ok', { value: 'not base64!' }, 'value');
    await bad('/v1/secrets/ok', { value: '' }, 'value');
    await bad('/v1/secrets/ok', { value: 42 }, 'value');
    await bad('/v1/secrets/ok', { value: 'eA==', version: 3 }, 'version');
    await bad('/v1/secrets/ok', { value: Buffer.alloc(512 * 1024 + 1).toString('base64') }, 'value');
    expect(json(await call('GET', '/v1/secrets')).secrets).toEqual([]);
  });
});

describe('secrecy', () => {
  it('never puts the token or a secret value in a response or a log line', () => {
    expect(responses.length).toBeGreaterThan(50);
    // the log really captured something (the down node, the 503), so the check below means something
    expect(logLines.some((l) => l.includes('node1'))).toBe(true);
    for (const res of responses) {
      expect(res.body).not.toContain(TOKEN);
      expect(res.body).not.toContain(VALUE);
      expect(JSON.stringify(res.headers)).not.toContain(TOKEN);
    }
    for (const line of logLines) for (const s of [TOKEN, VALUE]) expect(line).not.toContain(s);
  });
});
