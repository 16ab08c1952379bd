/**
 * The machine drivers `matrix node create --driver` offers and the options each takes, as
 * data: the CLI builds its flags and help from it without loading the drivers (manager
 * code). A driver is this entry plus its file in src/manager/machines/.
 */
import { MatrixError } from '../core/errors.ts';
import { assertNodeName } from '../core/node-name.ts';

/** An option of `matrix node create` that belongs to one driver. */
export interface DriverOption {
  /** commander's syntax: `--ssh-host <host>`, or `--install-docker` for a bare flag. */
  flags: string;
  description: string;
}

export interface DriverInfo {
  name: string;
  description: string;
  /** Whether `create` needs a name (the lab names its nodes itself). */
  nameRequired: boolean;
  options: readonly DriverOption[];
}

/** `--flag value` options of `matrix node create`, by their camelCase names (sshHost); true for bare flags. */
export type CreateOptions = Record<string, string | boolean | undefined>;

export const LAB_DRIVER: DriverInfo = {
  name: 'lab',
  description: 'a network namespace on this host with its own dockerd, in the lab `matrix lab up` made; named node1..node200 (default: the first free)',
  nameRequired: false,
  options: [],
};

/** Taken by more than one driver: where the node's published ports (and a TCP engine) answer. */
const ADDRESS: DriverOption = {
  flags: '--address <ip>',
  description: "ssh, local: the node's address, where the manager reaches its engine and published ports (ssh: --ssh-host, resolved; local: 127.0.0.1)",
};

export const SSH_DRIVER: DriverInfo = {
  name: 'ssh',
  description: "an existing Linux host reachable over SSH: its Docker is set up for mutual TLS and the cluster registry (docker-machine's generic driver)",
  nameRequired: true,
  options: [
    { flags: '--ssh-host <host>', description: 'ssh: the address or DNS name of the host' },
    { flags: '--ssh-user <user>', description: 'ssh: the user to log in as: root, or one with password-less sudo (default: root)' },
    { flags: '--ssh-key <file>', description: 'ssh: the private key to log in with (default: ~/.ssh/id_ed25519, else ~/.ssh/id_rsa)' },
    { flags: '--ssh-port <port>', description: 'ssh: the SSH port (default: 22)' },
    {
      flags: '--ssh-host-key <fingerprint>',
      description: "ssh: the host key's SHA256 fingerprint, trusted on first use (else asked on a terminal, refused without one)",
    },
    ADDRESS,
    { flags: '--engine-port <port>', description: "ssh: the engine's TLS port (default: 2376)" },
    { flags: '--install-docker', description: "ssh: install Docker with the host's package manager when it is missing" },
  ],
};

export const LOCAL_DRIVER: DriverInfo = {
  name: 'local',
  description:
    "the Docker engine on the manager's own host, on its unix socket (no TLS: the socket is root's alone), for a one-machine install; named local unless given",
  nameRequired: false,
  options: [{ flags: '--socket <path>', description: "local: the engine's unix socket (default: /var/run/docker.sock)" }, ADDRESS],
};

export const SIM_DRIVER: DriverInfo = {
  name: 'sim',
  description:
    'a simulated node inside the manager (no engine, no traffic), to try placement, constraints, capacity and failover at any scale: it takes the replicas of apps with a constraint on matrix.sim (matrix.sim==true: only there; matrix.sim!=false: anywhere); the ingress never routes to them',
  nameRequired: true,
  options: [
    { flags: '--cpus <n>', description: 'sim: the CPUs it offers (default: 4)' },
    { flags: '--memory <size>', description: 'sim: the memory it offers: 16384 (MB), 16g, 512Mi (default: 4096)' },
  ],
};

export const DRIVER_INFO: readonly DriverInfo[] = [LAB_DRIVER, SSH_DRIVER, LOCAL_DRIVER, SIM_DRIVER];

/** Every driver's options once (some are shared), for the CLI to offer. */
export function allDriverOptions(all = DRIVER_INFO): DriverOption[] {
  return [...new Set(all.flatMap((d) => d.options))];
}

/** The camelCase key commander files `--ssh-host <x>` under. */
export function optionKey(flags: string): string {
  const long = /--([a-z0-9-]+)/.exec(flags)?.[1] ?? flags;
  return long.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Pure: checks `create`'s driver name and options. The CLI offers every driver's options at
 * once, so one given to the wrong driver is named with the driver it belongs to.
 */
export function checkCreate(driverName: string | undefined, name: string | undefined, given: CreateOptions, all = DRIVER_INFO): DriverInfo {
  const driver = all.find((d) => d.name === driverName);
  if (!driver) {
    throw new MatrixError(
      'E_BAD_REQUEST',
      `--driver must be one of ${all.map((d) => d.name).join(', ')}${driverName === undefined ? '' : `, not ${JSON.stringify(driverName)}`}`,
      {
        path: 'driver',
      },
    );
  }
  if (driver.nameRequired && name === undefined) {
    throw new MatrixError('E_BAD_REQUEST', `name the machine: matrix node create --driver ${driver.name} … <name>`, { path: 'name' });
  }
  // before any work: a machine made for a name the cluster then refuses is work to undo
  if (name !== undefined) assertNodeName(name);
  const own = new Set(driver.options.map((o) => optionKey(o.flags)));
  const problems: MatrixError[] = [];
  for (const other of all) {
    for (const o of other.options) {
      const key = optionKey(o.flags);
      if (!own.has(key) && given[key] !== undefined && given[key] !== false) {
        const flag = o.flags.split(' ')[0]!;
        problems.push(new MatrixError('E_BAD_REQUEST', `${flag} is an option of the ${other.name} driver, not of ${driver.name}`, { path: flag.slice(2) }));
      }
    }
  }
  if (problems.length === 1) throw problems[0]!;
  if (problems.length > 1) throw new MatrixError('E_BAD_REQUEST', problems.map((p) => p.message).join('; '), { path: problems[0]!.path!, details: problems });
  return driver;
}
