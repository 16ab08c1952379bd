/**
 * The sim driver: a node simulated inside the manager (SimCluster, the implementation the
 * scale tests and the scheduler bench use). `create` only records it, with what it offers;
 * the manager gives it an in-process engine (sim-engines.ts). It takes replicas like any
 * node, so placement, constraints, capacity and node failure can be tried at any scale on
 * one host; its replicas serve nothing, and the ingress never routes to them.
 */
import { MatrixError } from '../../core/errors.ts';
import { assertNodeName } from '../../core/node-name.ts';
import { parseMemoryMb } from '../../core/appspec/fields.ts';
import type { Resources } from '../../core/model.ts';
import type { HomePaths } from '../../shared/home.ts';
import { SIM_DRIVER } from '../../shared/machine-drivers.ts';
import type { CreateOptions, DriverEntry, MachineDriver } from './driver.ts';
import { MachineStore } from './machine-store.ts';

/** Addresses of sim nodes: loopback, never contacted (a sim replica's "port" lives in the manager only). */
export const SIM_NET = '127.255';
/** A node record has an engine port; a sim node has no engine to dial. */
const UNUSED_PORT = 2376;

export const simDriverEntry: DriverEntry = {
  ...SIM_DRIVER,
  make: (paths) => simDriver(paths),
};

/** Pure: the first free address in 127.255.0.1 … 127.255.255.254. */
export function simAddress(taken: readonly string[]): string {
  const used = new Set(taken);
  for (let i = 1; i < 65535; i++) {
    const a = `${SIM_NET}.${i >> 8}.${i & 255}`;
    if ((i & 255) !== 0 && (i & 255) !== 255 && !used.has(a)) return a;
  }
  throw new MatrixError('E_MACHINE', `every sim address (${SIM_NET}.0.0/16) is taken: remove sim nodes first`);
}

/** Pure: what a sim node offers, from `--cpus` and `--memory` (`16384`, `16g`: as a spec's memory), each checked. */
export function simCapacity(o: CreateOptions): Resources {
  const cpus = o.cpus === undefined ? 4 : typeof o.cpus === 'string' && /^\d{1,4}$/.test(o.cpus) ? Number(o.cpus) : NaN;
  if (!(cpus >= 1 && cpus <= 1024))
    throw new MatrixError('E_BAD_REQUEST', `--cpus must be a whole number from 1 to 1024, got ${JSON.stringify(o.cpus)}`, { path: 'cpus' });
  const memory = o.memory === undefined ? undefined : parseMemoryMb(o.memory, 'mb');
  if (memory?.ok === false) throw new MatrixError('E_BAD_REQUEST', `--memory ${memory.message}, got ${JSON.stringify(o.memory)}`, { path: 'memory' });
  return { cpus, memoryMb: memory?.value ?? 4096 };
}

export function simDriver(paths: HomePaths): MachineDriver {
  const store = new MachineStore(paths.machines);
  const record = (name: string) => store.owned(name, 'sim', 'sim');
  const power = (node: string, off: boolean) => {
    const r = record(node);
    store.save({ ...r, sim: { ...r.sim, off } });
  };
  return {
    name: 'sim',
    owns: (node) => store.get(node)?.driver === 'sim',

    async create(name, options, ctx) {
      if (name === undefined) throw new MatrixError('E_BAD_REQUEST', 'name the machine: matrix node create --driver sim <name>', { path: 'name' });
      assertNodeName(name);
      if (store.get(name)) throw new MatrixError('E_NODE_EXISTS', `a machine named ${name} exists (matrix node rm ${name} first)`, { path: 'name' });
      const capacity = simCapacity(options);
      const address = simAddress([...store.list().map((m) => m.address), ...ctx.nodes.map((n) => n.address)]);
      store.save({ name, driver: 'sim', address, enginePort: UNUSED_PORT, created: new Date().toISOString(), sim: { ...capacity, off: false } });
      ctx.log(`${name} is simulated by the manager: ${capacity.cpus} CPUs, ${capacity.memoryMb} MB; its replicas are never routed`);
      return { name, address, enginePort: UNUSED_PORT };
    },

    async remove(node) {
      record(node);
      store.remove(node);
      return [`${node}'s record (its replicas lived in the manager only)`];
    },

    // no engine, no certificates
    installCerts: async (node) => void record(node),
    start: async (node) => power(node, false),
    stop: async (node) => (power(node, true), 'its simulated engine stops answering, as a host switched off'),
    shell(node) {
      record(node);
      throw new MatrixError('E_BAD_REQUEST', `${node} is simulated by the manager: it has no shell`, { path: 'node' });
    },
  };
}
