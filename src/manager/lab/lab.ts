/**
 * The lab driver: creates, inspects, powers off/on and removes a real cluster of dockerd
 * nodes in network namespaces. What it made is recorded in lab.json, so `down` removes
 * exactly that (and nothing it did not make), even after a failed `up`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MatrixError } from '../../core/errors.ts';
import { run, runOk } from '../../util/exec.ts';
import type { ClientTls } from '../nodes/docker-client.ts';
import * as cmd from './lab-commands.ts';
import {
  type LabConfig,
  type LabNode,
  labNodes,
  nextLabHost,
  nextLabNode,
  validateLabConfig,
  registryAddress,
  managerAddress,
} from '../../shared/lab-config.ts';
import { fingerprint } from '../machines/known-hosts.ts';
import { writeRegistryTrust } from '../nodes/registry-trust.ts';
import { killTree, nodeProcessTree } from './processes.ts';
import { NODE_SECRETS_ROOT, secretsDirOf, secretsHostDir } from '../nodes/secret-files.ts';

/** What the lab needs from the cluster PKI: per-node server certs and the manager's client cert. */
export interface LabPki {
  /** What the engines trust (Pki.engineTrust): read at each engine start, it changes in a CA rotation. */
  engineTrust(): { file: string; pem: string };
  /** The node's server certificate (a new certificate and key when `renew`, whatever it has). */
  nodeCert(node: LabNode, renew?: boolean): Promise<{ cert: string; key: string }>;
  clientTls(): ClientTls;
  /** What the engines need to pull from the registry (Pki.registryTrust), which only lets in the cluster CA's certificates. */
  registryTrust(): Promise<{ ca: string; cert: string; key: string }>;
}

export interface LabState {
  config: LabConfig;
  nodes: LabNode[];
  /** The registry CA we installed for the engines (certs.d is global to the host's engines). */
  registryCaDir: string | null;
  /** dockerd 20.10 writes its identity key to /etc/docker/key.json (no flag moves it); remove it if we caused it. */
  createdEngineKey?: boolean;
  /** Bare machines for the ssh driver (addHost). */
  hosts?: LabNode[];
  /** Directories of this host the lab created (mount points of the bare hosts' own ones), removed with it when empty. */
  createdDirs?: string[];
}

export interface NodeReport extends LabNode {
  enginePort: number;
  network: 'up' | 'down' | 'missing';
  engine: 'answering' | 'not answering';
  pids: number;
}

const ENGINE_READY_MS = 60_000;
const ENGINE_KEY = '/etc/docker/key.json';
/** Where a bare host's own directories are mounted, in its mount namespace. */
const HOST_MOUNT_POINTS = ['/etc/docker', '/var/lib/docker', '/var/log', '/home'];

export class Lab {
  constructor(
    private readonly dir: string,
    private readonly pki: LabPki,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  private get stateFile(): string {
    return labStateFile(this.dir);
  }

  state(): LabState | null {
    return labState(this.dir);
  }

  private save(s: LabState): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.stateFile, JSON.stringify(s, null, 2) + '\n');
  }

  private nodeDir(n: LabNode): string {
    return join(this.dir, n.name);
  }

  /** Idempotent: creates what is missing, starts engines that are not running, reports the rest. */
  async up(requested: LabConfig, count: number): Promise<LabState> {
    requireRoot();
    const existing = this.state();
    if (existing && JSON.stringify(existing.config) !== JSON.stringify(requested)) {
      throw new MatrixError('E_LAB', `a lab with another config exists in ${this.dir}; run \`matrix lab down\` first`);
    }
    const config = validateLabConfig(requested);
    const want = labNodes(config, Math.max(count, existing?.nodes.length ?? 0));
    const state: LabState = existing ?? { config, nodes: [], registryCaDir: null, createdEngineKey: !existsSync(ENGINE_KEY) };
    this.save(state); // record intent before touching the host: `down` can then clean a half-made lab

    if (!(await linkExists(config.bridge))) {
      this.log(`creating bridge ${config.bridge} (${managerAddress(config)}/24)`);
      await runAll(cmd.bridgeUp(config));
    }
    state.registryCaDir = await this.installRegistryCa(config);
    this.save(state);

    for (const n of want) await this.ensureNode(state, n);
    await Promise.all(want.map((n) => this.waitEngine(config, n)));
    return state;
  }

  /** The node recorded, then its network and engine made where missing (what `up` does for each). */
  private async ensureNode(state: LabState, n: LabNode): Promise<void> {
    if (!state.nodes.some((s) => s.name === n.name)) state.nodes.push(n);
    this.save(state);
    await this.ensureNetwork(state.config, n);
    await this.startEngine(state.config, n);
  }

  private async ensureNetwork(c: LabConfig, n: LabNode): Promise<void> {
    if (existsSync(`/var/run/netns/${n.netns}`)) return;
    this.log(`creating ${n.name}: netns ${n.netns}, ${n.address}`);
    await runAll(cmd.nodeNetworkUp(c, n));
  }

  /** One more node in an existing lab (`matrix node create --driver lab [nodeK]`). */
  async addNode(name?: string): Promise<LabNode> {
    requireRoot();
    const s = this.requireState();
    const n = nextLabNode(s.config, [...s.nodes, ...(s.hosts ?? [])], name);
    await this.ensureNode(s, n);
    await this.waitEngine(s.config, n);
    return n;
  }

  /** Removes one node or host: its processes, mounts, links, namespace and files. */
  async removeNode(name: string): Promise<number> {
    requireRoot();
    const s = this.requireState();
    const n = [...s.nodes, ...(s.hosts ?? [])].find((x) => x.name === name);
    if (!n) throw new MatrixError('E_NOT_FOUND', `no lab node or host named ${name}`, { path: 'node' });
    const killed = await this.teardown([n]);
    rmSync(this.nodeDir(n), { recursive: true, force: true });
    s.nodes = s.nodes.filter((x) => x !== n);
    if (s.hosts) s.hosts = s.hosts.filter((x) => x !== n);
    this.save(s);
    return killed;
  }

  /**
   * A bare machine for the ssh driver: a namespace on the lab bridge running sshd (key login
   * as root with `authorizedKey`), Docker installed (this host's binaries) but not set up.
   * Returns it with its SSH host key's fingerprint, to check on first connection.
   */
  async addHost(authorizedKey: string): Promise<{ host: LabNode; hostKey: string }> {
    requireRoot();
    const s = this.requireState();
    const n = nextLabHost(s.config, s.hosts ?? []);
    s.hosts = [...(s.hosts ?? []), n];
    this.save(s);
    await this.ensureNetwork(s.config, n);
    const d = this.nodeDir(n);
    const f: cmd.HostFiles = {
      etc: join(d, 'etc'),
      home: join(d, 'home'),
      etcDocker: join(d, 'etc-docker'),
      varLibDocker: join(d, 'var-lib-docker'),
      varLog: join(d, 'var-log'),
      sshdConfig: join(d, 'sshd_config'),
      hostKey: join(d, 'ssh_host_ed25519_key'),
      authorizedKeys: join(d, 'authorized_keys'),
    };
    for (const dir of [f.home, f.etcDocker, f.varLibDocker, f.varLog]) mkdirSync(dir, { recursive: true });
    // the mount points of the host's private directories
    for (const dir of HOST_MOUNT_POINTS) {
      if (!existsSync(dir)) {
        mkdirSync(dir, { recursive: true });
        s.createdDirs = [...(s.createdDirs ?? []), dir];
        this.save(s);
      }
    }
    // its own /etc, as a VM has: users, sudoers and Docker's configuration added there stay there
    if (!existsSync(f.etc)) {
      await runOk(['cp', '-a', '/etc', f.etc], 'E_LAB');
      // as on a Debian VM: its own name resolves (sudo looks it up, and waits on DNS otherwise)
      appendFileSync(join(f.etc, 'hosts'), `127.0.1.1 ${n.name}\n`);
    }
    writeFileSync(f.authorizedKeys, authorizedKey.trim() + '\n', { mode: 0o600 });
    writeFileSync(f.sshdConfig, cmd.sshdConfig(n, f));
    await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `${n.name}.lab`, '-f', f.hostKey], 'E_LAB');
    const argv = cmd.bareHostCommand(n, f);
    this.log(`starting sshd on ${n.name} (${n.address}:22)`);
    const out = openSync(join(d, 'sshd.log'), 'a');
    spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out, out] }).unref();
    if (!(await portOpen(n.address, 22, 10_000)))
      throw new MatrixError('E_LAB', `sshd on ${n.name} did not listen within 10 s:\n${safeTail(join(d, 'sshd.log'))}`);
    const blob = Buffer.from(readFileSync(`${f.hostKey}.pub`, 'utf8').split(' ')[1] ?? '', 'base64');
    return { host: n, hostKey: fingerprint(blob) };
  }

  private requireState(): LabState {
    const s = this.state();
    if (!s) throw new MatrixError('E_LAB', `no lab in ${this.dir}: create one with \`matrix lab up\` first`);
    return s;
  }

  private async installRegistryCa(c: LabConfig): Promise<string> {
    const t = await this.pki.registryTrust();
    return writeRegistryTrust(registryAddress(c), t.ca, t).dir;
  }

  /** The engine's data root (what survives a power-off: images, containers) and exec root (what does not). */
  private engineRoots(n: LabNode): Pick<cmd.EngineFiles, 'dataRoot' | 'execRoot'> {
    const d = this.nodeDir(n);
    return { dataRoot: join(d, 'data'), execRoot: join(d, 'exec') };
  }

  private engineFiles(n: LabNode, tls: { cert: string; key: string }): cmd.EngineFiles {
    const d = this.nodeDir(n);
    return {
      ...this.engineRoots(n),
      pidfile: join(d, 'dockerd.pid'),
      socket: join(d, 'docker.sock'),
      configFile: join(d, 'daemon.json'),
      ca: this.pki.engineTrust().file,
      cert: tls.cert,
      key: tls.key,
    };
  }

  private engineRunning(n: LabNode): boolean {
    const pidfile = join(this.nodeDir(n), 'dockerd.pid');
    if (!existsSync(pidfile)) return false;
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    return pid > 0 && nodeProcessTree(n.netns).includes(pid);
  }

  private async startEngine(c: LabConfig, n: LabNode): Promise<void> {
    if (this.engineRunning(n)) return;
    const tls = await this.pki.nodeCert(n);
    const files = this.engineFiles(n, tls);
    mkdirSync(files.dataRoot, { recursive: true });
    mkdirSync(files.execRoot, { recursive: true });
    rmSync(files.pidfile, { force: true }); // a stale pidfile from a killed engine blocks its start
    // dockerd reuses "its" containerd when containerd.pid names a live process: after a power-off
    // that pid is dead, or an unreaped zombie, or someone else's; dockerd then waits on a
    // socket nobody serves and gives up ("timeout waiting for containerd to start")
    rmSync(join(files.execRoot, 'containerd', 'containerd.pid'), { force: true });
    writeFileSync(files.configFile, '{}\n');
    const argv = cmd.dockerdCommand(c, n, files);
    this.log(`starting dockerd for ${n.name} on ${n.address}:${c.enginePort} (TLS)`);
    const out = openSync(join(this.nodeDir(n), 'dockerd.log'), 'a');
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out, out] });
    child.unref();
  }

  private async waitEngine(c: LabConfig, n: LabNode): Promise<void> {
    const { engineAnswersWithin } = await import('../nodes/docker-client.ts');
    if (await engineAnswersWithin({ address: n.address, enginePort: c.enginePort }, this.pki.clientTls(), ENGINE_READY_MS)) return;
    const logTail = safeTail(join(this.nodeDir(n), 'dockerd.log'));
    throw new MatrixError('E_LAB', `the engine of ${n.name} did not answer on ${n.address}:${c.enginePort} within ${ENGINE_READY_MS / 1000}s:\n${logTail}`);
  }

  async status(): Promise<NodeReport[]> {
    const s = this.state();
    if (!s) return [];
    const tls = this.pki.clientTls();
    const pingEngine = await enginePing();
    return Promise.all(
      [...s.nodes, ...(s.hosts ?? [])].map(async (n) => {
        const hasNs = existsSync(`/var/run/netns/${n.netns}`);
        const linkUp = hasNs ? (await run(['ip', '-o', 'link', 'show', n.hostVeth])).stdout.includes('state UP') : false;
        const answers = hasNs && (await pingEngine({ address: n.address, enginePort: s.config.enginePort }, tls, 1000));
        return {
          ...n,
          enginePort: s.config.enginePort,
          network: !hasNs ? 'missing' : linkUp ? 'up' : 'down',
          engine: answers ? 'answering' : 'not answering',
          pids: hasNs ? nodeProcessTree(n.netns).length : 0,
        } satisfies NodeReport;
      }),
    );
  }

  private node(name: string): { s: LabState; n: LabNode } {
    const s = this.state();
    const n = s?.nodes.find((x) => x.name === name);
    if (!s || !n) throw new MatrixError('E_NOT_FOUND', `no lab node named ${name}${s ? ` (nodes: ${s.nodes.map((x) => x.name).join(', ')})` : ' (no lab)'}`);
    return { s, n };
  }

  /**
   * As when a VM is switched off: its links go down, every process it runs dies, and what it
   * kept in memory is gone. The engine's run-time state (exec root: /var/run/docker on a real
   * host, a tmpfs) is wiped and its mounts undone: otherwise the containers' network
   * namespaces, pinned by bind mounts there, outlive their processes, and their veths stay
   * on the node's bridge with the same IP and MAC the engine gives a new container on restart,
   * which then never gets a packet.
   */
  async powerOff(name: string): Promise<number> {
    requireRoot();
    const { n } = this.node(name);
    await runAll(cmd.nodeLinksDown(n), true);
    const killed = killTree(n.netns).length;
    const { dataRoot, execRoot } = this.engineRoots(n);
    unmountUnder(execRoot);
    unmountUnder(dataRoot);
    rmSync(execRoot, { recursive: true, force: true });
    // the kernel tears the containers' namespaces down in the background, slowly when many
    // went at once: delete their veths (and docker0) now, or the restarted engine's docker0
    // could still hold one answering for the IP it hands out again
    const links = cmd.engineLinks((await run(['ip', '-n', n.netns, '-o', 'link', 'show'])).stdout);
    await runAll(
      links.map((l) => ['ip', '-n', n.netns, 'link', 'del', l]),
      true,
    );
    return killed;
  }

  async powerOn(name: string): Promise<void> {
    requireRoot();
    const { s, n } = this.node(name);
    await runAll(cmd.nodeLinksUp(s.config, n), true);
    await this.startEngine(s.config, n);
    await this.waitEngine(s.config, n);
  }

  /**
   * The node's certificates as the PKI has them now (a new server certificate when `renew`),
   * and the registry trust of this host's engines; its engine (switched off and on, as a VM
   * rebooted) starts with them.
   */
  async installCerts(name: string, o: { renew: boolean }): Promise<void> {
    const { s, n } = this.node(name);
    await this.pki.nodeCert(n, o.renew);
    await this.installRegistryCa(s.config);
    await this.powerOff(name);
    await this.powerOn(name);
  }

  /** Cuts a node off the network, as a broken switch would: its links go down, its processes run on. */
  async partition(name: string): Promise<void> {
    requireRoot();
    const { n } = this.node(name);
    await runAll(cmd.nodeLinksDown(n), true);
  }

  /** Ends a partition: links up; the node's engine and containers never stopped. */
  async heal(name: string): Promise<void> {
    requireRoot();
    const { s, n } = this.node(name);
    await runAll(cmd.nodeLinksUp(s.config, n), true);
    await this.waitEngine(s.config, n);
  }

  /** Removes every namespace, link, process, mount and file the lab made. Safe to repeat. */
  /** Ends the machines' processes, removes their secret files, mounts and links (not their directories); returns how many processes ended. */
  private async teardown(machines: LabNode[]): Promise<number> {
    let killed = 0;
    for (const n of machines) killed += killTree(n.netns).length;
    await sleep(200);
    // the lab's nodes share this host's /dev/shm: their containers' secret files go with them
    for (const n of machines) removeSecretDirs(this.engineRoots(n).dataRoot);
    for (const n of machines) unmountUnder(this.nodeDir(n));
    for (const n of machines) await runAll(cmd.nodeNetworkDown(n), true);
    return killed;
  }

  async down(): Promise<void> {
    requireRoot();
    const s = this.state();
    if (!s) return;
    await this.teardown([...s.nodes, ...(s.hosts ?? [])]);
    removeWipedMarkers();
    removeIfEmpty(NODE_SECRETS_ROOT);
    unmountUnder(this.dir);
    for (const d of s.createdDirs ?? []) removeIfEmpty(d);
    await runAll(cmd.bridgeDown(s.config), true);
    if (s.registryCaDir) {
      rmSync(s.registryCaDir, { recursive: true, force: true });
      removeIfEmpty('/etc/docker/certs.d');
    }
    if (s.createdEngineKey) rmSync(ENGINE_KEY, { force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const labStateFile = (dir: string): string => join(dir, 'lab.json');

/** What the lab in `dir` made (lab.json), or null: read without the PKI a Lab needs to start engines. */
export function labState(dir: string): LabState | null {
  const file = labStateFile(dir);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as LabState;
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new MatrixError('E_LAB', 'the lab creates network namespaces and engines: run it as root');
}

/** The engine client, loaded only by the commands that talk to an engine: dockerode takes ~0.4 s to load, and `lab poweroff` needs none of it. */
async function enginePing(): Promise<typeof import('../nodes/docker-client.ts').pingEngine> {
  return (await import('../nodes/docker-client.ts')).pingEngine;
}

async function runAll(cmds: string[][], ignoreErrors = false): Promise<void> {
  for (const argv of cmds) {
    if (ignoreErrors) await run(argv);
    else await runOk(argv, 'E_LAB');
  }
}

async function linkExists(name: string): Promise<boolean> {
  return (await run(['ip', 'link', 'show', name])).code === 0;
}

/** dockerd leaves overlay and netns mounts under its roots when killed; unmount deepest first. */
function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    // lazy: a dying process may still hold it; the kernel finishes once it is gone
    spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  }
}

/** The secret directories (secret-files.ts) of the containers an engine's data root holds. */
function removeSecretDirs(dataRoot: string): void {
  let ids: string[];
  try {
    ids = readdirSync(join(dataRoot, 'containers'));
  } catch {
    return; // the engine never ran
  }
  for (const id of ids) {
    try {
      const { MountPoints } = JSON.parse(readFileSync(join(dataRoot, 'containers', id, 'config.v2.json'), 'utf8')) as {
        MountPoints?: Record<string, { Source?: string; Destination?: string }>;
      };
      const dir = secretsDirOf(Object.values(MountPoints ?? {}));
      if (dir !== null) rmSync(secretsHostDir(dir), { recursive: true, force: true });
    } catch {
      // a container being created when the engine died has no config yet
    }
  }
}

/** A wiped container's directory is an empty file (secret-files.ts): nothing secret, whose lab it was. */
function removeWipedMarkers(): void {
  try {
    for (const name of readdirSync(NODE_SECRETS_ROOT)) {
      const f = join(NODE_SECRETS_ROOT, name);
      const st = statSync(f);
      if (st.isFile() && st.size === 0) rmSync(f, { force: true });
    }
  } catch {
    // no secrets were ever given on this host
  }
}

function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // not there
  }
}

function safeTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** True once something accepts TCP connections at host:port (a daemon just started), false after `ms`. */
async function portOpen(host: string, port: number, ms: number): Promise<boolean> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((res) => {
      const sock = connect({ host, port, timeout: 500 });
      sock.once('connect', () => (sock.destroy(), res(true)));
      sock.once('error', () => res(false));
      sock.once('timeout', () => (sock.destroy(), res(false)));
    });
    if (ok) return true;
    await sleep(100);
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
