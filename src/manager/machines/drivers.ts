/** Every machine driver this host knows, asked in order which one made a node. */
import type { HomePaths } from '../../shared/home.ts';
import { machineOf, type DriverFactory, type MachineDriver } from './driver.ts';
import { labDriver } from './lab-driver.ts';

export const DRIVERS: readonly DriverFactory[] = [(paths) => labDriver(paths)];

export function machine(node: string, paths: HomePaths): MachineDriver {
  return machineOf(node, paths, DRIVERS);
}
