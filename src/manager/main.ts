/**
 * Composition root of the manager: builds every part from the home directory and the
 * manager config, nothing global. Runs until SIGTERM/SIGINT, then stops what it started,
 * except Varnish: the ingress serves on through a manager restart or upgrade.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { backendName, renderVcl } from '../core/ingress/vcl.ts';
import { buildApi } from './api/server.ts';
import { appSummaries } from './api/app-summaries.ts';
import { ensureApiToken } from './api/auth.ts';
import { ConsumerRunner } from './controllers/consumers.ts';
import { ClusterMetrics } from './metrics/metrics.ts';
import { ControlLoop } from './controllers/control-loop.ts';
import { DesiredState } from './controllers/desired-state.ts';
import { EventLog } from './controllers/event-log.ts';
import { ingressConsumer, ingressVcl } from './ingress/ingress-consumer.ts';
import { Serial } from '../util/serial.ts';
import { dockerEngines } from './nodes/docker-engine.ts';
import { httpProbe } from './nodes/health-probe.ts';
import { SimEngines } from './drivers/sim/sim-engines.ts';
import { securePaths, type HomePaths } from '../shared/home.ts';
import { pushSampleImages } from './images/sample-image.ts';
import { Varnish } from './ingress/varnish.ts';
import { apiUrl, dnsListen, readManagerConfig } from '../shared/manager-config.ts';
import { Pki } from './pki/pki.ts';
import { apiSans, registrySans } from './pki/sans.ts';
import { RegistryClient } from './registry/registry-client.ts';
import { startRegistry } from './registry/registry-process.ts';
import { SqliteStore } from './store/sqlite-store.ts';
import { SecretBox } from './secrets/secret-box.ts';
import { SpecParser } from './specs/spec-parser.ts';
import { Vault } from './secrets/vault.ts';
import { isRunning, stopPid, writePid } from '../util/pidfile.ts';
import { ComponentSupervisor } from './components/component-supervisor.ts';
import { checkRangeAgainstRoutes, parseClusterRange } from '../core/network/cluster-network.ts';
import { dnsService } from './dns/dns-service.ts';
import { networkConsumer } from './network/network-consumer.ts';
import { netHelperImage, runOnNodeNetwork } from './network/net-helper.ts';
import { setHostRoutes } from './network/host.ts';
import { hostRoutes } from '../shared/host-routes.ts';
import { engineClient } from './nodes/docker-client.ts';

/** This host's addresses, for the API certificate when it listens on every address. */
function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal && !a.address.includes('%'))
    .map((a) => a!.address);
}

/** Made once, on first use; a failure is not kept (the next use tries again). */
function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | null = null;
  return () => (p ??= make().catch((e: unknown) => ((p = null), Promise.reject(e))));
}

export async function runManager(paths: HomePaths): Promise<void> {
  const log = pino({ base: { svc: 'manager' } });
  const config = readManagerConfig(paths);
  securePaths(paths);
  writeFileSync(paths.managerPid, String(process.pid), { mode: 0o600 });

  const pki = new Pki(paths.pki);
  await pki.ensureCa();
  await pki.ensureClientCert('manager');
  const registryHost = config.registry.slice(0, config.registry.lastIndexOf(':'));
  const regCert = await pki.ensureServerCert('registry', registrySans(registryHost));
  const tls = pki.clientTls();

  const store = new SqliteStore(paths.db);
  const tokenHash = ensureApiToken(store, paths.token);
  const vault = new Vault(store, SecretBox.open(paths.secretKey));
  securePaths(paths); // the database and its WAL files now exist
  // the cluster network: refused before anything starts when its range would hide a network the host routes
  const range = parseClusterRange(config.network);
  checkRangeAgainstRoutes(range, await hostRoutes(), 'network', new Set(store.listNodes().map((n) => n.address)));

  const registryPid = join(paths.registry, 'registry.pid');
  await stopPid(registryPid, 'docker-registry'); // left behind by a manager that was killed
  const registryOptions = {
    home: paths.registry,
    addr: config.registry,
    tls: { certFile: regCert.cert, keyFile: regCert.key, clientCaFile: pki.trustFile(), ca: tls.ca, client: tls },
  };
  let registry = await startRegistry(registryOptions);
  writePid(registryPid, registry.pid);
  log.info({ registry: config.registry, pid: registry.pid }, 'registry ready');
  const registryClient = new RegistryClient({ addr: config.registry, ca: tls.ca, cert: tls.cert, key: tls.key });

  const dns = dnsService(paths.dns, dnsListen(config), log);
  await dns.start();

  const varnish = new Varnish(paths.varnishDir, config.ingress, config.ingressAdmin);
  await varnish.start(renderVcl([]));
  log.info({ ingress: config.ingress }, 'ingress ready');

  const events = new EventLog(1000, Date.now, store, (err) => log.error({ err }, 'cannot keep an event in the store'));
  // read at each scrape, from the loop made below
  const metrics: ClusterMetrics = new ClusterMetrics({
    nodes: () => loop.snapshot().nodes,
    // the same counts GET /v1/apps answers
    apps: () => appSummaries(loop, store).map((a) => ({ name: a.name, desired: a.desired, running: a.running, serving: a.serving })),
    backends: async () => {
      const state = loop.state();
      const apps = new Map([...state.routes, ...state.warming].map((r) => [backendName(r.route), r.route.app]));
      return { counters: await varnish.backendCounters(), appOf: (b) => apps.get(b) };
    },
  });
  events.onEvent((e) => metrics.event(e));
  const desiredLock = new Serial();
  const onAppFailed = (app: string, message: string) =>
    events.add({ kind: 'app-failed', subject: app, app, message: `${app} is left out of the ingress: ${message}` });
  const onUpdated = (routes: number, off: number, seconds: number) => {
    metrics.ingressReloaded(seconds);
    events.add({
      kind: 'ingress-reload',
      subject: 'ingress',
      message: `ingress reloaded: ${routes} routes${off ? `, ${off} switched off until healthy` : ''}`,
    });
  };
  const ingress = new ConsumerRunner(ingressConsumer(varnish, { domain: config.domain, onAppFailed, onUpdated }, log), log, events);
  const docker = dockerEngines(tls, vault.read, { range, dns: dns.containerDns });
  const helper = lazy(() => netHelperImage());
  const network = new ConsumerRunner(
    networkConsumer({
      range,
      mode: config.networkMode,
      hostRoutes,
      onMode: (mode) => log.info({ mode }, `cluster network: ${mode} (networkMode auto)`),
      run: async (node, script) => runOnNodeNetwork(engineClient(node, tls, 60_000), await helper(), script),
      runHost: (routes) => setHostRoutes(range, routes),
    }),
    log,
    events,
  );
  const dnsRecords = dns.consumer ? new ConsumerRunner(dns.consumer, log, events) : null;
  const sims = new SimEngines(paths.machines, vault.read); // nodes of the sim driver, simulated here
  const loop: ControlLoop = new ControlLoop({
    store,
    engines: (node) => sims.engine(node) ?? docker(node),
    probe: sims.probe(httpProbe),
    consumers: [ingress, network, ...(dnsRecords ? [dnsRecords] : [])],
    events,
    log,
    registry: config.registry,
    desiredLock,
    metrics,
  });
  // Varnish and the registry are kept running like the apps: restarted with backoff, as events
  const components = new ComponentSupervisor(
    [
      {
        name: 'ingress',
        alive: async () => varnish.pid() !== null,
        // boots with the VCL of the newest cluster state: it takes no traffic with an empty or old config
        restart: async () => {
          // without the warming replicas: a booted VCL's backends are all on until the next apply
          const vcl = loop.observedOnce() ? ingressVcl({ ...loop.state(), warming: [] }, config.domain).vcl : varnish.activeVcl() || renderVcl([]);
          await varnish.start(vcl);
          ingress.retryNow(); // it serves the newest state already: let the ingress say so now, not after its backoff
        },
        detail: () => {
          const v = varnish.activeVclName();
          return v ? `vcl ${v.name} active since ${new Date(v.at).toISOString()}` : 'adopted from an earlier manager; its vcl is replaced at the next change';
        },
      },
      ...(dns.component ? [dns.component] : []),
      {
        name: 'registry',
        alive: async () => isRunning(registry.pid, 'docker-registry'),
        restart: async () => {
          registry = await startRegistry(registryOptions);
          writePid(registryPid, registry.pid);
        },
      },
    ],
    { events, log },
  );
  // specs are parsed off the event loop, with a deadline and a heap of their own
  const specParser = new SpecParser();
  specParser.warm();
  const desired = new DesiredState(store, loop, registryClient, config.registry, desiredLock, {
    allowedRegistries: config.allowedRegistries,
    policy: config.policy,
    vault,
    parse: (source, file) => specParser.parse(source, file),
    events,
  });
  const apiHost = config.api.slice(0, config.api.lastIndexOf(':'));
  const apiCert = config.apiTls ? await pki.ensureServerCert('api', apiSans(apiHost, hostAddresses(), config.domain, hostname())) : null;
  const api = buildApi(
    {
      tokenHash,
      store,
      loop,
      desired,
      log,
      pushSampleImages: () => pushSampleImages(registryClient, undefined, (msg: string) => log.info(msg)),
      info: () => ({ registry: config.registry, ingress: config.ingress, pid: process.pid }),
      components: () => components.status(),
      dns: () => dns.view(),
      metrics: () => metrics.scrape(),
      requestTotals: () => metrics.appRequestTotals(),
    },
    apiCert ? { https: { key: readFileSync(apiCert.key, 'utf8'), cert: readFileSync(apiCert.cert, 'utf8') } } : {},
  );
  await api.listen({ host: apiHost.replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(config.api.split(':').pop()) });
  loop.start(500);
  components.start();
  log.info({ api: apiUrl(config) }, 'manager ready');

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  log.info('stopping');
  components.stop(); // first: what stops below must not be restarted
  loop.stop();
  await api.close();
  await specParser.close();
  // Varnish and the DNS server keep serving while no manager runs: the next one adopts them
  // (`matrix manager stop --with-ingress` stops them too)
  varnish.release();
  await registry.stop();
  rmSync(registryPid, { force: true });
  store.close();
  rmSync(paths.managerPid, { force: true });
}
