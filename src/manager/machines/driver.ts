/**
 * Machine drivers: what made a node, and so can switch it on and off and open a shell on it
 * (`matrix node start|stop|restart|ssh`), as docker-machine's drivers do. The manager's own
 * work never goes through a driver: nodes are engines over mutual TLS whatever made them.
 * A driver is one file here and one entry in DRIVERS (drivers.ts); nothing else names it.
 */
import { engineShown, type NodeInfo } from '../../core/model.ts';
import { MatrixError } from '../../core/errors.ts';
import type { HomePaths } from '../../shared/home.ts';
import type { CreateOptions, DriverInfo } from '../../shared/machine-drivers.ts';

export type { CreateOptions };

export interface MachineDriver {
  readonly name: string;
  /** True when this driver made the node and can act on it. */
  owns(node: string): boolean;
  /**
   * Makes the machine and its engine (mutual TLS with the cluster CA, trusting the cluster
   * registry) and checks the engine answers. On failure it undoes what it did and says so
   * in the error; it never leaves half a machine. Drivers that name their machines take
   * no name (undefined): the lab's next nodeK.
   */
  create(name: string | undefined, options: CreateOptions, ctx: CreateContext): Promise<CreatedMachine>;
  /** Undoes create (the machine, or the host's engine set back as it was); returns what it removed, in words. */
  remove(node: string): Promise<string[]>;
  /**
   * Installs the node's certificates as the cluster PKI has them now and restarts its engine
   * with them: the CA(s) it trusts, its server certificate (a new key and certificate when
   * `renew`; otherwise reissued only when not from the issuing CA, as after a CA switch)
   * and its registry trust. An engine on a unix socket has no certificate: only its registry
   * trust is written, and it is not restarted.
   */
  installCerts(node: string, o: { renew: boolean }): Promise<void>;
  start(node: string): Promise<void>;
  /** Switches the node off; returns what was stopped, in words. */
  stop(node: string): Promise<string>;
  /** The argv that runs `command` on the node (an interactive shell when it is empty). */
  shell(node: string, command: string[]): string[];
}

export interface CreateContext {
  /** host:port of the cluster registry the engine must trust and reach. */
  registry: string;
  /** The cluster's nodes: an engine that is one of them already must not be set up again under another name. */
  nodes: readonly NodeInfo[];
  log(message: string): void;
  /** Asks the user (a terminal prompt); absent when nobody can answer (no terminal). */
  confirm?: (question: string) => Promise<boolean>;
}

export interface CreatedMachine {
  /** The name asked for, or the one the driver chose (the lab's next nodeK). */
  name: string;
  address: string;
  enginePort: number;
  /** The engine's unix socket (the local driver). */
  socket?: string;
}

export interface DriverEntry extends DriverInfo {
  make: DriverFactory;
}

export type DriverFactory = (paths: HomePaths) => MachineDriver;

/** Pure: refuses an engine the cluster has already (the same host set up twice would break the first node). */
export function assertEngineFree(nodes: readonly NodeInfo[], engine: Pick<NodeInfo, 'address' | 'enginePort' | 'socket'>): void {
  const same = nodes.find((n) =>
    engine.socket !== undefined ? n.socket === engine.socket : n.socket === undefined && n.address === engine.address && n.enginePort === engine.enginePort,
  );
  if (same) {
    throw new MatrixError('E_NODE_EXISTS', `the engine at ${engineShown(engine)} is the node ${same.name} already (matrix node rm ${same.name} first)`, {
      path: engine.socket !== undefined ? 'socket' : 'address',
    });
  }
}

/** The driver that made `node`; a node registered by hand (`PUT /v1/nodes`) has none. */
export function machineOf(node: string, paths: HomePaths, drivers: readonly DriverEntry[]): MachineDriver {
  for (const entry of drivers) {
    const d = entry.make(paths);
    if (d.owns(node)) return d;
  }
  throw new MatrixError(
    'E_NOT_FOUND',
    `no machine named ${node}: it was not created by a driver of this host (${drivers.map((d) => d.name).join(', ')}), so it cannot be started, stopped or entered from here`,
    {
      path: 'node',
    },
  );
}
