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
import { deployRequest, nodeRequest } from './validate.ts';

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

  app.get('/v1/nodes', async () => ({ nodes: d.cluster.view().nodes }));
  app.put<{ Params: { name: string } }>('/v1/nodes/:name', async (req) => {
    const node = nodeRequest(req.params.name, req.body);
    d.store.upsertNode(node);
    await d.cluster.tick();
    return { node: d.cluster.view().nodes.find((n) => n.name === node.name) };
  });
  app.delete<{ Params: { name: string } }>('/v1/nodes/:name', async (req) => {
    if (!d.store.removeNode(req.params.name)) throw new MatrixError('E_NOT_FOUND', `no node named ${req.params.name}`);
    await d.cluster.tick();
    return { removed: req.params.name };
  });

  app.get('/v1/replicas', async () => {
    const desired = d.store.currentDeployment()?.replicas ?? [];
    return { replicas: replicaRows(desired, d.cluster.observedReplicas(), d.cluster.nodeStatuses()), desired: desired.length };
  });
  app.get('/v1/routes', async () => ({ routes: d.cluster.view().routes }));
  app.get('/v1/deployment', async () => ({ deployment: d.store.currentDeployment() }));

  app.post('/v1/deploy', async (req) => d.deployer.deploy(deployRequest(req.body)));
  app.post('/v1/images/sample', async () => ({ images: await d.pushSampleImages() }));

  return app;
}
