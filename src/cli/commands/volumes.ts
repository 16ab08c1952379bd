/** `matrix volume ls|inspect|rm`: the apps' named volumes on the nodes. */
import type { Command } from 'commander';
import { MatrixError } from '../../core/errors.ts';
import { ApiClient } from '../api-client.ts';
import { listCommand, table } from '../output.ts';
import type { VolumesView } from '../../shared/api-types.ts';

type Row = VolumesView['volumes'][number];

/** The volumes a name means: the engine's name (`mx.web.0.data`), optionally on one node. */
function matching(v: VolumesView, name: string, node: string | undefined): Row[] {
  return v.volumes.filter((x) => x.name === name && (node === undefined || x.node === node));
}

function unreachableNote(v: VolumesView): void {
  if (v.unreachable.length) console.error(`note: not listed: the volumes of ${v.unreachable.join(', ')} (not answering)`);
}

export function volumeCommands(program: Command): void {
  const vol = program.command('volume').description("apps' named volumes: each replica's own, on the node it runs on (volumes: in matrix.yaml or compose)");
  listCommand(
    vol.command('ls').description('list the volumes on every answering node, with the containers that mount them'),
    (api) => api.volumes(),
    (v) => {
      console.log(
        table(
          ['NODE', 'NAME', 'APP', 'REPLICA', 'VOLUME', 'USED BY', 'CREATED'],
          v.volumes.map((x) => [x.node, x.name, x.app, x.replica, x.volume, x.usedBy.join(',') || '-', x.createdAt ?? '-']),
        ),
      );
      unreachableNote(v);
    },
  );
  vol
    .command('inspect <name>')
    .description('one volume (by its name in `volume ls`) as JSON')
    .option('--node <node>', 'the node, when the name is on several')
    .action(async (name: string, o: { node?: string }) => {
      const v = await ApiClient.fromEnv().volumes();
      const found = matching(v, name, o.node);
      if (!found.length) {
        unreachableNote(v);
        throw new MatrixError('E_NOT_FOUND', `no volume ${name}${o.node ? ` on ${o.node}` : ''} (see \`matrix volume ls\`)`, { path: 'name' });
      }
      console.log(JSON.stringify(found.length === 1 ? found[0] : found, null, 2));
    });
  vol
    .command('rm <name>')
    .description('delete a volume and its data; refused while a container mounts it')
    .option('--node <node>', 'the node, when the name is on several')
    .action(async (name: string, o: { node?: string }) => {
      const api = ApiClient.fromEnv();
      const v = await api.volumes();
      const found = matching(v, name, o.node);
      if (found.length > 1)
        throw new MatrixError('E_BAD_REQUEST', `${name} is on ${found.map((f) => f.node).join(' and ')}: say which with --node`, { path: '--node' });
      const [one] = found;
      if (one === undefined) {
        unreachableNote(v);
        throw new MatrixError('E_NOT_FOUND', `no volume ${name}${o.node ? ` on ${o.node}` : ''} (see \`matrix volume ls\`)`, { path: 'name' });
      }
      await api.removeVolume(one.node, name);
      console.log(`removed ${name} on ${one.node}`);
    });
}
