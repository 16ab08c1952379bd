/** `matrix lab ...`: a real cluster of dockerd nodes in network namespaces on this machine. */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { MatrixError } from '../../core/errors.ts';
import { homePaths } from '../../shared/home.ts';
import { DEFAULT_LAB, MAX_NODES, managerAddress, type LabConfig } from '../../shared/lab-config.ts';
import type { Lab } from '../../manager/index.ts';
import { apiUrl, readManagerConfig, writeManagerConfig, validateManagerConfig } from '../../shared/manager-config.ts';
import { ApiClient } from '../api-client.ts';
import { startManagerInBackground, stopManager } from '../manager-process.ts';
import { table } from '../output.ts';
import { stopPid } from '../../util/pidfile.ts';
import type { HomePaths } from '../../shared/home.ts';

function intOption(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) throw new MatrixError('E_BAD_REQUEST', `--${name} must be an integer in ${min}..${max}, got "${v}"`);
    return n;
  };
}

/**
 * The lab of this home. Only `lab up` makes one (`create`): every other command needs one,
 * and must not leave a cluster CA behind in a home that has none.
 */
async function openLab(create = false): Promise<{ lab: Lab; paths: ReturnType<typeof homePaths> }> {
  const { Lab, labPki, labState } = await import('../../manager/index.ts'); // lazily: other commands never load the manager
  const paths = homePaths();
  if (!create && labState(paths.lab) === null) throw new MatrixError('E_LAB', `no lab in ${paths.lab}: create one with \`matrix lab up\` first`);
  const lab = new Lab(paths.lab, await labPki(paths.pki), (m) => console.log(`  ${m}`));
  return { lab, paths };
}

/** Whether this home has a lab, without opening it. */
async function hasLab(): Promise<boolean> {
  const { labState } = await import('../../manager/index.ts');
  return labState(homePaths().lab) !== null;
}

export function labCommands(program: Command): void {
  const lab = program.command('lab').description('a real multi-node cluster on this machine (network namespaces + dockerd)');

  lab
    .command('up')
    .description('create the lab (idempotent), start the manager, registry and ingress, register the nodes')
    .option('-n, --nodes <count>', 'number of nodes', intOption('nodes', 1, MAX_NODES), 3)
    .option('--prefix <prefix>', 'name prefix of namespaces and links', DEFAULT_LAB.prefix)
    .option('--bridge <name>', 'bridge interface', DEFAULT_LAB.bridge)
    .option('--subnet <a.b.c>', 'the /24 to use: manager .1, node i .(10+i)', DEFAULT_LAB.subnet)
    .option('--ingress <addr:port>', 'where Varnish listens', ':6081')
    .option('--ingress-admin <host:port>', "Varnish's admin port (loopback)", '127.0.0.1:6082')
    .option('--api <host:port>', 'where the manager API listens (beyond loopback, e.g. on the lab bridge, only with --api-tls)', '127.0.0.1:7070')
    .option('--api-tls', 'serve the API over HTTPS with a certificate from the cluster CA', false)
    .action(
      async (o: { nodes: number; prefix: string; bridge: string; subnet: string; ingress: string; ingressAdmin: string; api: string; apiTls: boolean }) => {
        const { lab: l, paths } = await openLab(true);
        const config: LabConfig = { ...DEFAULT_LAB, prefix: o.prefix, bridge: o.bridge, subnet: o.subnet };
        const before = l.state();
        console.log(before ? `lab exists in ${paths.lab}: checking it` : `creating a lab of ${o.nodes} nodes in ${paths.lab}`);
        const state = await l.up(config, o.nodes);
        writeManagerConfig(
          paths,
          validateManagerConfig({
            api: o.api,
            apiTls: o.apiTls,
            ingress: o.ingress,
            ingressAdmin: o.ingressAdmin,
            registry: `${managerAddress(config)}:${config.registryPort}`,
          }),
        );
        console.log('starting the manager (registry, ingress, API)');
        await startManagerInBackground(paths);
        const api = ApiClient.fromEnv(paths);
        for (const n of state.nodes) {
          await api.putNode(n.name, { address: n.address, enginePort: config.enginePort, driver: 'lab' });
        }
        await printStatus(l);
        const mc = readManagerConfig(paths);
        console.log(`\nmanager API  ${apiUrl(mc)}  (token in ${paths.token})`);
        console.log(`registry     ${mc.registry}`);
        console.log(`ingress      http://127.0.0.1:${mc.ingress.split(':').pop()}/<app>/`);
      },
    );

  lab
    .command('status')
    .description('show each node, its network and whether its engine answers')
    .action(async () => {
      if (!(await hasLab())) {
        console.log('no lab (create one with `matrix lab up`)');
        return;
      }
      await printStatus((await openLab()).lab);
    });

  lab
    .command('down')
    .description('stop the manager and remove every namespace, link, process and file the lab made')
    .option('--keep-state', 'keep the manager state (CA, token, registry images, desired state) for the next `lab up`', false)
    .action(async (o: { keepState: boolean }) => {
      const paths = homePaths();
      if (await stopManager(paths, { withIngress: true })) console.log('manager stopped');
      // a manager killed with -9 leaves its registry behind: end exactly that one
      await stopPid(join(paths.registry, 'registry.pid'), 'docker-registry');
      if (await hasLab()) await (await openLab()).lab.down();
      if (!o.keepState) removeManagerState(paths);
      console.log(o.keepState ? `lab removed (state kept in ${paths.root})` : 'lab removed');
    });

  lab
    .command('poweroff <node>')
    .description('switch a node off: its links go down and every process it runs is killed')
    .action(async (node: string) => {
      const { lab: l } = await openLab();
      const killed = await l.powerOff(node);
      console.log(`${node} is off (${killed} processes killed)`);
    });

  lab
    .command('partition <node>')
    .description('cut a node off the network: its links go down, its engine and containers run on (`lab heal` ends it)')
    .action(async (node: string) => {
      const { lab: l } = await openLab();
      await l.partition(node);
      console.log(`${node} is cut off the network`);
    });

  lab
    .command('heal <node>')
    .description('end a partition: the node is reachable again, with whatever it kept running')
    .action(async (node: string) => {
      const { lab: l } = await openLab();
      await l.heal(node);
      console.log(`${node} is reachable again`);
    });

  const host = lab
    .command('host')
    .description("bare machines on the lab's network for trying the ssh driver: sshd with root login by key, Docker installed but not set up, as a fresh VM");
  host
    .command('add', { isDefault: true })
    .description('add a bare machine (host1, host2, ...) and print how to make it a node')
    .option('--authorized-key <file>', 'the public key that may log in as root (default: ~/.ssh/id_ed25519.pub, else id_rsa.pub)')
    .action(async (o: { authorizedKey?: string }) => {
      const file = o.authorizedKey ?? [join(homedir(), '.ssh', 'id_ed25519.pub'), join(homedir(), '.ssh', 'id_rsa.pub')].find((f) => existsSync(f));
      if (file === undefined)
        throw new MatrixError('E_BAD_REQUEST', 'no public key in ~/.ssh: make one with `ssh-keygen -t ed25519`, or give --authorized-key', {
          path: 'authorized-key',
        });
      let key: string;
      try {
        key = readFileSync(file, 'utf8');
      } catch (e) {
        throw new MatrixError('E_BAD_REQUEST', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path: 'authorized-key' });
      }
      if (!/^(ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/=]+/.test(key.trim())) {
        throw new MatrixError('E_BAD_REQUEST', `${file} is not an SSH public key (one line, \`ssh-ed25519 AAAA...\`)`, { path: 'authorized-key' });
      }
      const { lab: l } = await openLab();
      const { host: h, hostKey } = await l.addHost(key);
      console.log(`${h.name} listens for SSH on ${h.address}:22 (host key ${hostKey})`);
      const privateKey = file.endsWith('.pub') && existsSync(file.slice(0, -4)) ? ` --ssh-key ${file.slice(0, -4)}` : '';
      console.log(`make it a node: matrix node create --driver ssh --ssh-host ${h.address}${privateKey} --ssh-host-key ${hostKey} <name>`);
    });
  host
    .command('rm <host>')
    .description('remove a bare machine and everything on it')
    .action(async (name: string) => {
      const { lab: l } = await openLab();
      console.log(`removed ${name} (${await l.removeNode(name)} processes ended)`);
    });

  lab
    .command('poweron <node>')
    .description('switch a node back on: links up, engine restarted')
    .action(async (node: string) => {
      const { lab: l } = await openLab();
      await l.powerOn(node);
      console.log(`${node} is on`);
    });
}

async function printStatus(l: Lab): Promise<void> {
  const nodes = await l.status();
  console.log(
    table(
      ['NODE', 'ADDRESS', 'ENGINE', 'NETWORK', 'PROCESSES'],
      nodes.map((n) => [n.name, `${n.address}:${n.enginePort}`, n.engine, n.network, n.pids]),
    ),
  );
}

/** Removes only the entries cloudmatrix writes, then the home itself if that left it empty. */
function removeManagerState(p: HomePaths): void {
  for (const f of [
    p.pki,
    p.db,
    `${p.db}-wal`,
    `${p.db}-shm`,
    p.token,
    p.managerConfig,
    p.managerPid,
    p.supervisorPid,
    p.managerLog,
    p.cliLog,
    p.registry,
    p.varnishDir,
    p.dns,
    p.lab,
    p.machines,
  ]) {
    rmSync(f, { recursive: true, force: true });
  }
  try {
    if (readdirSync(p.root).length === 0) rmdirSync(p.root);
  } catch {
    // already gone
  }
}
