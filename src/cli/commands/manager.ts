/** `matrix manager ...`: run the manager (API, control loop, registry, ingress). */
import type { Command } from 'commander';
import { homePaths } from '../../shared/home.ts';
import { readManagerConfig, validateManagerConfig, writeManagerConfig, type ManagerConfig } from '../../shared/manager-config.ts';
import { managerPid, startManagerInBackground, stopManager } from '../manager-process.ts';

export function managerCommands(program: Command): void {
  const m = program.command('manager').description('the cluster manager: API, control loop, registry and ingress');

  m.command('start')
    .description('start the manager (in the background unless --foreground)')
    .option('--foreground', 'run in this process, logging JSON to stdout', false)
    .option('--api <host:port>', 'API listen address')
    .option('--registry <host:port>', 'registry listen address (nodes pull from it)')
    .option('--ingress <host:port>', 'Varnish listen address')
    .option('--ingress-admin <host:port>', "Varnish's admin address (loopback)")
    .option('--domain <domain>', 'apps also answer at <app>.<domain> on the ingress (default matrix)')
    .action(async (o: Partial<ManagerConfig> & { foreground: boolean }) => {
      const paths = homePaths();
      const overrides: Partial<ManagerConfig> = {};
      for (const k of ['api', 'registry', 'ingress', 'ingressAdmin', 'domain'] as const) if (o[k]) overrides[k] = o[k];
      if (Object.keys(overrides).length) writeManagerConfig(paths, validateManagerConfig({ ...readManagerConfig(paths), ...overrides }));
      if (o.foreground) {
        const { runManager } = await import('../../manager/index.ts'); // lazily: other commands never load the manager
        await runManager(paths);
        return;
      }
      const pid = await startManagerInBackground(paths);
      console.log(`manager running (pid ${pid}), API http://${readManagerConfig(paths).api}, log ${paths.managerLog}`);
    });

  m.command('stop')
    .description('stop the background manager (its registry and ingress stop with it)')
    .action(async () => {
      console.log((await stopManager(homePaths())) ? 'manager stopped' : 'manager was not running');
    });

  m.command('status')
    .description('is the manager running?')
    .action(() => {
      const pid = managerPid(homePaths());
      console.log(pid === null ? 'manager is not running' : `manager is running (pid ${pid})`);
      if (pid === null) process.exitCode = 1;
    });
}
