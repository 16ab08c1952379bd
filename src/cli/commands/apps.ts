/** Commands that read the cluster: images, apps, app inspect/history, ps, status. */
import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';
import { printIngressBanner } from '../ingress-status.ts';
import type { AppSummary, ReplicasView } from '../../shared/api-types.ts';
import { columnsTable, listCommand, table } from '../output.ts';

export function appCommands(program: Command): void {
  const images = program.command('images').description('images in the cluster registry');
  images
    .command('sample')
    .description("build the seed's sample apps (simplewebapp1, simplewebapp2) offline and push them to the cluster registry")
    .action(async () => {
      console.log('building and pushing the sample images...');
      for (const i of await ApiClient.fromEnv().pushSampleImages()) console.log(`pushed ${i}`);
    });

  listCommand(
    program.command('apps').description('list apps: project, running/desired replicas, revision'),
    (api) => api.apps(),
    async (apps, api, wide) => {
      await printIngressBanner(api);
      console.log(
        columnsTable<AppSummary>(
          [
            { head: 'APP', cell: (a) => a.name },
            { head: 'PROJECT', cell: (a) => a.project },
            { head: 'IMAGE', cell: (a) => a.image },
            { head: 'RUNNING', cell: (a) => `${a.running}/${a.desired}${a.leaving ? ` (+${a.leaving} leaving)` : ''}` },
            { head: 'SERVING', cell: (a) => (a.internal ? 'internal' : `${a.serving}${a.servingOld ? ` (${a.servingOld} old)` : ''}`), wide: true },
            { head: 'UNPLACED', cell: (a) => a.unplaced },
            { head: 'REVISION', cell: (a) => a.revision },
            { head: 'UPDATING', cell: (a) => (a.updating ? 'yes' : 'no'), wide: true },
            { head: 'ROLLBACKS', cell: (a) => a.rollbacks, wide: true },
            { head: 'PLACEMENT', cell: (a) => (a.pinned ? (a.volumes ? 'with its volumes' : 'pinned (plan)') : 'scheduled') },
          ],
          apps,
          wide,
        ),
      );
    },
  );

  const app = program.command('app').description('one app');
  app
    .command('history <name>')
    .description("an app's revisions, newest first (scaling is not a revision)")
    .action(async (name: string) => {
      const history = await ApiClient.fromEnv().history(name);
      const note = (h: { failed: boolean }, i: number) => [i === 0 ? 'current' : '', h.failed ? 'failed, rolled back' : ''].filter(Boolean).join(', ');
      console.log(
        table(
          ['REVISION', 'GENERATION', 'DEPLOYED', 'IMAGE', 'REPLICAS', 'NOTE'],
          history.map((h, i) => [h.revision, h.generation, h.createdAt, h.image, h.replicas, note(h, i) || '-']),
        ),
      );
    });
  app
    .command('inspect <name>')
    .description("an app's spec, replicas, and why replicas could not be placed")
    .action(async (name: string) => {
      const r = await ApiClient.fromEnv().app(name);
      console.log(JSON.stringify(r.app, null, 2));
      console.log(`\nrevision ${r.revision}\n`);
      console.log(
        table(
          ['REPLICA', 'NODE', 'ADDRESS', 'STATE', 'REVISION'],
          r.replicas.map((x) => [x.id, x.node, x.address, x.state, x.revision]),
        ),
      );
      for (const u of r.unplaced) console.log(`unplaced: ${name}.${u.slot}: ${u.message}`);
      for (const b of r.blocked) console.log(`blocked: ${b.id} on ${b.node}: ${b.reason}`);
      for (const b of r.rollbacks) console.log(`rolled back at ${b.at}: ${b.fromImage} -> ${b.toImage}: ${b.reason}`);
    });

  listCommand(
    program.command('ps').description('list replicas: app, node, address, state, revision'),
    (api) => api.replicas(),
    (r, _api, wide) => {
      console.log(
        columnsTable<ReplicasView['replicas'][number]>(
          [
            { head: 'APP', cell: (x) => x.app },
            { head: 'REPLICA', cell: (x) => x.id, wide: true },
            { head: 'NODE', cell: (x) => x.node },
            { head: 'ADDRESS', cell: (x) => x.address },
            { head: 'STATE', cell: (x) => (x.desired ? x.state : `${x.state} (not in plan)`) },
            { head: 'ROUTED', cell: (x) => (x.routed ? 'yes' : 'no'), wide: true },
            { head: 'CONTAINER', cell: (x) => (wide ? (x.containerId ?? '-') : (x.containerId?.slice(0, 12) ?? '-')) },
            { head: 'REVISION', cell: (x) => x.revision },
          ],
          r.replicas,
          wide,
        ),
      );
      console.log(`\n${r.replicas.filter((x) => x.state === 'running' && x.desired).length} running, ${r.desired + r.unplaced.length} desired`);
      for (const u of r.unplaced) console.log(`unplaced: ${u.app}.${u.slot}: ${u.message}`);
    },
  );

  program
    .command('status')
    .description("the cluster at a glance: generation, nodes, replicas, the parts that publish it (ingress), the manager's own processes, recent events")
    .action(async () => {
      const s = await ApiClient.fromEnv().status();
      console.log(
        `generation ${s.generation}: ${s.apps} apps, ${s.replicas.running}/${s.replicas.desired} replicas running, nodes ${s.nodes.up} up, ${s.nodes.down} down`,
      );
      console.log();
      // a consumer's generation is the desired generation of the cluster state it last made true outside
      console.log(
        table(
          ['CONSUMER', 'STATE', 'GENERATION', 'APPLIED', 'FAILURES', 'LAST ERROR'],
          s.consumers.map((c) => [
            c.name,
            c.state === 'failing' ? `failing since ${c.failingSince}` : c.state,
            `${c.appliedGeneration} of ${s.generation}`,
            `${c.applied}/${c.offered}`,
            c.failures,
            c.lastError ?? '-',
          ]),
        ),
      );
      // the manager's own parts and the engines it drives, one row each
      const parts: (string | number)[][] = [
        ['store', s.store.state, '-', '-', s.store.lastError ?? '-'],
        ...(s.components ?? []).map((c) => [c.name, c.state, c.since, c.restarts, c.lastError ?? c.detail ?? '-']),
        ...s.engines.map((e) => [`engine ${e.name}`, e.state, e.since ?? '-', '-', e.lastError ? `${e.address}: ${e.lastError}` : e.address]),
      ];
      console.log();
      console.log(table(['PART', 'STATE', 'SINCE', 'RESTARTS', 'DETAIL / LAST ERROR'], parts));
      if (s.events.length) {
        console.log('\nrecent events:');
        for (const e of s.events) console.log(`  ${e.at}  ${e.kind}  ${e.message}`);
      }
      if (s.consumers.some((c) => c.state === 'failing') || s.components?.some((c) => c.state === 'down') || s.store.state === 'down') process.exitCode = 1;
    });
}
