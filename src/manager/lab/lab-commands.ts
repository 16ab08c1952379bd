/**
 * Commands as data: every command the lab runs is built here as an argv array, so tests
 * assert on the exact commands and execution stays a separate, small layer (exec.ts).
 */
import type { LabConfig, LabNode } from '../../shared/lab-config.ts';
import { managerAddress } from '../../shared/lab-config.ts';

export type Argv = string[];

export function bridgeUp(c: LabConfig): Argv[] {
  return [
    ['ip', 'link', 'add', c.bridge, 'type', 'bridge'],
    ['ip', 'addr', 'add', `${managerAddress(c)}/24`, 'dev', c.bridge],
    ['ip', 'link', 'set', c.bridge, 'up'],
  ];
}

export function bridgeDown(c: LabConfig): Argv[] {
  return [['ip', 'link', 'del', c.bridge]];
}

/** The node's cable: a veth pair, host end on the bridge, node end `eth0` inside the netns. */
export function nodeNetworkUp(c: LabConfig, n: LabNode): Argv[] {
  return [
    ['ip', 'netns', 'add', n.netns],
    ['ip', 'link', 'add', n.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.netns],
    ['ip', 'link', 'set', n.hostVeth, 'master', c.bridge, 'up'],
    ['ip', '-n', n.netns, 'addr', 'add', `${n.address}/24`, 'dev', 'eth0'],
    ['ip', '-n', n.netns, 'link', 'set', 'lo', 'up'],
    ['ip', '-n', n.netns, 'link', 'set', 'eth0', 'up'],
    ['ip', '-n', n.netns, 'route', 'add', 'default', 'via', managerAddress(c)],
  ];
}

export function nodeLinksDown(n: LabNode): Argv[] {
  return [
    ['ip', 'link', 'set', n.hostVeth, 'down'],
    ['ip', '-n', n.netns, 'link', 'set', 'eth0', 'down'],
  ];
}

/**
 * Pure: the links an engine made in the node's namespace (docker0, the host ends of its
 * containers' veths), from `ip -o link show`: all but the node's own lo and eth0.
 */
export function engineLinks(ipLinkOutput: string): string[] {
  return ipLinkOutput
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'lo' && name !== 'eth0');
}

export function nodeLinksUp(c: LabConfig, n: LabNode): Argv[] {
  return [
    ['ip', 'link', 'set', n.hostVeth, 'up'],
    ['ip', '-n', n.netns, 'link', 'set', 'eth0', 'up'],
    // setting eth0 down dropped the default route with it
    ['ip', '-n', n.netns, 'route', 'replace', 'default', 'via', managerAddress(c)],
  ];
}

export function nodeNetworkDown(n: LabNode): Argv[] {
  return [
    ['ip', 'link', 'del', n.hostVeth],
    ['ip', 'netns', 'del', n.netns],
  ];
}

export interface EngineFiles {
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  socket: string;
  /** Our own (empty) daemon.json: a host's /etc/docker/daemon.json must not leak into the lab. */
  configFile: string;
  ca: string;
  cert: string;
  key: string;
}

/**
 * `nsenter --net` and not `ip netns exec`: the latter remounts /sys and dockerd then fails
 * with "Devices cgroup isn't mounted". TLS on the TCP socket (a plain-TCP engine also waits
 * 15 s at start). The cgroup parent names the node so its containers are findable.
 */
export function dockerdCommand(c: LabConfig, n: LabNode, f: EngineFiles): Argv {
  return [
    'nsenter',
    `--net=/var/run/netns/${n.netns}`,
    '--',
    'dockerd',
    '--config-file',
    f.configFile,
    '--data-root',
    f.dataRoot,
    '--exec-root',
    f.execRoot,
    '--pidfile',
    f.pidfile,
    '-H',
    `unix://${f.socket}`,
    '-H',
    `tcp://${n.address}:${c.enginePort}`,
    '--tlsverify',
    '--tlscacert',
    f.ca,
    '--tlscert',
    f.cert,
    '--tlskey',
    f.key,
    '--cgroup-parent',
    `/${n.netns}`,
    '--label',
    `matrix.node=${n.name}`,
  ];
}

/** The docker CLI against an engine (`host:port`) over mutual TLS, e.g. with the manager's client certificate. */
export function dockerCliCommand(engine: string, tls: { ca: string; cert: string; key: string }, args: string[]): Argv {
  return ['docker', '-H', `tcp://${engine}`, '--tlsverify', '--tlscacert', tls.ca, '--tlscert', tls.cert, '--tlskey', tls.key, ...args];
}

/** What a bare lab host (an ssh driver target) keeps in its directory. */
export interface HostFiles {
  /** Its own /etc (a copy of this host's, so users and sudoers can be added there), /home, /etc/docker, /var/lib/docker and /var/log, bind-mounted over the host's in its mount namespace. */
  etc: string;
  home: string;
  etcDocker: string;
  varLibDocker: string;
  varLog: string;
  sshdConfig: string;
  hostKey: string;
  authorizedKeys: string;
}

/** Key login only, as root; no PAM (nothing to log in to), our own host key. */
export function sshdConfig(n: LabNode, f: HostFiles): string {
  return [
    'Port 22',
    `ListenAddress ${n.address}`,
    `HostKey ${f.hostKey}`,
    // root's key from the lab; other users' from their home, as anywhere (sshd reads those as the user)
    `AuthorizedKeysFile ${f.authorizedKeys} .ssh/authorized_keys`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // the lab's files belong to whoever runs it
    'StrictModes no',
    'PidFile none',
    '',
  ].join('\n');
}

/**
 * sshd in the host's network namespace, with a host name (UTS namespace) and a mount namespace of its own, where /etc, /home,
 * /etc/docker, /var/lib/docker, /var/log and /run are the host's alone: what the ssh driver sets up there
 * (dockerd's flags, certificates, pid files, the engine's data) stays on that "machine", as on
 * a VM. `nsenter --net` and not `ip netns exec`, for /sys (see dockerdCommand).
 */
export function bareHostCommand(n: LabNode, f: HostFiles): Argv {
  const script = [
    'set -e',
    `mount --bind ${f.etc} /etc`,
    `mount --bind ${f.home} /home`,
    `mount --bind ${f.etcDocker} /etc/docker`,
    `mount --bind ${f.varLibDocker} /var/lib/docker`,
    `mount --bind ${f.varLog} /var/log`,
    // no docker.sock, no systemd: a machine where Docker is installed but not running
    'mount -t tmpfs -o mode=755 tmpfs /run',
    `hostname ${n.name}`,
    'mkdir -p /run/sshd',
    `exec /usr/sbin/sshd -D -e -f ${f.sshdConfig}`,
  ].join('\n');
  return ['nsenter', `--net=/var/run/netns/${n.netns}`, '--', 'unshare', '--mount', '--uts', '--propagation', 'private', '--', 'sh', '-c', script];
}
