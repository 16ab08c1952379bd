/** Every machine driver this host knows, asked in order which one made a node. */
import type { HomePaths } from '../../shared/home.ts';
import { machineOf, type DriverEntry, type MachineDriver } from './driver.ts';
import { labDriverEntry } from './lab-driver.ts';
import { localDriverEntry } from './local-driver.ts';
import { simDriverEntry } from './sim-driver.ts';
import { sshDriverEntry } from './ssh-driver.ts';

export const DRIVERS: readonly DriverEntry[] = [labDriverEntry, sshDriverEntry, localDriverEntry, simDriverEntry];

export function machine(node: string, paths: HomePaths): MachineDriver {
  return machineOf(node, paths, DRIVERS);
}
