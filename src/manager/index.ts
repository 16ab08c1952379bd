/**
 * The manager's public entry point for the CLI's `manager start` and `lab` commands, which
 * run manager code in the CLI's process. Every other command is a client of the API and
 * imports nothing from src/manager. The CLI loads this module lazily, so `matrix ps` does
 * not pay for loading the manager.
 */
import type { HomePaths } from '../shared/home.ts';

/** The manager itself, loaded only by `manager start`: the lab commands need none of it (fastify, dockerode, ...). */
export async function runManager(paths: HomePaths): Promise<void> {
  return (await import('./main.ts')).runManager(paths);
}
/** The `.matrix` DNS server process (`matrix dns serve`): loaded alone, it needs none of the manager. */
export async function runDnsServer(o: { zone: string; listen: string }): Promise<void> {
  return (await import('./dns/dns-server.ts')).runDnsServer(o);
}
export { Lab, labState } from './lab/lab.ts';
export { labPki } from './lab/lab-pki.ts';
export { DRIVERS, machine } from './machines/drivers.ts';
export type { MachineDriver } from './machines/driver.ts';
