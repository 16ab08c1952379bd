/**
 * The ssh driver (docker-machine's "generic"): an existing Linux host reachable over SSH
 * becomes a node. Its engine is set up for mutual TLS with the cluster CA and to trust the
 * cluster registry, restarted, and checked from here before the machine is recorded. What
 * is run on the host is built in ssh-provision.ts; this file only carries it out.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { dirname } from 'node:path';
import { isIP } from 'node:net';
import { isMatrixError, MatrixError } from '../../core/errors.ts';
import { shellQuote } from '../../util/shell-quote.ts';
import type { HomePaths } from '../../shared/home.ts';
import { isLoopback } from '../../shared/manager-config.ts';
import { Pki, type ClientTls } from '../pki/pki.ts';
import { nodeSans } from '../pki/sans.ts';
import { assertNodeName } from '../../core/node-name.ts';
import { SSH_DRIVER } from '../../shared/machine-drivers.ts';
import { assertEngineFree, type CreateOptions, type DriverEntry, type MachineDriver } from './driver.ts';
import { KnownHosts } from './known-hosts.ts';
import { MachineStore, type MachineRecord } from './machine-store.ts';
import {
  asRoot,
  certFiles,
  checkHost,
  engineFiles,
  engineLogScript,
  fatalLine,
  LOG_MARK_SCRIPT,
  parseLogMark,
  installDockerScript,
  parseProbe,
  PROBE_SCRIPT,
  REMOTE,
  startEngineScript,
  stopEngineScript,
  undoScript,
  undoneEngine,
  writeFileScript,
  type EngineSetup,
  type HostFacts,
  type Pems,
} from './ssh-provision.ts';
import type { SshSession, SshTarget, SshTrust } from './ssh-session.ts';

const ENGINE_PORT = 2376;
const ENGINE_READY_MS = 60_000;

export const sshDriverEntry: DriverEntry = {
  ...SSH_DRIVER,
  make: (paths) => sshDriver(paths),
};

export function sshDriver(paths: HomePaths): MachineDriver {
  const store = new MachineStore(paths.machines);
  const knownHosts = new KnownHosts(store.knownHostsFile);
  const pki = new Pki(paths.pki);
  const record = (name: string) => store.owned(name, 'ssh', 'ssh');
  /** The files an engine of `name` is set up with, as the cluster PKI has them now (a new key and certificate when `renew`). */
  const pemsOf = async (name: string, address: string, renew: boolean): Promise<Pems> => {
    const sans = nodeSans({ name, address });
    const server = renew ? await pki.renewServerCert(name, sans) : await pki.ensureServerCert(name, sans);
    const registry = await pki.registryTrust();
    return {
      ca: registry.ca,
      cert: readFileSync(server.cert, 'utf8'),
      key: readFileSync(server.key, 'utf8'),
      registryCert: registry.cert,
      registryKey: registry.key,
    };
  };
  /** (Re)starts dockerd and waits until it answers over mutual TLS; when it does not, the error carries its log since the start. */
  const startAndWait = async (session: SshSession, facts: HostFacts, at: Pick<MachineRecord, 'name' | 'address' | 'enginePort'>, waiting?: () => void) => {
    const host = session.target.host;
    const mark = parseLogMark((await session.exec(asRoot(facts, LOG_MARK_SCRIPT))).stdout);
    const log = async () => (await session.exec(asRoot(facts, engineLogScript(facts, mark)))).stdout.trim();
    const started = await session.exec(asRoot(facts, startEngineScript(facts)));
    if (started.code !== 0) {
      throw new MatrixError('E_MACHINE', `dockerd did not start on ${host}: ${(started.stderr || started.stdout).trim()}\n${await log()}`, { path: 'name' });
    }
    waiting?.();
    const failed = await waitEngine(at, pki.clientTls('manager'), log);
    if (failed !== null) {
      throw new MatrixError(
        'E_MACHINE',
        `the engine of ${at.name} did not answer on ${at.address}:${at.enginePort} over mutual TLS ${failed.gaveUp ? '(dockerd gave up' : `within ${ENGINE_READY_MS / 1000} s (a firewall, or dockerd failed`}: its log follows)\n${failed.log || '(empty log)'}`,
        { path: 'name' },
      );
    }
  };
  /** Runs `work` with a session and the host's facts; the session is always closed. */
  const onHost = async <T>(target: SshTarget, trust: SshTrust, work: (s: SshSession, f: HostFacts) => Promise<T>): Promise<T> => {
    // ssh2 only for the commands that reach a host: not for asking which driver made a node
    const { SshSession } = await import('./ssh-session.ts');
    const session = await SshSession.open(target, trust);
    try {
      return await work(session, await probe(session));
    } finally {
      session.close();
    }
  };

  return {
    name: 'ssh',
    owns: (node) => store.get(node)?.driver === 'ssh',

    async create(name, options, ctx) {
      if (name === undefined) throw new MatrixError('E_BAD_REQUEST', 'name the machine: matrix node create --driver ssh --ssh-host … <name>', { path: 'name' });
      assertNodeName(name);
      if (store.get(name)) throw new MatrixError('E_NODE_EXISTS', `a machine named ${name} exists (matrix node rm ${name} first)`, { path: 'name' });
      const target = sshTarget(options);
      const registryHost = ctx.registry.slice(0, ctx.registry.lastIndexOf(':'));
      if (isLoopback(registryHost)) {
        throw new MatrixError(
          'E_MACHINE',
          `the cluster registry listens on ${ctx.registry}, which ${target.host} cannot reach: set "registry" in the manager's manager.json to an address on a network the servers share, and restart the manager`,
          { path: 'registry' },
        );
      }
      const enginePort = portOption(options.enginePort, 'engine-port', ENGINE_PORT);
      const trust: SshTrust = {
        knownHosts,
        ...(typeof options.sshHostKey === 'string' ? { hostKey: options.sshHostKey } : {}),
        ...(ctx.confirm ? { confirm: ctx.confirm } : {}),
      };
      const address = await engineAddress(options.address, target.host);
      assertEngineFree(ctx.nodes, { address, enginePort });
      const sameHost = store.list().find((m) => m.ssh?.host === target.host && m.ssh.port === target.port);
      if (sameHost) {
        throw new MatrixError(
          'E_NODE_EXISTS',
          `${target.host}:${target.port} is the machine ${sameHost.name} already (matrix node rm ${sameHost.name} first)`,
          { path: 'ssh-host' },
        );
      }
      const setup: EngineSetup = { name, enginePort, registry: ctx.registry };
      const done: string[] = [];
      const undo: { what: string; run: () => Promise<void> }[] = [];
      const cleaned: string[] = [];
      const hostKeyKnown = knownHosts.keys(target.host, target.port).length > 0;
      try {
        await onHost(target, trust, async (session, facts0) => {
          try {
            if (!hostKeyKnown)
              undo.push({ what: `the host key of ${target.host} in ${knownHosts.file}`, run: async () => knownHosts.remove(target.host, target.port) });
            ctx.log(`connected to ${target.user}@${target.host}:${target.port} (${facts0.os}, ${facts0.systemd ? 'systemd' : 'no systemd'})`);
            checkHost(facts0, options.installDocker === true);
            let facts = facts0;
            if (facts.dockerd === null && facts.packageManager !== null) {
              ctx.log(`installing Docker with ${facts.packageManager} (a minute or two)`);
              await mustRun(session, asRoot(facts, installDockerScript(facts.packageManager)), 'installing Docker');
              facts = await probe(session);
              if (facts.dockerd === null)
                throw new MatrixError('E_MACHINE', `Docker was installed with ${facts0.packageManager} but dockerd is still not found`, {
                  path: 'install-docker',
                });
              done.push('installed Docker');
            }
            ctx.log(`issuing ${name}'s server certificate (${address}) from the cluster CA`);
            undo.push({ what: `${name}'s server certificate`, run: async () => rmSync(dirname(pki.serverPaths(name).cert), { recursive: true, force: true }) });
            const pems = await pemsOf(name, address, false);
            undo.push({
              what: `the engine configuration on ${target.host} (${undoneEngine(facts)})`,
              run: async () => void (await session.exec(asRoot(facts, undoScript(facts, setup)))),
            });
            ctx.log(
              `configuring dockerd for mutual TLS on ${enginePort} and the registry ${ctx.registry}${facts.systemd ? ' (systemd drop-in)' : ' (supervised process)'}`,
            );
            for (const f of [...certFiles(setup, pems), ...engineFiles(facts, setup)]) {
              await mustRun(session, asRoot(facts, writeFileScript(f)), `writing ${f.path}`, f.content);
            }
            ctx.log('restarting dockerd');
            await startAndWait(session, facts, { name, address, enginePort }, () => ctx.log(`waiting for the engine at ${address}:${enginePort}`));
          } catch (e) {
            // undone while the session is still open: the host's part needs it
            for (const u of undo.reverse()) {
              try {
                await u.run();
                cleaned.push(u.what);
              } catch (ue) {
                cleaned.push(`NOT ${u.what}: ${(ue as Error).message}`);
              }
            }
            throw e;
          }
        });
      } catch (e) {
        const err = isMatrixError(e) ? e : new MatrixError('E_MACHINE', (e as Error).message);
        const note = cleaned.length ? `\ncleaned up: ${cleaned.join('; ')}` : '\nnothing was changed';
        throw new MatrixError(
          err.code,
          `${err.message}${note}${done.length ? ` (kept: ${done.join(', ')})` : ''}`,
          err.path !== undefined ? { path: err.path } : {},
        );
      }
      store.save({ name, driver: 'ssh', address, enginePort, created: new Date().toISOString(), registry: ctx.registry, ssh: target });
      return { name, address, enginePort };
    },

    async remove(node) {
      const r = record(node);
      const removed: string[] = [];
      try {
        const undone = await onHost(r.ssh, { knownHosts }, async (session, facts) => {
          await mustRun(session, asRoot(facts, undoScript(facts, { name: node, enginePort: r.enginePort, registry: r.registry ?? '' })), 'setting Docker back');
          return undoneEngine(facts);
        });
        removed.push(`the engine configuration on ${r.ssh.host} (${undone})`);
      } catch (e) {
        // the host may be gone for good: forgetting it must still work
        removed.push(`NOT the engine configuration on ${r.ssh.host} (${(e as Error).message.split('\n')[0]}): remove ${REMOTE.dir} there by hand`);
      }
      rmSync(dirname(pki.serverPaths(node).cert), { recursive: true, force: true });
      knownHosts.remove(r.ssh.host, r.ssh.port);
      store.remove(node);
      removed.push(`${node}'s server certificate, host key and record`);
      return removed;
    },

    async installCerts(node, o) {
      const r = record(node);
      const files = certFiles({ name: node, enginePort: r.enginePort, registry: r.registry ?? '' }, await pemsOf(node, r.address, o.renew));
      await onHost(r.ssh, { knownHosts }, async (s, f) => {
        for (const file of files) await mustRun(s, asRoot(f, writeFileScript(file)), `writing ${file.path}`, file.content);
        await startAndWait(s, f, r);
      });
    },

    async start(node) {
      const r = record(node);
      await onHost(r.ssh, { knownHosts }, (s, f) => startAndWait(s, f, r));
    },

    async stop(node) {
      const r = record(node);
      await onHost(r.ssh, { knownHosts }, (s, f) => mustRun(s, asRoot(f, stopEngineScript(f)), 'stopping dockerd'));
      return `its engine stopped; the host stays up`;
    },

    shell(node, command) {
      const { ssh } = record(node);
      return sshCommand(ssh, knownHosts.file, command);
    },
  };
}

/**
 * Pure: the stock ssh client to the machine, trusting only the host key the driver recorded.
 * `--` ends ssh's options: the command is run by the remote login shell.
 */
export function sshCommand(t: SshTarget, knownHostsFile: string, command: string[]): string[] {
  return [
    'ssh',
    '-i',
    t.key,
    '-p',
    String(t.port),
    '-o',
    `UserKnownHostsFile=${knownHostsFile}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'IdentitiesOnly=yes',
    `${t.user}@${t.host}`,
    ...(command.length ? ['--', ...command] : []),
  ];
}

/** Pure: the SSH target from `create`'s options, each checked. */
export function sshTarget(o: CreateOptions, home = process.env.HOME ?? '/root'): SshTarget {
  const host = o.sshHost;
  if (typeof host !== 'string' || host.trim() === '') throw new MatrixError('E_BAD_REQUEST', 'the ssh driver needs --ssh-host <address>', { path: 'ssh-host' });
  if (!/^[A-Za-z0-9.:_-]+$/.test(host))
    throw new MatrixError('E_BAD_REQUEST', `--ssh-host ${JSON.stringify(host)} is not an address or host name`, { path: 'ssh-host' });
  const user = typeof o.sshUser === 'string' ? o.sshUser : 'root';
  if (!/^[a-z_][a-z0-9_.-]{0,31}$/i.test(user))
    throw new MatrixError('E_BAD_REQUEST', `--ssh-user ${JSON.stringify(user)} is not a user name`, { path: 'ssh-user' });
  const port = portOption(o.sshPort, 'ssh-port', 22);
  const key =
    typeof o.sshKey === 'string' ? o.sshKey : ([`${home}/.ssh/id_ed25519`, `${home}/.ssh/id_rsa`].find((k) => existsSync(k)) ?? `${home}/.ssh/id_ed25519`);
  return { host, port, user, key };
}

function portOption(v: CreateOptions[string], flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || n < 1 || n > 65535)
    throw new MatrixError('E_BAD_REQUEST', `--${flag} must be a port in 1..65535, got ${JSON.stringify(v)}`, { path: flag });
  return n;
}

/** The engine's address: given, or the SSH host (an IP, or its name resolved here). */
async function engineAddress(given: CreateOptions[string], host: string): Promise<string> {
  if (typeof given === 'string') {
    if (isIP(given) === 0) throw new MatrixError('E_BAD_REQUEST', `--address must be an IP address, got ${JSON.stringify(given)}`, { path: 'address' });
    return given;
  }
  if (isIP(host) !== 0) return host;
  try {
    return (await lookup(host)).address;
  } catch {
    throw new MatrixError('E_SSH_UNREACHABLE', `cannot resolve ${host}: give its address with --ssh-host <ip> or --address <ip>`, { path: 'ssh-host' });
  }
}

/**
 * Waits for the engine to answer over mutual TLS; null when it does. Reads dockerd's log now
 * and then: a dockerd that gave up (its port taken, a bad flag) is reported at once, not
 * after the whole wait.
 */
async function waitEngine(
  at: { address: string; enginePort: number },
  tls: ClientTls,
  log: () => Promise<string>,
): Promise<{ gaveUp: boolean; log: string } | null> {
  const { engineAnswersWithin } = await import('../nodes/docker-client.ts');
  const deadline = Date.now() + ENGINE_READY_MS;
  while (Date.now() < deadline) {
    if (await engineAnswersWithin(at, tls, Math.min(3000, deadline - Date.now()))) return null;
    const text = await log();
    if (fatalLine(text) !== null) return { gaveUp: true, log: text };
  }
  return { gaveUp: false, log: await log() };
}

async function probe(session: SshSession): Promise<HostFacts> {
  const r = await session.exec(`sh -c ${shellQuote(PROBE_SCRIPT)}`);
  return parseProbe(r.stdout);
}

async function mustRun(session: SshSession, command: string, what: string, stdin?: string): Promise<void> {
  const r = await session.exec(command, stdin);
  if (r.code !== 0)
    throw new MatrixError('E_MACHINE', `${what} failed on ${session.target.host} (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-2000)}`);
}
