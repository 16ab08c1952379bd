/**
 * Pure: what the ssh driver does on a host, as data (docker-machine's "generic" driver). A
 * probe script reports the host's facts; from them come the files to write and the scripts
 * that configure dockerd for mutual TLS and the cluster registry, start and stop it, read its
 * log, and undo it all when a create fails. Tests assert on these; ssh-driver.ts runs them.
 */
import { MatrixError } from '../../core/errors.ts';
import { shellQuote } from '../../util/shell-quote.ts';

export const PACKAGE_MANAGERS = ['apt-get', 'dnf', 'yum', 'zypper', 'apk'] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

export interface HostFacts {
  os: string;
  uid: number;
  /** `sudo -n true` works (no password asked). */
  sudo: boolean;
  /** Path of dockerd, or null when Docker is not installed. */
  dockerd: string | null;
  /** systemd is the init (so dockerd is configured with a drop-in). */
  systemd: boolean;
  packageManager: PackageManager | null;
  /** containerd runs on its own (Docker CE, Debian's docker.io): dockerd is pointed at it. */
  containerdSocket: boolean;
}

/** Prints one `key=value` line per fact; runs as the login user, changes nothing. */
export const PROBE_SCRIPT = [
  'echo os=$(uname -s)',
  'echo uid=$(id -u)',
  // root needs no sudo (and asking it costs a host name lookup, slow where DNS does not answer)
  'if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then echo sudo=yes; fi',
  'echo dockerd=$(command -v dockerd || ls /usr/bin/dockerd /usr/sbin/dockerd 2>/dev/null | head -n 1)',
  'if [ -d /run/systemd/system ]; then echo systemd=yes; fi',
  `for p in ${PACKAGE_MANAGERS.join(' ')}; do if command -v $p >/dev/null 2>&1; then echo pm=$p; break; fi; done`,
  'if [ -S /run/containerd/containerd.sock ]; then echo containerd=yes; fi',
].join('\n');

export function parseProbe(out: string): HostFacts {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const pm = kv.get('pm');
  return {
    os: kv.get('os') || 'unknown',
    uid: Number(kv.get('uid') ?? NaN),
    sudo: kv.get('sudo') === 'yes',
    dockerd: kv.get('dockerd') || null,
    systemd: kv.get('systemd') === 'yes',
    packageManager: (PACKAGE_MANAGERS as readonly string[]).includes(pm ?? '') ? (pm as PackageManager) : null,
    containerdSocket: kv.get('containerd') === 'yes',
  };
}

/** Where the driver keeps its files on the host. */
export const REMOTE = {
  dir: '/etc/docker/cloudmatrix',
  ca: '/etc/docker/cloudmatrix/ca.pem',
  cert: '/etc/docker/cloudmatrix/server-cert.pem',
  key: '/etc/docker/cloudmatrix/server-key.pem',
  args: '/etc/docker/cloudmatrix/dockerd.args',
  supervisor: '/etc/docker/cloudmatrix/dockerd-supervise.sh',
  supervisorPid: '/var/run/cloudmatrix-dockerd.pid',
  dockerPid: '/var/run/docker.pid',
  log: '/var/log/cloudmatrix-dockerd.log',
  dropIn: '/etc/systemd/system/docker.service.d/10-cloudmatrix.conf',
  certsD: (registry: string) => `/etc/docker/certs.d/${registry}`,
} as const;

export interface EngineSetup {
  name: string;
  enginePort: number;
  /** host:port of the cluster registry the engine pulls from. */
  registry: string;
}

export interface Pems {
  ca: string;
  cert: string;
  key: string;
  /** The engines' client certificate for the registry (it only lets in the cluster CA's). */
  registryCert: string;
  registryKey: string;
}

export interface RemoteFile {
  path: string;
  content: string;
  mode: number;
}

/** Refuses a host the driver cannot set up, saying what to do; returns the facts otherwise. */
export function checkHost(f: HostFacts, installDocker: boolean): void {
  if (f.os !== 'Linux') throw new MatrixError('E_MACHINE', `the host runs ${f.os}: the ssh driver sets up Linux hosts`, { path: 'ssh-host' });
  if (f.uid !== 0 && !f.sudo) {
    throw new MatrixError('E_MACHINE', 'the SSH user is not root and cannot sudo without a password: use --ssh-user root, or allow it NOPASSWD in sudoers', {
      path: 'ssh-user',
    });
  }
  if (f.dockerd === null && !installDocker) {
    throw new MatrixError(
      'E_MACHINE',
      `Docker is not installed on the host: install it, or pass --install-docker to install it with ${f.packageManager ?? 'its package manager'}`,
      { path: 'install-docker' },
    );
  }
  if (f.dockerd === null && f.packageManager === null) {
    throw new MatrixError('E_MACHINE', `Docker is not installed and the host has none of ${PACKAGE_MANAGERS.join(', ')}: install Docker by hand`, {
      path: 'install-docker',
    });
  }
}

/** Runs a script as root: through `sudo -n` for another user. */
export function asRoot(f: HostFacts, script: string): string {
  return f.uid === 0 ? `sh -c ${shellQuote(script)}` : `sudo -n sh -c ${shellQuote(script)}`;
}

export function installDockerScript(pm: PackageManager): string {
  switch (pm) {
    case 'apt-get':
      return 'export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q docker.io';
    case 'dnf':
      return 'dnf install -y moby-engine || dnf install -y docker';
    case 'yum':
      return 'yum install -y docker';
    case 'zypper':
      return 'zypper --non-interactive install docker';
    case 'apk':
      return 'apk add docker';
  }
}

/** The certificates to install: the engine's own (mutual TLS on the engine port), and the registry's trust. */
export function certFiles(s: EngineSetup, p: Pems): RemoteFile[] {
  const reg = REMOTE.certsD(s.registry);
  return [
    { path: REMOTE.ca, content: p.ca, mode: 0o644 },
    { path: REMOTE.cert, content: p.cert, mode: 0o644 },
    { path: REMOTE.key, content: p.key, mode: 0o600 },
    // dockerd reads a registry's CA and client certificate only from certs.d/<host:port>/
    { path: `${reg}/ca.crt`, content: p.ca, mode: 0o644 },
    { path: `${reg}/client.cert`, content: p.registryCert, mode: 0o644 },
    { path: `${reg}/client.key`, content: p.registryKey, mode: 0o600 },
  ];
}

/** dockerd's flags: the local socket for the host's own use, TLS with client verification on the engine port. */
export function dockerdFlags(f: HostFacts, s: EngineSetup): string[] {
  return [
    '-H',
    f.systemd ? 'fd://' : 'unix:///var/run/docker.sock',
    '-H',
    `tcp://0.0.0.0:${s.enginePort}`,
    '--tlsverify',
    `--tlscacert=${REMOTE.ca}`,
    `--tlscert=${REMOTE.cert}`,
    `--tlskey=${REMOTE.key}`,
    `--label=matrix.node=${s.name}`,
    ...(f.containerdSocket ? ['--containerd=/run/containerd/containerd.sock'] : []),
  ];
}

/**
 * How dockerd is run: a systemd drop-in replacing ExecStart (as docker-machine does), or,
 * without systemd, a small supervisor loop that restarts it and reads its flags anew each time.
 */
export function engineFiles(f: HostFacts, s: EngineSetup): RemoteFile[] {
  const dockerd = f.dockerd ?? '/usr/bin/dockerd';
  const flags = dockerdFlags(f, s);
  if (f.systemd) {
    return [
      {
        path: REMOTE.dropIn,
        content: `# written by cloudmatrix (matrix node create): the engine on ${s.enginePort} over mutual TLS\n[Service]\nExecStart=\nExecStart=${[dockerd, ...flags].join(' ')}\n`,
        mode: 0o644,
      },
    ];
  }
  return [
    { path: REMOTE.args, content: flags.join('\n') + '\n', mode: 0o644 },
    {
      path: REMOTE.supervisor,
      content: [
        '#!/bin/sh',
        '# written by cloudmatrix: keeps dockerd running on a host without systemd',
        `echo $$ > ${REMOTE.supervisorPid}`,
        'while :; do',
        `  ${dockerd} $(cat ${REMOTE.args}) >> ${REMOTE.log} 2>&1`,
        '  sleep 1',
        'done',
        '',
      ].join('\n'),
      mode: 0o755,
    },
  ];
}

const alive = (pidfile: string) => `kill -0 "$(cat ${pidfile} 2>/dev/null)" 2>/dev/null`;
const stopPidfile = (pidfile: string) =>
  `if ${alive(pidfile)}; then kill "$(cat ${pidfile})"; i=0; while ${alive(pidfile)} && [ $i -lt 100 ]; do sleep 0.2; i=$((i+1)); done; fi`;

/** (Re)starts dockerd with the installed configuration. */
export function startEngineScript(f: HostFacts): string {
  if (f.systemd) return 'systemctl daemon-reload && systemctl enable docker >/dev/null 2>&1; systemctl restart docker';
  return [
    // a dockerd not started by our supervisor (by hand, an init script) would keep the port and pidfile
    `if ! ${alive(REMOTE.supervisorPid)}; then`,
    `  if [ -x /etc/init.d/docker ]; then /etc/init.d/docker stop >/dev/null 2>&1; fi`,
    `  ${stopPidfile(REMOTE.dockerPid)}`,
    `  setsid nohup sh ${REMOTE.supervisor} >/dev/null 2>&1 < /dev/null &`,
    'else',
    // the supervisor restarts it, reading the new flags
    `  ${stopPidfile(REMOTE.dockerPid)}`,
    'fi',
  ].join('\n');
}

export function stopEngineScript(f: HostFacts): string {
  if (f.systemd) return 'systemctl stop docker docker.socket';
  return [stopPidfile(REMOTE.supervisorPid), stopPidfile(REMOTE.dockerPid), `rm -f ${REMOTE.supervisorPid}`].join('\n');
}

/** Where dockerd's log stands now (`<epoch seconds> <bytes>`), so what a restart writes can be read apart from older runs. */
export const LOG_MARK_SCRIPT = `echo "$(date +%s) $(cat ${REMOTE.log} 2>/dev/null | wc -c)"`;

export interface LogMark {
  epoch: number;
  bytes: number;
}

export function parseLogMark(out: string): LogMark {
  const [epoch, bytes] = out.trim().split(/\s+/).map(Number);
  return { epoch: Number.isFinite(epoch) ? epoch! : 0, bytes: Number.isFinite(bytes) ? bytes! : 0 };
}

/** The last lines dockerd wrote (since `mark`): what `create` shows when the engine does not answer. */
export function engineLogScript(f: HostFacts, mark?: LogMark, lines = 20): string {
  if (f.systemd) return `journalctl -u docker${mark ? ` --since @${mark.epoch}` : ''} -n ${lines} --no-pager`;
  return mark ? `tail -c +${mark.bytes + 1} ${REMOTE.log} | tail -n ${lines}` : `tail -n ${lines} ${REMOTE.log}`;
}

/** Pure: a line of dockerd's log that means it gave up (it will not answer however long we wait), or null. */
export function fatalLine(log: string): string | null {
  return log.split('\n').find((l) => /failed to load listeners|failed to start daemon|level=fatal/i.test(l)) ?? null;
}

/**
 * Undoes a create: the engine goes back to how the host ran it before (the drop-in removed
 * and docker restarted, or our supervisor stopped), and our files are removed. Docker itself,
 * when we installed it, stays: removing packages is the host owner's call.
 */
export function undoScript(f: HostFacts, s: EngineSetup): string {
  // never `certs.d/` itself: other registries' trust lives there
  const files = `rm -rf ${REMOTE.dir}${/^[A-Za-z0-9.-]+(:\d+)?$/.test(s.registry) ? ` ${REMOTE.certsD(s.registry)}` : ''}`;
  if (f.systemd) return `rm -f ${REMOTE.dropIn}; ${files}; systemctl daemon-reload; systemctl restart docker`;
  return `${stopEngineScript(f)}\n${files}`;
}

/** What undoScript leaves the engine as, in words. */
export function undoneEngine(f: HostFacts): string {
  return f.systemd ? "Docker restarted without cloudmatrix's drop-in" : "cloudmatrix's dockerd stopped";
}

/** Writes a file atomically with its mode (content on stdin): a half-written key or unit is never read. */
export function writeFileScript(file: RemoteFile): string {
  const dir = file.path.slice(0, file.path.lastIndexOf('/')) || '/';
  const tmp = `${file.path}.tmp`;
  const mode = file.mode.toString(8);
  return `umask 077 && mkdir -p ${shellQuote(dir)} && cat > ${shellQuote(tmp)} && chmod ${mode} ${shellQuote(tmp)} && mv ${shellQuote(tmp)} ${shellQuote(file.path)}`;
}
