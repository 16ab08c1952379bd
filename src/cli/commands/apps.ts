/** Commands that talk to the manager API: images, deploy, ps, nodes. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { MatrixError } from '../../core/errors.ts';
import type { NodeStatus } from '../../core/model.ts';
import type { ReplicaRow } from '../../core/replica-status.ts';
import type { DeployResult } from '../../manager/controllers/deployer.ts';
import { ApiClient } from '../api-client.ts';
import { table } from '../output.ts';

export function appCommands(program: Command): void {
  const images = program.command('images').description('images in the cluster registry');
  images
    .command('sample')
    .description("build the seed's sample apps (simplewebapp1, simplewebapp2) offline and push them to the cluster registry")
    .action(async () => {
      console.log('building and pushing the sample images...');
      const r = await ApiClient.fromEnv().request<{ images: string[] }>('POST', '/v1/images/sample');
      for (const i of r.images) console.log(`pushed ${i}`);
    });

  program
    .command('deploy <plan>')
    .description('deploy a plan file (the seed format: `app node extport intport` per line)')
    .option('--dry-run', 'validate and print the actions without doing anything', false)
    .action(async (plan: string, o: { dryRun: boolean }) => {
      let source: string;
      try {
        source = readFileSync(plan, 'utf8');
      } catch (e) {
        throw new MatrixError('E_BAD_REQUEST', `cannot read ${plan}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path: plan });
      }
      const r = await ApiClient.fromEnv().request<DeployResult>('POST', '/v1/deploy', { file: basename(plan), source, dryRun: o.dryRun });
      const verb = r.dryRun ? 'would' : 'did';
      if (!r.actions.length) console.log(`nothing to do: ${r.replicas} replicas already as planned`);
      else for (const a of r.actions) console.log(`${verb}: ${a}`);
      for (const b of r.blocked) console.log(`blocked: ${b.id} on ${b.node}: ${b.reason}`);
      if (!r.dryRun) console.log(`deployed generation ${r.generation} (${r.replicas} replicas)`);
    });

  program
    .command('ps')
    .description('list replicas: app, node, address, state')
    .action(async () => {
      const r = await ApiClient.fromEnv().request<{ replicas: ReplicaRow[]; desired: number }>('GET', '/v1/replicas');
      const rows = r.replicas.map((x) => [x.app, x.node, x.address, x.desired ? x.state : `${x.state} (not in plan)`, x.containerId?.slice(0, 12) ?? '-', x.revision]);
      console.log(table(['APP', 'NODE', 'ADDRESS', 'STATE', 'CONTAINER', 'REVISION'], rows));
      console.log(`\n${r.replicas.filter((x) => x.state === 'running' && x.desired).length} running, ${r.desired} desired`);
    });

  program
    .command('nodes')
    .description('list the cluster nodes and their health')
    .action(async () => {
      const r = await ApiClient.fromEnv().request<{ nodes: NodeStatus[] }>('GET', '/v1/nodes');
      console.log(table(['NODE', 'ENGINE', 'STATE'], r.nodes.map((n) => [n.name, `${n.address}:${n.enginePort}`, n.state])));
    });
}
