/**
 * Runs the cluster registry (CNCF distribution 2.8) as a child of the manager and reports
 * ready only once it answers `GET /v2/` over verified TLS, so callers never race its start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MatrixError } from '../../core/errors.ts';
import { sendRequest } from '../../util/http-request.ts';
import { REGISTRY_BINARY, registryCommand, registryConfig } from './registry-config.ts';

export interface StartRegistryOptions {
  /** The registry's own directory: `config.yml`, `data/`, and the log by default. */
  home: string;
  /** host:port to listen on, e.g. '10.210.0.1:5000'. */
  addr: string;
  tls: {
    certFile: string;
    keyFile: string;
    /** The cluster CA file: clients must present a certificate it signed. */
    clientCaFile: string;
    /** CA PEM used to verify the readiness probe. */
    ca: string;
    /** The client certificate the readiness probe presents. */
    client: { cert: string; key: string };
  };
  logFile?: string;
  /** Own process group and unref'd, so the registry may outlive the manager process. */
  detached?: boolean;
  binary?: string;
  readyTimeoutMs?: number;
}

export interface RunningRegistry {
  pid: number;
  addr: string;
  configPath: string;
  logFile: string;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;

export async function startRegistry(opts: StartRegistryOptions): Promise<RunningRegistry> {
  const configPath = join(opts.home, 'config.yml');
  const logFile = opts.logFile ?? join(opts.home, 'registry.log');
  mkdirSync(join(opts.home, 'data'), { recursive: true });
  writeFileSync(
    configPath,
    registryConfig({
      addr: opts.addr,
      rootDir: join(opts.home, 'data'),
      certFile: opts.tls.certFile,
      keyFile: opts.tls.keyFile,
      clientCaFile: opts.tls.clientCaFile,
    }),
  );
  const [bin, ...args] = registryCommand(configPath, opts.binary ?? REGISTRY_BINARY);
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(bin!, args, { stdio: ['ignore', logFd, logFd], detached: opts.detached ?? false, env: registryEnv() });
  } finally {
    closeSync(logFd); // the child holds its own copy
  }
  if (opts.detached) child.unref();

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitedP = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (spawnError || child.pid === undefined) {
    throw new MatrixError('E_REGISTRY', `cannot start ${bin}: ${spawnError?.message ?? 'no pid'}`);
  }
  const pid = child.pid;

  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([exitedP.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
    if (!killed) {
      child.kill('SIGKILL');
      await exitedP;
    }
  };

  const agent = new Agent({ ca: opts.tls.ca, cert: opts.tls.client.cert, key: opts.tls.client.key, keepAlive: false });
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);
  let lastProblem = 'no answer yet';
  try {
    for (;;) {
      if (exited) {
        throw new MatrixError(
          'E_REGISTRY',
          `registry exited (${exited.signal ?? `code ${exited.code}`}) before it was ready on ${opts.addr}\n${logTail(logFile)}`,
        );
      }
      if (Date.now() > deadline) {
        await stop();
        throw new MatrixError(
          'E_REGISTRY',
          `registry not ready on ${opts.addr} after ${opts.readyTimeoutMs ?? 20_000} ms (${lastProblem})\n${logTail(logFile)}`,
        );
      }
      try {
        const res = await sendRequest({ method: 'GET', url: `https://${probeAddr(opts.addr)}/v2/`, agent, timeoutMs: 2_000 });
        if (res.status === 200) break;
        lastProblem = `GET /v2/ answered ${res.status}`;
      } catch (e) {
        lastProblem = (e as Error).message;
        // A certificate the CA does not vouch for will never get better: fail now, clearly.
        if (/certificate|self.signed|altnames|CERT_|UNABLE_TO/i.test(lastProblem)) {
          await stop();
          throw new MatrixError('E_REGISTRY', `registry on ${opts.addr} presents a certificate the cluster CA rejects: ${lastProblem}`);
        }
      }
      await sleep(100);
    }
  } finally {
    agent.destroy();
  }
  return { pid, addr: opts.addr, configPath, logFile, stop };
}

/** A wildcard listen address is probed on loopback, which the registry cert always covers. */
export function probeAddr(addr: string): string {
  const m = /^(.*):(\d+)$/.exec(addr);
  if (!m) return addr;
  const host = m[1] ?? '';
  return ['', '0.0.0.0', '[::]', '::'].includes(host) ? `127.0.0.1:${m[2]}` : addr;
}

// distribution reads REGISTRY_* variables as config overrides; ours must be the whole truth.
function registryEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
}

function logTail(file: string, lines = 20): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return text ? `--- ${file} (tail) ---\n${text}` : `(${file} is empty)`;
  } catch {
    return `(no log at ${file})`;
  }
}
