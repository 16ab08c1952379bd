/** The lab driver: nodes that `matrix lab up` made, network namespaces with a dockerd each. */
import { join } from 'node:path';
import { MatrixError } from '../../core/errors.ts';
import type { HomePaths } from '../../shared/home.ts';
import { Lab, labState } from '../lab/lab.ts';
import { labPki } from '../lab/lab-pki.ts';
import { LAB_DRIVER } from '../../shared/machine-drivers.ts';
import type { DriverEntry, MachineDriver } from './driver.ts';

export const labDriverEntry: DriverEntry = {
  ...LAB_DRIVER,
  make: (paths) => labDriver(paths),
};

export function labDriver(paths: HomePaths, log: (m: string) => void = () => {}): MachineDriver {
  // the PKI (which writes a CA when there is none) only for what needs it: asking which
  // driver made a node reads lab.json alone
  const open = async () => new Lab(paths.lab, await labPki(paths.pki), log);
  const netns = (node: string) => labState(paths.lab)?.nodes.find((n) => n.name === node)?.netns;
  return {
    name: 'lab',
    owns: (node) => netns(node) !== undefined,
    async create(name, _options, ctx) {
      const state = labState(paths.lab);
      if (!state) throw new MatrixError('E_LAB', `no lab in ${paths.lab}: \`matrix lab up\` makes one (its nodes are this driver's)`);
      const n = await (await open()).addNode(name);
      ctx.log(`added ${n.name} to the lab (${n.address})`);
      return { name: n.name, address: n.address, enginePort: state.config.enginePort };
    },
    remove: async (node) => [`${node}'s namespace, engine and files (${await (await open()).removeNode(node)} processes ended)`],
    installCerts: async (node, o) => (await open()).installCerts(node, o),
    start: async (node) => (await open()).powerOn(node),
    stop: async (node) => `${await (await open()).powerOff(node)} processes killed`,
    shell: (node, command) => labShell(netns(node) ?? node, command),
  };
}

/**
 * Pure: a shell in the node's network namespace (the lab node shares this host's files and
 * processes); interactive on a terminal, reading commands from a pipe.
 */
export function labShell(netns: string, command: string[], shell = process.env.SHELL || '/bin/sh'): string[] {
  return ['nsenter', `--net=${join('/var/run/netns', netns)}`, '--', ...(command.length ? command : [shell])];
}
