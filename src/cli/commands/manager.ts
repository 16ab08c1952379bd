/** `matrix manager ...`: run the manager (API, control loop, registry, ingress). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { MatrixError } from '../../core/errors.ts';
import { homePaths } from '../../shared/home.ts';
import { apiUrl, readManagerConfig, validateManagerConfig, writeManagerConfig, type ManagerConfig } from '../../shared/manager-config.ts';
import { ingressPid, managerPid, startManagerInBackground, stopManager, supervisorPid } from '../manager-process.ts';
import { matrixBin } from '../../shared/matrix-bin.ts';
import { hostRoutes } from '../../shared/host-routes.ts';
import { checkRangeAgainstRoutes, HOST_ROUTE_PROTO, parseClusterRange } from '../../core/network/cluster-network.ts';

export function managerCommands(program: Command): void {
  const m = program.command('manager').description('the cluster manager: API, control loop, registry and ingress');

  m.command('start')
    .description('start the manager (in the background unless --foreground)')
    .option('--foreground', 'run in this process, logging JSON to stdout', false)
    .option('--api <host:port>', 'API listen address (beyond loopback only with --api-tls)')
    .option('--api-tls', 'serve the API over HTTPS with a certificate from the cluster CA; clients elsewhere set MATRIX_CA to <MATRIX_HOME>/pki/ca.pem')
    .option('--no-api-tls', 'serve the API over plain HTTP (loopback only)')
    .option('--registry <host:port>', 'registry listen address (nodes pull from it)')
    .option('--ingress <host:port>', 'Varnish listen address')
    .option('--ingress-admin <host:port>', "Varnish's admin address (loopback)")
    .option('--domain <domain>', 'apps also answer at <app>.<domain> on the ingress (default matrix)')
    .option('--network <cidr>', "the cluster network's range; each node's containers get a /24 of it (default 10.220.0.0/16)")
    .option(
      '--network-mode <mode>',
      'auto (the default: host-gw when every node is on a network this host reaches directly, else vxlan), host-gw (one L2 network) or vxlan (across routed networks)',
    )
    .option('--dns <host:port>', 'where the .matrix DNS server listens (default: the registry address, port 53, when nodes can reach it)')
    .action(async (o: Partial<ManagerConfig> & { foreground: boolean }) => {
      const paths = homePaths();
      const overrides: Partial<ManagerConfig> = {};
      for (const k of ['api', 'registry', 'ingress', 'ingressAdmin', 'domain', 'network', 'dns'] as const) if (o[k]) overrides[k] = o[k];
      if (o.apiTls !== undefined) overrides.apiTls = o.apiTls;
      if (o.networkMode) overrides.networkMode = o.networkMode;
      // a range that would hide a network this host routes is refused before it is written (the manager
      // would refuse to start); routes a manager added to its nodes are its own business (it checks them)
      if (overrides.network) {
        const routes = (await hostRoutes()).filter((r) => r.protocol !== HOST_ROUTE_PROTO);
        checkRangeAgainstRoutes(parseClusterRange(overrides.network, '--network'), routes, '--network');
      }
      if (Object.keys(overrides).length) writeManagerConfig(paths, validateManagerConfig({ ...readManagerConfig(paths), ...overrides }));
      if (o.foreground) {
        const { runManager } = await import('../../manager/index.ts'); // lazily: other commands never load the manager
        await runManager(paths);
        // everything is stopped; idle keep-alive sockets to the engines would hold the process ~5 s more
        process.exit(0);
      }
      const pid = await startManagerInBackground(paths);
      console.log(`manager running (pid ${pid}), API ${apiUrl(readManagerConfig(paths))}, log ${paths.managerLog}`);
    });

  m.command('supervise', { hidden: true })
    .description('run the manager and restart it whenever it dies (what `manager start` runs in the background)')
    .action(async () => {
      const { supervise } = await import('../supervisor.ts');
      await supervise(homePaths(), process.argv[1]!);
    });

  m.command('install')
    .description('write a systemd unit that runs the manager and restarts it (Restart=always), for hosts with systemd')
    .option('--unit-dir <dir>', 'where to write cloudmatrix-manager.service', '/etc/systemd/system')
    .option('--print', 'print the unit instead of writing it', false)
    .action(async (o: { unitDir: string; print: boolean }) => {
      const { systemdUnit } = await import('../supervisor.ts');
      const unit = systemdUnit({ matrixBin: matrixBin(), home: homePaths().root });
      if (o.print) {
        process.stdout.write(unit);
        return;
      }
      const file = join(o.unitDir, 'cloudmatrix-manager.service');
      try {
        writeFileSync(file, unit, { mode: 0o644 });
      } catch (e) {
        throw new MatrixError('E_BAD_REQUEST', `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path: '--unit-dir' });
      }
      console.log(`wrote ${file}; enable it with: systemctl daemon-reload && systemctl enable --now cloudmatrix-manager`);
      console.log('stop a manager started with `matrix manager start` first (`matrix manager stop`): one manager per home');
    });

  m.command('stop')
    .description('stop the background manager and its registry; the ingress (Varnish) serves on with its last config until a manager adopts it')
    .option(
      '--with-ingress',
      'stop Varnish and the .matrix DNS server too: every app stops answering at the ingress, and apps no longer find each other by name',
      false,
    )
    .action(async (o: { withIngress: boolean }) => {
      const paths = homePaths();
      const stopped = await stopManager(paths, { withIngress: o.withIngress });
      console.log(stopped ? 'manager stopped' : 'manager was not running');
      if (!o.withIngress && ingressPid(paths) !== null)
        console.log('the ingress serves on with its last config (stop it with `matrix manager stop --with-ingress`)');
    });

  m.command('status')
    .description('is the manager running?')
    .action(() => {
      const paths = homePaths();
      const pid = managerPid(paths);
      const sup = supervisorPid(paths);
      console.log(pid === null ? 'manager is not running' : `manager is running (pid ${pid})`);
      console.log(
        sup === null
          ? 'no supervisor: a crashed manager is not restarted (start it with `matrix manager start`)'
          : `supervised (pid ${sup}): restarted if it dies`,
      );
      if (pid === null) process.exitCode = 1;
    });
}
