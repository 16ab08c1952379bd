/**
 * The manager's HTTP API. JSON in and out; every route but /v1/health and the dashboard's
 * files (/ui/, dashboard.ts: the page logs in itself) needs the token;
 * every error goes through the one mapper. Bad input never reaches the store.
 */
import { engineShown } from '../../core/model.ts';
import Fastify, { type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { MatrixError } from '../../core/errors.ts';
import { byCodeUnit } from '../../core/compare.ts';
import { appRevision } from '../../core/app-revision.ts';
import { projectsOf } from '../../core/projects.ts';
import type {
  AppDetail,
  AppSummary,
  ChangeResult,
  ComponentStatus,
  DnsView,
  EventsView,
  LogsView,
  StatsView,
  VolumesView,
  NodeView,
  ProjectView,
  ReplicasView,
  RollbackResult,
  SecretSetResult,
  SecretView,
  StatusView,
} from '../../shared/api-types.ts';
import type { ControlLoop } from '../controllers/control-loop.ts';
import type { DesiredState } from '../controllers/desired-state.ts';
import type { Store } from '../store/store.ts';
import { randomBytes } from 'node:crypto';
import { hashesEqual, hashToken, newToken, presentedHash } from './auth.ts';
import { allows, requiredRole, type Role } from './roles.ts';
import { toErrorBody } from './error-mapper.ts';
import { dashboardRoutes, isDashboardRoute } from './dashboard.ts';
import { appLogs } from './app-logs.ts';
import { appSummaries, replicaRowsNow, rollbacksOf } from './app-summaries.ts';
import { gatherStats } from './cluster-stats.ts';
import { deployRequest, dryRunRequest, eventsQuery, logsQuery, nodeRequest, removeAppsRequest, scaleRequest, secretRequest, tokenRequest } from './validate.ts';

export interface ApiDeps {
  /** SHA-256 of the API token (api/auth.ts). */
  tokenHash: string;
  store: Store;
  loop: ControlLoop;
  desired: DesiredState;
  pushSampleImages: () => Promise<string[]>;
  info: () => Record<string, unknown>;
  /** The manager's own processes (components/component-supervisor.ts); none in tests that run without them. */
  components?: () => ComponentStatus[];
  /** The `.matrix` DNS names (dns/dns-consumer.ts); absent in tests that run without them. */
  dns?: () => DnsView;
  /** Per app, the requests the ingress fetched and failed so far (metrics/metrics.ts); absent in tests without an ingress. */
  requestTotals?: () => Promise<Map<string, { req: number; fail: number }> | null>;
  /** `GET /metrics`, Prometheus text (metrics/metrics.ts); absent in tests that run without it. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  log: Logger;
}

export interface ApiOptions {
  /** Serve HTTPS with this certificate (from the cluster CA) instead of plain HTTP. */
  https?: { key: string; cert: string };
}

export function buildApi(d: ApiDeps, o: ApiOptions = {}) {
  // fastify's per-request lines stay quiet (warn); our own lines go to d.log
  const app = Fastify({
    // typed as a plain HTTP server either way: routes and hooks do not depend on the transport
    ...((o.https ? { https: { ...o.https, minVersion: 'TLSv1.2' } } : {}) as object),
    loggerInstance: d.log.child({ svc: 'api' }, { level: 'warn' }),
    bodyLimit: 2 * 1024 * 1024,
    // errors the router raises before any handler (bad %-encoding, a parameter too long) get the API's shape too
    frameworkErrors: (err, _req, reply) => {
      const { status, body } = toErrorBody(new MatrixError('E_BAD_REQUEST', err.message.slice(0, 200)));
      void (reply as FastifyReply).status(status).send(body); // its generic reply type is the route's, which has none here
    },
  });

  app.setErrorHandler((err, _req, reply) => {
    // fastify's own errors (bad JSON, too large) carry a statusCode: they are the client's fault
    const e = err as { statusCode?: number; message: string };
    const mapped =
      e.statusCode && e.statusCode < 500 && !(err instanceof MatrixError) ? toErrorBody(new MatrixError('E_BAD_REQUEST', e.message)) : toErrorBody(err);
    if (mapped.status >= 500) d.log.error({ err }, 'request failed');
    void reply.status(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler((req, reply) => {
    const { status, body } = toErrorBody(new MatrixError('E_NOT_FOUND', `no route ${req.method} ${req.url}`));
    void reply.status(status).send(body);
  });

  /** The role of the presented token: the token file's is admin, the others are in the store. */
  const roleOf = (header: string | undefined): Role | null => {
    const hash = presentedHash(header);
    if (hash === null) return null;
    if (hashesEqual(hash, d.tokenHash)) return 'admin';
    return d.store.listTokens().find((t) => hashesEqual(t.hash, hash))?.role ?? null;
  };
  app.addHook('onRequest', async (req) => {
    if (req.url === '/v1/health' || isDashboardRoute(req.routeOptions.url)) return; // the dashboard's page loads before its login
    const role = roleOf(req.headers.authorization);
    if (role === null) throw new MatrixError('E_AUTH', 'missing or wrong API token (the CLI reads it from $MATRIX_TOKEN or <MATRIX_HOME>/token)');
    const route = req.routeOptions.url; // undefined for an unknown route: the 404 handler answers
    const need = route === undefined ? 'viewer' : requiredRole(req.method, route);
    if (!allows(role, need)) {
      throw new MatrixError(
        'E_FORBIDDEN',
        `a ${role} token may not ${req.method} ${route}: that needs the ${need} role (\`matrix token create --role ${need}\`, as an admin)`,
      );
    }
  });

  const rows = () => replicaRowsNow(d.loop);
  const nodesView = (): NodeView[] => {
    const seen = new Map(d.loop.snapshot().nodes.map((n) => [n.name, n]));
    // a node added since the last pass shows as down until the loop has looked at it
    return d.store.listNodes().map((n) => seen.get(n.name) ?? { ...n, state: 'down' as const, apiLabels: n.labels, capacity: null, engineVersion: null });
  };

  const storeHealth = (): StatusView['store'] => {
    try {
      d.store.ping();
      return { state: 'up', lastError: null };
    } catch (e) {
      return { state: 'down', lastError: (e as Error).message.slice(0, 300) };
    }
  };
  // no token needed (load balancers, `manager start`): states only, the errors are in /v1/status
  app.get('/v1/health', async (_req, reply) => {
    const parts = (d.components?.() ?? []).map((c) => ({ name: c.name, state: c.state }));
    const store = storeHealth().state;
    const ok = store === 'up' && parts.every((c) => c.state === 'up');
    return reply.status(ok ? 200 : 503).send({ ok, store, components: parts });
  });
  app.get('/v1/info', async () => d.info());

  app.get('/v1/nodes', async (): Promise<{ nodes: NodeView[] }> => ({ nodes: nodesView() }));
  app.put<{ Params: { name: string } }>('/v1/nodes/:name', async (req): Promise<{ node: NodeView | undefined }> => {
    const node = nodeRequest(req.params.name, req.body);
    d.store.upsertNode(node);
    await d.loop.passAfter(0);
    return { node: nodesView().find((n) => n.name === node.name) };
  });
  app.delete<{ Params: { name: string } }>('/v1/nodes/:name', async (req) => {
    if (!d.store.removeNode(req.params.name)) throw new MatrixError('E_NOT_FOUND', `no node named ${req.params.name}`);
    await d.loop.passAfter(0);
    return { removed: req.params.name };
  });

  app.get('/v1/replicas', async (): Promise<ReplicasView> => {
    const plan = d.loop.latestPlan();
    // a replica that stays with its volume on a down node is planned and unplaced at once: count it once
    const stuck = new Set((plan?.unplaced ?? []).map((u) => `${u.app}.${u.slot}`));
    return { replicas: rows(), desired: (plan?.desired ?? []).filter((r) => !stuck.has(r.id)).length, unplaced: plan?.unplaced ?? [] };
  });
  app.get('/v1/apps', async (): Promise<{ apps: AppSummary[] }> => ({ apps: appSummaries(d.loop, d.store) }));
  app.get('/v1/stats', async (): Promise<StatsView> => {
    const apps = (d.store.currentDeployment()?.apps ?? []).map((a) => ({ name: a.name, desired: a.replicas }));
    return gatherStats({
      nodes: nodesView(),
      apps,
      replicas: d.loop.snapshot().replicas,
      engineOf: (node) => d.loop.engineOf(node),
      ...(d.requestTotals ? { requestTotals: d.requestTotals } : {}),
    });
  });
  app.get<{ Params: { name: string } }>('/v1/apps/:name/logs', async (req): Promise<LogsView> => {
    const q = logsQuery(req.query, Date.now());
    const name = req.params.name;
    const replicas = d.loop.snapshot().replicas;
    if (!d.store.currentDeployment()?.apps.some((a) => a.name === name) && !replicas.some((r) => r.app === name))
      throw new MatrixError('E_NOT_FOUND', `no app named ${name}`);
    return appLogs({ replicas, nodes: d.store.listNodes(), engineOf: (node) => d.loop.engineOf(node) }, name, q);
  });
  app.get<{ Params: { name: string } }>('/v1/apps/:name', async (req): Promise<AppDetail> => {
    const spec = d.store.currentDeployment()?.apps.find((a) => a.name === req.params.name);
    if (!spec) throw new MatrixError('E_NOT_FOUND', `no app named ${req.params.name}`);
    const plan = d.loop.latestPlan();
    return {
      app: spec,
      revision: appRevision(spec),
      placements: d.store.listPlacements().filter((p) => p.app === spec.name),
      replicas: rows().filter((r) => r.app === spec.name),
      unplaced: (plan?.unplaced ?? []).filter((u) => u.app === spec.name),
      blocked: (plan?.blocked ?? []).filter((b) => b.app === spec.name),
      rollbacks: rollbacksOf(d.loop, spec.name),
    };
  });
  app.post('/v1/apps/remove', async (req): Promise<ChangeResult> => {
    const { apps, dryRun } = removeAppsRequest(req.body);
    return d.desired.removeApps(apps, dryRun);
  });
  app.post<{ Params: { name: string } }>('/v1/apps/:name/rollback', async (req): Promise<RollbackResult> => d.desired.rollback(req.params.name));
  app.get<{ Params: { name: string } }>('/v1/apps/:name/history', async (req) => ({ history: d.desired.history(req.params.name) }));
  app.post<{ Params: { name: string } }>('/v1/apps/:name/scale', async (req): Promise<ChangeResult> => {
    const { replicas, dryRun } = scaleRequest(req.body);
    return d.desired.scale(req.params.name, replicas, dryRun);
  });

  app.get('/v1/projects', async (): Promise<{ projects: ProjectView[] }> => {
    const records = new Map(d.store.listProjects().map((p) => [p.name, p]));
    const owning = projectsOf(d.store.currentDeployment()?.apps ?? []);
    const names = [...new Set([...owning.map((p) => p.name), ...records.keys()])].sort();
    return {
      projects: names.map((name) => {
        const r = records.get(name);
        return { name, apps: owning.find((p) => p.name === name)?.apps ?? [], kind: r?.kind ?? null, file: r?.file ?? null, updatedAt: r?.updatedAt ?? null };
      }),
    };
  });
  app.post<{ Params: { name: string } }>('/v1/projects/:name/remove', async (req): Promise<ChangeResult> =>
    d.desired.removeProject(req.params.name, dryRunRequest(req.body)),
  );

  app.get('/v1/volumes', async (): Promise<VolumesView> => {
    const out: VolumesView = { volumes: [], unreachable: [] };
    await Promise.all(
      d.loop.snapshot().nodes.map(async (n) => {
        const e = d.loop.engineOf(n.name);
        if (!e?.listVolumes) {
          if (n.driver !== 'sim') out.unreachable.push(n.name);
          return;
        }
        try {
          for (const v of await e.listVolumes()) out.volumes.push({ node: n.name, ...v });
        } catch {
          out.unreachable.push(n.name);
        }
      }),
    );
    out.volumes.sort((a, b) => byCodeUnit(a.app, b.app) || byCodeUnit(a.name, b.name) || byCodeUnit(a.node, b.node));
    out.unreachable.sort(byCodeUnit);
    return out;
  });
  app.delete<{ Params: { node: string; name: string } }>('/v1/volumes/:node/:name', async (req) => {
    const node = d.loop.snapshot().nodes.find((n) => n.name === req.params.node);
    if (!node || node.driver === 'sim') throw new MatrixError('E_NOT_FOUND', `no node ${req.params.node} with volumes`, { path: 'node' });
    const e = d.loop.engineOf(node.name);
    if (!e?.removeVolume) throw new MatrixError('E_NODE_DOWN', `${node.name} does not answer: its volumes cannot be removed now`, { path: 'node' });
    await e.removeVolume(req.params.name);
    return { removed: req.params.name, node: req.params.node };
  });
  app.get('/metrics', async (_req, reply) => {
    if (!d.metrics) throw new MatrixError('E_NOT_FOUND', 'this manager serves no metrics');
    const m = await d.metrics();
    return reply.type(m.contentType).send(m.body);
  });
  app.get('/v1/events', async (req): Promise<EventsView> => ({ events: d.store.listEvents(eventsQuery(req.query, Date.now())) }));
  app.get('/v1/dns', async (): Promise<DnsView> => d.dns?.() ?? { listen: '', containerDns: null, serial: null, records: [] });
  app.get('/v1/routes', async () => ({ routes: d.loop.state().routes.map((r) => r.route) }));
  app.get('/v1/deployment', async () => ({ deployment: d.store.currentDeployment() }));
  app.get('/v1/status', async (): Promise<StatusView> => {
    const snap = d.loop.snapshot();
    const current = d.store.currentDeployment();
    const all = rows();
    return {
      generation: current?.generation ?? 0,
      nodes: { up: snap.nodes.filter((n) => n.state === 'up').length, down: snap.nodes.filter((n) => n.state === 'down').length },
      apps: current?.apps.length ?? 0,
      replicas: {
        desired: (d.loop.latestPlan()?.desired.length ?? 0) + (d.loop.latestPlan()?.unplaced.length ?? 0),
        running: all.filter((r) => r.desired && r.state === 'running').length,
      },
      consumers: d.loop.consumers(),
      ...(d.components ? { components: d.components() } : {}),
      store: storeHealth(),
      engines: snap.nodes.map((n) => {
        const h = d.loop.engineHealth(n.name);
        return {
          name: n.name,
          address: engineShown(n),
          state: n.state,
          since: h ? new Date(h.since).toISOString() : null,
          lastError: h?.lastError ?? null,
        };
      }),
      events: d.loop.events().slice(-20),
    };
  });

  app.get('/v1/tokens', async () => ({
    tokens: [
      { id: 'admin', name: 'admin (the token file)', role: 'admin', createdAt: null },
      ...d.store.listTokens().map((t) => ({ id: t.id, name: t.name, role: t.role, createdAt: t.createdAt })),
    ],
  }));
  app.post('/v1/tokens', async (req) => {
    const { name, role } = tokenRequest(req.body);
    const token = newToken();
    const rec = { id: randomBytes(6).toString('hex'), name, role, hash: hashToken(token), createdAt: new Date().toISOString() };
    d.store.addToken(rec);
    // the only time the token is shown; the store keeps its hash
    return { id: rec.id, name, role, createdAt: rec.createdAt, token };
  });
  app.delete<{ Params: { id: string } }>('/v1/tokens/:id', async (req) => {
    if (req.params.id === 'admin')
      throw new MatrixError(
        'E_BAD_REQUEST',
        "the token file's admin token cannot be revoked: delete <MATRIX_HOME>/token and restart the manager to replace it",
        { path: 'id' },
      );
    if (!d.store.removeToken(req.params.id)) throw new MatrixError('E_NOT_FOUND', `no token with id ${req.params.id}`, { path: 'id' });
    return { revoked: req.params.id };
  });

  app.get('/v1/secrets', async (): Promise<{ secrets: SecretView[] }> => ({ secrets: d.desired.secrets() }));
  app.put<{ Params: { name: string } }>('/v1/secrets/:name', async (req): Promise<SecretSetResult> => {
    const { name, value } = secretRequest(req.params.name, req.body);
    return d.desired.setSecret(name, value);
  });
  app.delete<{ Params: { name: string } }>('/v1/secrets/:name', async (req) => d.desired.removeSecret(req.params.name));

  app.post('/v1/deploy', async (req): Promise<ChangeResult> => d.desired.deploy(deployRequest(req.body)));
  app.post('/v1/images/sample', async () => ({ images: await d.pushSampleImages() }));
  dashboardRoutes(app);

  return app;
}
