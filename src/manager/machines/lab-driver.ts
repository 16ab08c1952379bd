/** The lab driver: nodes that `matrix lab up` made, network namespaces with a dockerd each. */
import { join } from 'node:path';
import type { HomePaths } from '../../shared/home.ts';
import { Lab, labState } from '../lab/lab.ts';
import { labPki } from '../lab/lab-pki.ts';
import type { MachineDriver } from './driver.ts';

export function labDriver(paths: HomePaths, log: (m: string) => void = () => {}): MachineDriver {
  // the PKI (which writes a CA when there is none) only for what needs it: asking which
  // driver made a node reads lab.json alone
  const open = async () => new Lab(paths.lab, await labPki(paths.pki), log);
  const netns = (node: string) => labState(paths.lab)?.nodes.find((n) => n.name === node)?.netns;
  return {
    name: 'lab',
    owns: (node) => netns(node) !== undefined,
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
