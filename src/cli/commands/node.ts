/**
 * `matrix node ...` (one node) and `matrix nodes` (the list), as docker-machine and `docker
 * node` offer them: list, inspect, labels; drain, activate and rm (through the API: replicas
 * move start-first); start, stop, restart and ssh (through the machine driver that made the
 * node); and the stock docker CLI pointed at a node's engine over mutual TLS (env, config, ip).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { isMatrixError, MatrixError } from '../../core/errors.ts';
import { engineShown } from '../../core/model.ts';
import { homePaths } from '../../shared/home.ts';
import { allDriverOptions, checkCreate, DRIVER_INFO, type CreateOptions } from '../../shared/machine-drivers.ts';
import { readManagerConfig } from '../../shared/manager-config.ts';
import type { NodeView, ReplicasView } from '../../shared/api-types.ts';
import { ApiClient } from '../api-client.ts';
import { changeNode, drainNode, engineNode, findNode, machineFor, machineIfAny, withNodeAway } from '../node-cycle.ts';
import { dockerConfigFlags, dockerEnv, ENV_SHELLS, envScript, type EngineEndpoint, type EnvShell } from '../docker-env.ts';
import { printIngressBanner } from '../ingress-status.ts';
import { columnsTable, listCommand } from '../output.ts';

/** The client certificate the stock docker CLI presents: its own, beside the manager's, from the same CA. */
const DOCKER_CLIENT = 'docker';

export function nodeCommands(program: Command): void {
  const nodes = program.command('nodes').description('the cluster nodes (`matrix node` for one)');
  listNodes(nodes.command('ls', { isDefault: true }).description('list the nodes: health, engine version, running replicas, capacity, labels'));
  nodes.command('label <node> <key=value...>').description('set labels on a node (used by constraints such as zone==a); `key=` removes one').action(labelNode);

  const node = program
    .command('node')
    .description('one node: inspect, labels, drain and remove, switch on and off, a shell on it, and the docker CLI pointed at its engine (env, config, ip)');
  listNodes(node.command('ls').description('list the nodes (as `matrix nodes`)'));
  const create = node
    .command('create [name]')
    .description('make a machine with a driver and add it to the cluster as a node (its engine over mutual TLS with the cluster CA)')
    .option('-d, --driver <driver>', `how the machine is made: ${DRIVER_INFO.map((d) => d.name).join(', ')}`)
    .option(
      '-l, --label <key=value>',
      'a label on the node, for constraints such as zone==a (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    );
  for (const o of allDriverOptions()) create.option(o.flags, o.description);
  create
    .addHelpText(
      'after',
      `\nDrivers:\n${DRIVER_INFO.map((d) => `  ${d.name.padEnd(6)}${d.description}`).join('\n')}\n\nExamples:\n  matrix node create --driver lab\n  matrix node create --driver ssh --ssh-host 192.0.2.10 --ssh-key ~/.ssh/id_ed25519 --label zone=a web1`,
    )
    .action(createNode);
  node
    .command('inspect <node>')
    .description("the node as the manager sees it, as JSON, with the docker CLI's settings for it")
    .action(async (name: string) => {
      const n = await findNode(name);
      console.log(JSON.stringify({ ...n, docker: Object.fromEntries(dockerEnv(n, await dockerCertDir())) }, null, 2));
    });
  node.command('label <node> <key=value...>').description('set labels on a node (used by constraints such as zone==a); `key=` removes one').action(labelNode);
  node
    .command('drain <node>')
    .description('take no new replicas on the node and move the ones it runs elsewhere, each started before the old one stops')
    .action(async (name: string) => {
      const pinned = await drainNode(ApiClient.fromEnv(), name);
      console.log(
        `${name} is drained: ${pinned ? `${pinned} replica${pinned === 1 ? '' : 's'} pinned to it by a plan file stay${pinned === 1 ? 's' : ''}, no other runs there` : 'no replica runs there'}, and none is placed there until \`matrix node activate ${name}\``,
      );
    });
  node
    .command('activate <node>')
    .description('let a drained node take replicas again (a spread app rebalances back onto it)')
    .action(async (name: string) => {
      await changeNode(ApiClient.fromEnv(), name, () => ({ availability: 'active' }));
      console.log(`${name} is active: it takes replicas again`);
    });
  node
    .command('rm <node>')
    .description('remove a node: first drains it (its replicas move elsewhere, start-first) unless --force, then removes the machine its driver made')
    .option(
      '-f, --force',
      'remove it at once: its replicas are replaced elsewhere as for a dead node, and containers still on its engine are left there',
      false,
    )
    .option('--keep-machine', 'only take it out of the cluster: the machine a driver made (lab namespace, ssh host set-up) stays', false)
    .action(async (name: string, o: { force: boolean; keepMachine: boolean }) => {
      const api = ApiClient.fromEnv();
      if (o.force) await findNode(name, api);
      else {
        const pinned = await drainNode(api, name);
        if (pinned > 0) {
          throw new MatrixError(
            'E_NODE_BUSY',
            `${pinned} replica${pinned === 1 ? ' is' : 's are'} pinned to ${name} by a plan file: deploy the plan without ${name}, or remove it with --force`,
            { path: 'node' },
          );
        }
      }
      await api.removeNode(name);
      console.log(`removed ${name} from the cluster${o.force ? ' (forced: what still runs on its engine is no longer managed)' : ''}`);
      if (o.keepMachine) return;
      const m = await machineIfAny(name);
      if (m) console.log(`removed the ${m.name} machine: ${(await m.remove(name)).join('; ')}`);
    });
  node
    .command('start <node>')
    .description('switch on a node a driver made: a lab node powers on, an ssh machine starts its engine')
    .action(async (name: string) => {
      await (await machineFor(name)).start(name);
      console.log(`${name} is on`);
    });
  node
    .command('stop <node>')
    .description('switch off a node a driver made (a lab node as a power cut, an ssh machine its engine): its replicas are replaced elsewhere')
    .action(async (name: string) => {
      console.log(`${name} is off (${await (await machineFor(name)).stop(name)})`);
    });
  node
    .command('restart <node>')
    .description('switch a node a driver made off and on again')
    .action(async (name: string) => {
      const m = await machineFor(name);
      await m.stop(name);
      await m.start(name);
      console.log(`${name} was switched off and on again`);
    });
  node
    .command('ssh <node> [command...]')
    .description(
      'a shell on a node a driver made (lab: in its network namespace; ssh: the stock ssh client, trusting only the recorded host key), or one command run there (after `--` when it has options)',
    )
    .allowUnknownOption()
    .action(async (name: string, command: string[]) => {
      const [file, ...args] = (await machineFor(name)).shell(name, command);
      const r = spawnSync(file!, args, { stdio: 'inherit' });
      if (r.error) throw new MatrixError('E_LAB', `cannot run ${file}: ${r.error.message}`);
      process.exitCode = r.status ?? 1;
    });
  node
    .command('env <node>')
    .description('print the shell commands that point the docker CLI at the node: eval "$(matrix node env node1)"; docker ps')
    .option('--shell <shell>', `the shell to print for (${ENV_SHELLS.join(', ')}); default from $SHELL`)
    .option('-u, --unset', 'print the commands that undo it', false)
    .action(async (name: string, o: { shell?: string; unset: boolean }) => {
      const shell = shellOf(o.shell);
      const self = `matrix node env${shell === 'fish' ? ' --shell fish' : ''}${o.unset ? ' --unset' : ''} ${name}`;
      // --unset needs no node: it only clears the variables
      const n: EngineEndpoint = o.unset ? { name, address: '', enginePort: 0 } : await engineNode(name);
      process.stdout.write(envScript(n, o.unset || n.socket !== undefined ? '' : await dockerCertDir(), { shell, unset: o.unset, self }));
    });
  node
    .command('config <node>')
    .description("print the docker CLI's flags for the node, for one command: docker $(matrix node config node1) ps")
    .action(async (name: string) => {
      const n = await engineNode(name);
      console.log(dockerConfigFlags(n, n.socket !== undefined ? '' : await dockerCertDir()).join('\n'));
    });
  node
    .command('regenerate-certs <node>')
    .description(
      'issue the node a new server certificate (new key) from the cluster CA and restart its engine with it; its replicas move away first (start-first) unless --force',
    )
    .option('-f, --force', 'restart at once: its replicas are replaced elsewhere as for a dead node', false)
    .action(async (name: string, o: { force: boolean }) => {
      const api = ApiClient.fromEnv();
      const before = await findNode(name, api);
      const m = await machineFor(name);
      // before anything moves: an engine on its socket, or a simulated one, has no certificate
      if (before.socket !== undefined || before.driver === 'sim') {
        throw new MatrixError(
          'E_BAD_REQUEST',
          `${name} ${before.socket !== undefined ? 'is reached on its unix socket' : 'is simulated by the manager'}: it has no certificate to regenerate`,
          { path: 'node' },
        );
      }
      await withNodeAway(api, before, { force: o.force }, () => m.installCerts(name, { renew: true }));
      console.log(
        `${name} has a new certificate and its engine runs with it${!o.force && before.availability === 'active' ? '; it takes replicas again' : ''}`,
      );
    });
  node
    .command('status <node>')
    .description("print the node's state as the manager sees it: up, down (its engine does not answer), drained")
    .action(async (name: string) => {
      const n = await findNode(name);
      console.log(n.availability === 'drain' ? `${n.state}, drained` : n.state);
    });
  node
    .command('ip <node>')
    .description("print the node's address")
    .action(async (name: string) => {
      console.log((await findNode(name)).address);
    });
}

/** `-o json` prints the nodes alone; the table also counts each node's running replicas. */
function listNodes(cmd: Command): Command {
  return listCommand(
    cmd,
    async (api) => {
      const [list, { replicas }] = await Promise.all([api.nodes(), api.replicas()]);
      return { list, replicas };
    },
    printNodes,
    (d) => d.list,
  );
}

async function printNodes({ list, replicas }: { list: NodeView[]; replicas: ReplicasView['replicas'] }, api: ApiClient, wide: boolean): Promise<void> {
  await printIngressBanner(api);
  const running = new Map<string, number>();
  for (const r of replicas) if (r.state === 'running') running.set(r.node, (running.get(r.node) ?? 0) + 1);
  console.log(
    columnsTable<NodeView>(
      [
        { head: 'NODE', cell: (n) => n.name },
        { head: 'ADDRESS', cell: (n) => n.address, wide: true },
        { head: 'DRIVER', cell: (n) => n.driver ?? '-' },
        { head: 'ENGINE', cell: (n) => engineShown(n) },
        { head: 'STATE', cell: (n) => (n.availability === 'drain' ? `${n.state}, drained` : n.state) },
        { head: 'VERSION', cell: (n) => n.engineVersion ?? '-' },
        { head: 'REPLICAS', cell: (n) => running.get(n.name) ?? 0 },
        { head: 'CPUS', cell: (n) => n.capacity?.cpus ?? '-' },
        { head: 'MEMORY', cell: (n) => (n.capacity ? `${n.capacity.memoryMb}M` : '-') },
        {
          head: 'LABELS',
          cell: (n) =>
            Object.entries(n.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(',') || '-',
        },
        {
          head: 'API LABELS',
          cell: (n) =>
            Object.entries(n.apiLabels)
              .map(([k, v]) => `${k}=${v}`)
              .join(',') || '-',
          wide: true,
        },
      ],
      list,
      wide,
    ),
  );
}

/** `key=value` pairs applied to `base`; `key=` removes a key. */
function applyLabels(base: Record<string, string>, pairs: string[]): Record<string, string> {
  const next: Record<string, string> = { ...base };
  for (const pair of pairs) {
    const m = /^([^=\s]+)=(\S*)$/.exec(pair);
    if (!m) throw new MatrixError('E_BAD_REQUEST', `expected key=value, got "${pair}"`, { path: pair });
    if (m[2] === '') delete next[m[1]!];
    else next[m[1]!] = m[2]!;
  }
  return next;
}

async function labelNode(node: string, pairs: string[]): Promise<void> {
  const { labels } = await changeNode(ApiClient.fromEnv(), node, (current) => ({ labels: applyLabels(current.apiLabels, pairs) }));
  console.log(
    `${node}: ${
      Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || '(no labels)'
    }`,
  );
}

/**
 * `matrix node create`: the driver makes the machine (undoing its own work when it fails),
 * then the node is registered; if that fails, the machine is removed again, so a failed
 * create leaves nothing half made, and says what it cleaned up.
 */
async function createNode(name: string | undefined, o: CreateOptions & { driver?: string; label: string[] }): Promise<void> {
  const { driver, label, ...options } = o;
  const info = checkCreate(driver, name, options);
  const labels = applyLabels({}, label);
  const api = ApiClient.fromEnv();
  const paths = homePaths();
  // the manager first: a machine set up for a cluster that cannot take it is work to undo
  const existing = await api.nodes();
  if (name !== undefined && existing.some((n) => n.name === name)) {
    throw new MatrixError('E_NODE_EXISTS', `the cluster has a node named ${name} (matrix node rm ${name} first, or pick another name)`, { path: 'name' });
  }
  const { DRIVERS } = await import('../../manager/index.ts');
  const d = DRIVERS.find((x) => x.name === info.name)!.make(paths);
  const interactive = process.stdin.isTTY && process.stderr.isTTY;
  const m = await d.create(name, options, {
    registry: readManagerConfig(paths).registry,
    nodes: existing,
    log: (line) => console.error(line),
    ...(interactive ? { confirm: askYesNo } : {}),
  });
  try {
    await api.putNode(m.name, {
      address: m.address,
      enginePort: m.enginePort,
      ...(m.socket !== undefined ? { socket: m.socket } : {}),
      labels,
      driver: info.name,
    });
  } catch (e) {
    const cleaned = await d.remove(m.name).catch((re: Error) => [`NOT the machine: ${re.message}`]);
    const err = isMatrixError(e) ? e : new MatrixError('E_INTERNAL', (e as Error).message);
    throw new MatrixError(err.code, `${err.message}\ncleaned up: ${cleaned.join('; ')}`, err.path !== undefined ? { path: err.path } : {});
  }
  console.log(
    info.name === 'sim'
      ? `${m.name} is a node of the cluster (sim, simulated at ${m.address}): only apps with a constraint on matrix.sim go there`
      : `${m.name} is a node of the cluster (${info.name}, engine ${engineShown(m)}); the docker CLI on it: eval "$(matrix node env ${m.name})"`,
  );
}

async function askYesNo(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

function shellOf(given: string | undefined): EnvShell {
  if (given === undefined) return (process.env.SHELL ?? '').endsWith('/fish') ? 'fish' : 'sh';
  if (!(ENV_SHELLS as readonly string[]).includes(given))
    throw new MatrixError('E_BAD_REQUEST', `--shell must be one of ${ENV_SHELLS.join(', ')}, got "${given}"`, { path: 'shell' });
  return given as EnvShell;
}

/**
 * The docker CLI's certificate directory, in the layout DOCKER_CERT_PATH expects (ca.pem,
 * cert.pem, key.pem): the client certificate is issued once by the cluster CA; ca.pem is
 * copied anew each time, so it follows the CA. Needs the manager's home (the CA's key).
 */
async function dockerCertDir(): Promise<string> {
  const { Pki } = await import('../../manager/pki/pki.ts'); // lazily: node-forge is slow to load
  const pki = new Pki(homePaths().pki);
  let ca: Buffer;
  try {
    ca = readFileSync(pki.caPaths().cert);
  } catch {
    throw new MatrixError('E_PKI', `no cluster CA in ${pki.dir}: run this on the manager's host, with the manager's MATRIX_HOME`);
  }
  try {
    const dir = dirname((await pki.ensureClientCert(DOCKER_CLIENT)).cert);
    writeFileSync(join(dir, 'ca.pem'), ca, { mode: 0o644 });
    return dir;
  } catch (e) {
    if (isMatrixError(e)) throw e;
    // e.g. the manager's home belongs to root and this is another user
    throw new MatrixError('E_PKI', `cannot write the docker CLI's certificate under ${pki.dir}: ${(e as Error).message}`);
  }
}
