/**
 * The manager's HTTP API. JSON in and out; every route but /v1/health needs the token;
 * every error goes through the one mapper. Bad input never reaches the store.
 */
import Fastify from 'fastify';
import type { Logger } from 'pino';
import { MatrixError } from '../../core/errors.ts';
import { replicaRows } from '../../core/replica-status.ts';
import type { Cluster } from '../controllers/cluster.ts';
import type { Deployer } from '../controllers/deployer.ts';
import type { Store } from '../store/store.ts';
import { tokenMatches } from './auth.ts';
import { toErrorBody } from './error-mapper.ts';
import { deployRequest, nodeRequest, scaleRequest } from './validate.ts';

export interface ApiDeps {
  token: string;
  store: Store;
  cluster: Cluster;
  deployer: Deployer;
  pushSampleImages: () => Promise<string[]>;
  info: () => Record<string, unknown>;
  log: Logger;
}

export function buildApi(d: ApiDeps) {
  // fastify's per-request lines stay quiet (warn); our own lines go to d.log
  const app = Fastify({ loggerInstance: d.log.child({ svc: 'api' }, { level: 'warn' }), bodyLimit: 2 * 1024 * 1024 });

  app.setErrorHandler((err, _req, reply) => {
    // fastify's own errors (bad JSON, too large) carry a statusCode: they are the client's fault
    const e = err as { statusCode?: number; message: string };
    const mapped = e.statusCode && e.statusCode < 500 && !(err instanceof MatrixError)
      ? toErrorBody(new MatrixError('E_BAD_REQUEST', e.message))
      : toErrorBody(err);
    if (mapped.status >= 500) d.log.error({ err }, 'request failed');
    void reply.status(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler((req, reply) => {
    const { status, body } = toErrorBody(new MatrixError('E_NOT_FOUND', `no route ${req.method} ${req.url}`));
    void reply.status(status).send(body);
  });

  app.addHook('onRequest', async (req) => {
    if (req.url === '/v1/health') return;
    if (!tokenMatches(req.headers.authorization, d.token)) {
      throw new MatrixError('E_AUTH', 'missing or wrong API token (the CLI reads it from $MATRIX_TOKEN or <MATRIX_HOME>/token)');
    }
  });

  app.get('/v1/health', async () => ({ ok: true }));
  app.get('/v1/info', async () => d.info());

  app.get('/v1/nodes', async () => ({ nodes: nodesView(d) }));
  app.put<{ Params: { name: string } }>('/v1/nodes/:name', async (req) => {
    const node = nodeRequest(req.params.name, req.body);
    d.store.upsertNode(node);
    await d.cluster.tick();
    return { node: nodesView(d).find((n) => n.name === node.name) };
  });
  app.delete<{ Params: { name: string } }>('/v1/nodes/:name', async (req) => {
    if (!d.store.removeNode(req.params.name)) throw new MatrixError('E_NOT_FOUND', `no node named ${req.params.name}`);
    await d.cluster.tick();
    return { removed: req.params.name };
  });

  app.get('/v1/replicas', async () => {
    const plan = d.cluster.latestPlan();
    const desired = plan?.desired ?? [];
    return {
      replicas: replicaRows(desired, d.cluster.observedReplicas(), d.cluster.nodeStatuses()),
      desired: desired.length,
      unplaced: plan?.unplaced ?? [],
    };
  });
  app.get('/v1/apps', async () => {
    const current = d.store.currentDeployment();
    const rows = replicaRows(d.cluster.latestPlan()?.desired ?? [], d.cluster.observedReplicas(), d.cluster.nodeStatuses());
    const unplaced = d.cluster.latestPlan()?.unplaced ?? [];
    return {
      apps: (current?.apps ?? []).map((a) => ({
        name: a.name,
        image: a.image,
        desired: a.replicas,
        running: rows.filter((r) => r.app === a.name && r.desired && r.state === 'running').length,
        unplaced: unplaced.filter((u) => u.app === a.name).length,
        pinned: !!a.pins,
        /** A rolling update or a drain is under way for this app. */
        updating: (d.cluster.latestPlan()?.blocked ?? []).some((b) => b.id.startsWith(`${a.name}.`) && /^(rolling update|draining)/.test(b.reason)),
        rollbacks: d.cluster.rollbackLog().filter((r) => r.app === a.name).length,
      })),
    };
  });
  app.get<{ Params: { name: string } }>('/v1/apps/:name', async (req) => {
    const spec = d.store.currentDeployment()?.apps.find((a) => a.name === req.params.name);
    if (!spec) throw new MatrixError('E_NOT_FOUND', `no app named ${req.params.name}`);
    const plan = d.cluster.latestPlan();
    return {
      app: spec,
      placements: d.store.listPlacements().filter((p) => p.app === spec.name),
      replicas: replicaRows(plan?.desired ?? [], d.cluster.observedReplicas(), d.cluster.nodeStatuses()).filter((r) => r.app === spec.name),
      unplaced: (plan?.unplaced ?? []).filter((u) => u.app === spec.name),
      blocked: (plan?.blocked ?? []).filter((b) => b.id.startsWith(`${spec.name}.`)),
      rollbacks: d.cluster.rollbackLog().filter((r) => r.app === spec.name),
    };
  });
  app.post<{ Params: { name: string } }>('/v1/apps/:name/rollback', async (req) => d.deployer.rollback(req.params.name));
  app.get<{ Params: { name: string } }>('/v1/apps/:name/history', async (req) => ({ history: d.deployer.history(req.params.name) }));
  app.post<{ Params: { name: string } }>('/v1/apps/:name/scale', async (req) => {
    const { replicas, dryRun } = scaleRequest(req.body);
    return d.deployer.scale(req.params.name, replicas, dryRun);
  });
  app.get('/v1/routes', async () => ({ routes: d.cluster.routes() }));
  app.get('/v1/deployment', async () => ({ deployment: d.store.currentDeployment() }));

  app.post('/v1/deploy', async (req) => d.deployer.deploy(deployRequest(req.body)));
  app.post('/v1/images/sample', async () => ({ images: await d.pushSampleImages() }));

  return app;
}

/** Nodes with health, labels and capacity as the scheduler sees them. */
function nodesView(d: ApiDeps) {
  const sched = new Map(d.cluster.schedNodes().map((n) => [n.name, n]));
  const stored = new Map(d.store.listNodes().map((n) => [n.name, n.labels]));
  return d.cluster.nodeStatuses().map((n) => ({
    ...n,
    labels: sched.get(n.name)?.labels ?? {},
    /** The labels set through the API (engine labels are merged under them in `labels`). */
    apiLabels: stored.get(n.name) ?? {},
    capacity: sched.get(n.name)?.capacity ?? null,
  }));
}
