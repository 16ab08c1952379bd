/**
 * Machine drivers: what made a node, and so can switch it on and off and open a shell on it
 * (`matrix node start|stop|restart|ssh`), as docker-machine's drivers do. The manager's own
 * work never goes through a driver: nodes are engines over mutual TLS whatever made them.
 * A driver is one file here and one entry in DRIVERS (drivers.ts); nothing else names it.
 */
import { MatrixError } from '../../core/errors.ts';
import type { HomePaths } from '../../shared/home.ts';

export interface MachineDriver {
  readonly name: string;
  /** True when this driver made the node and can act on it. */
  owns(node: string): boolean;
  start(node: string): Promise<void>;
  /** Switches the node off; returns what was stopped, in words. */
  stop(node: string): Promise<string>;
  /** The argv that runs `command` on the node (an interactive shell when it is empty). */
  shell(node: string, command: string[]): string[];
}

export type DriverFactory = (paths: HomePaths) => MachineDriver;

/** The driver that made `node`; a node registered by hand (`PUT /v1/nodes`) has none. */
export function machineOf(node: string, paths: HomePaths, drivers: readonly DriverFactory[]): MachineDriver {
  for (const make of drivers) {
    const d = make(paths);
    if (d.owns(node)) return d;
  }
  throw new MatrixError(
    'E_NOT_FOUND',
    `no machine named ${node}: it was not created by a driver of this host (lab), so it cannot be started, stopped or entered from here`,
    {
      path: 'node',
    },
  );
}
