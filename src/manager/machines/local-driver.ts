/**
 * The local driver: the Docker engine on the manager's own host, for a one-machine install.
 * The manager reaches it on its unix socket (root's alone, so no TLS); its published ports
 * answer on --address (127.0.0.1 by default). Creating it changes nothing of the engine: it
 * only makes it trust the cluster registry (certs.d) and records it.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { MatrixError } from '../../core/errors.ts';
import type { HomePaths } from '../../shared/home.ts';
import { LOCAL_DRIVER } from '../../shared/machine-drivers.ts';
import { writeRegistryTrust } from '../nodes/registry-trust.ts';
import { Pki } from '../pki/pki.ts';
import { assertNodeName } from '../../core/node-name.ts';
import { assertEngineFree, type CreateOptions, type DriverEntry, type MachineDriver } from './driver.ts';
import { MachineStore } from './machine-store.ts';

const DEFAULT_SOCKET = '/var/run/docker.sock';
const ENGINE_ANSWER_MS = 5000;
/** A node record has an engine port; one reached on its socket never dials it. */
const UNUSED_PORT = 2376;

export const localDriverEntry: DriverEntry = {
  ...LOCAL_DRIVER,
  make: (paths) => localDriver(paths),
};

export function localDriver(paths: HomePaths): MachineDriver {
  const store = new MachineStore(paths.machines);
  const record = (name: string) => store.owned(name, 'local', 'socket');
  const systemctl = async (verb: 'start' | 'stop', node: string) => {
    const { runOk } = await import('../../util/exec.ts');
    if (!existsSync('/run/systemd/system')) {
      throw new MatrixError('E_MACHINE', `this host has no systemd: ${verb} its dockerd the way it was started (${node} is this host's own engine)`, {
        path: 'node',
      });
    }
    await runOk(verb === 'start' ? ['systemctl', 'start', 'docker'] : ['systemctl', 'stop', 'docker', 'docker.socket'], 'E_MACHINE');
  };

  return {
    name: 'local',
    owns: (node) => store.get(node)?.driver === 'local',

    async create(given, options, ctx) {
      const name = given ?? 'local';
      assertNodeName(name);
      if (store.get(name)) throw new MatrixError('E_NODE_EXISTS', `a machine named ${name} exists (matrix node rm ${name} first)`, { path: 'name' });
      const { socket, address } = localTarget(options);
      assertEngineFree(ctx.nodes, { address, enginePort: UNUSED_PORT, socket });
      if (!isSocket(socket)) {
        throw new MatrixError('E_MACHINE', `no Docker engine socket at ${socket}: install Docker and start it (systemctl start docker), or give --socket`, {
          path: 'socket',
        });
      }
      const { engineAnswersWithin } = await import('../nodes/docker-client.ts');
      const pki = new Pki(paths.pki);
      // the TLS material is not used on a socket; the client's signature asks for it
      if (!(await engineAnswersWithin({ address, enginePort: UNUSED_PORT, socket }, pki.clientTls('manager'), ENGINE_ANSWER_MS))) {
        throw new MatrixError('E_MACHINE', `nothing answers the Docker API on ${socket} (is dockerd running, and is this the manager's host?)`, {
          path: 'socket',
        });
      }
      const registry = await pki.registryTrust();
      const trust = writeRegistryTrust(ctx.registry, registry.ca, registry);
      ctx.log(`the engine on ${socket} trusts the registry ${ctx.registry} (${trust.dir})`);
      store.save({
        name,
        driver: 'local',
        address,
        enginePort: UNUSED_PORT,
        socket,
        created: new Date().toISOString(),
        registry: ctx.registry,
        ...(trust.created ? { madeDirs: [trust.dir] } : {}),
      });
      return { name, address, enginePort: UNUSED_PORT, socket };
    },

    async remove(node) {
      const r = record(node);
      for (const d of r.madeDirs ?? []) rmSync(d, { recursive: true, force: true });
      store.remove(node);
      return [
        `${node}'s record${r.madeDirs?.length ? ` and the registry trust it wrote (${r.madeDirs.join(', ')})` : ''}; Docker on this host runs on as it was`,
      ];
    },

    async installCerts(node) {
      const r = record(node);
      if (r.registry === undefined) return;
      const registry = await new Pki(paths.pki).registryTrust();
      // dockerd reads certs.d at each pull: no restart
      writeRegistryTrust(r.registry, registry.ca, registry);
    },

    start: async (node) => (record(node), systemctl('start', node)),
    stop: async (node) => (record(node), await systemctl('stop', node), "this host's dockerd stopped"),
    shell: (node, command) => (record(node), localShell(command)),
  };
}

/** Pure: the socket and address of `create`'s options, each checked. */
export function localTarget(o: CreateOptions): { socket: string; address: string } {
  const socket = typeof o.socket === 'string' ? o.socket : DEFAULT_SOCKET;
  if (!/^\/[\x21-\x7e]{1,106}$/.test(socket))
    throw new MatrixError('E_BAD_REQUEST', `--socket must be an absolute path, got ${JSON.stringify(socket)}`, { path: 'socket' });
  const address = typeof o.address === 'string' ? o.address : '127.0.0.1';
  if (isIP(address) === 0) throw new MatrixError('E_BAD_REQUEST', `--address must be an IP address, got ${JSON.stringify(address)}`, { path: 'address' });
  return { socket, address };
}

/** Pure: a shell (or one command) on this host: the node is this host. */
export function localShell(command: string[], shell = process.env.SHELL || '/bin/sh'): string[] {
  return command.length ? command : [shell];
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}
