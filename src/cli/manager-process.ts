/** Starting and stopping the manager as a background process, tracked by its pid file. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MatrixError } from '../core/errors.ts';
import { DNS_PID_FILE, DNS_ZONE_FILE, VARNISH_PID_FILE, type HomePaths } from '../shared/home.ts';
import { isRunning, livePid, stopPid } from '../util/pidfile.ts';
import { apiUrl, readManagerConfig } from '../shared/manager-config.ts';
import { ApiClient } from './api-client.ts';
import { matrixBin } from '../shared/matrix-bin.ts';

export function managerPid(p: HomePaths): number | null {
  return livePid(p.managerPid, 'manager');
}

/** The manager of this home answers (over HTTPS with the cluster CA when it serves it). */
async function healthy(p: HomePaths): Promise<boolean> {
  try {
    await ApiClient.fromEnv(p, {}).health(1000);
    return true;
  } catch {
    return false;
  }
}

const varnishPidFile = (p: HomePaths) => join(p.varnishDir, VARNISH_PID_FILE);

/** The ingress's varnishd, which outlives a stopped manager. */
export function ingressPid(p: HomePaths): number | null {
  return livePid(varnishPidFile(p), 'varnishd');
}

export function supervisorPid(p: HomePaths): number | null {
  return livePid(p.supervisorPid, 'supervise');
}

/**
 * Starts the manager under its supervisor (`matrix manager supervise`, detached, logging to
 * manager.log) unless a supervisor runs already; waits until the API answers.
 */
export async function startManagerInBackground(p: HomePaths, timeoutMs = 90_000): Promise<number> {
  const api = apiUrl(readManagerConfig(p));
  let supervisor = supervisorPid(p);
  const ours = supervisor === null;
  mkdirSync(dirname(p.managerLog), { recursive: true, mode: 0o700 });
  const logStart = existsSync(p.managerLog) ? statSync(p.managerLog).size : 0;
  if (supervisor === null) {
    const out = openSync(p.managerLog, 'a', 0o600);
    const child = spawn(process.execPath, [matrixBin(), 'manager', 'supervise'], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, MATRIX_HOME: p.root },
    });
    child.unref();
    supervisor = child.pid!;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && isRunning(supervisor, 'supervise')) {
    if (await healthy(p)) return managerPid(p) ?? supervisor;
    // a manager that dies at every start will not come up by waiting: three tries are enough
    if (exitsSince(p.managerLog, logStart) >= 3) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  const tail = existsSync(p.managerLog) ? readFileSync(p.managerLog, 'utf8').trim().split('\n').slice(-20).join('\n') : '';
  // a failed start leaves nothing behind that keeps trying
  if (ours) await stopPid(p.supervisorPid, 'supervise');
  throw new MatrixError('E_MANAGER_UNREACHABLE', `the manager did not come up on ${api}; last log lines:\n${tail}`);
}

/** How many times the supervisor has seen the manager exit since `offset` of the log. */
function exitsSince(log: string, offset: number): number {
  try {
    return (
      readFileSync(log, 'utf8')
        .slice(offset)
        .match(/"svc":"supervisor".*"msg":"manager exited/g) ?? []
    ).length;
  } catch {
    return 0;
  }
}

/**
 * Stops the supervisor (which stops its manager), then any manager left without one. Varnish
 * and the DNS server serve on unless `withIngress`: the next manager adopts them.
 */
export async function stopManager(p: HomePaths, o: { withIngress?: boolean; graceMs?: number } = {}): Promise<boolean> {
  const graceMs = o.graceMs ?? 20_000;
  const supervised = await stopPid(p.supervisorPid, 'supervise', graceMs);
  const alone = await stopPid(p.managerPid, 'manager', graceMs);
  if (o.withIngress) {
    await stopPid(varnishPidFile(p), 'varnishd');
    await stopPid(join(p.dns, DNS_PID_FILE), join(p.dns, DNS_ZONE_FILE));
  }
  return supervised || alone;
}

/**
 * The manager's pid, if a stopped manager of this home is started again by something: its
 * supervisor (`matrix manager start`) or systemd (`matrix manager install`). A manager run
 * in the foreground is not.
 */
export function assertManagerRestartable(p: HomePaths): number {
  const pid = managerPid(p);
  if (pid === null) throw new MatrixError('E_MANAGER_UNREACHABLE', 'the manager is not running: start it with `matrix manager start`');
  if (supervisorPid(p) !== null || underSystemd(pid)) return pid;
  throw new MatrixError(
    'E_MANAGER_UNREACHABLE',
    'the manager runs without a supervisor (in the foreground?), so nothing would start it again: run it with `matrix manager start` or under systemd (`matrix manager install`)',
  );
}

function underSystemd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes('cloudmatrix-manager.service');
  } catch {
    return false;
  }
}

/**
 * Restarts the manager so that it reads the cluster certificates again: it is stopped, its
 * supervisor starts it again, and this waits until the new one answers. Varnish serves on,
 * the replicas run on: only the API and the registry are away for a few seconds.
 */
export async function restartManager(p: HomePaths, timeoutMs = 90_000): Promise<number> {
  const old = assertManagerRestartable(p);
  process.kill(old, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const now = managerPid(p);
    if (now !== null && now !== old && (await healthy(p))) return now;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new MatrixError('E_MANAGER_UNREACHABLE', `the manager did not answer again within ${timeoutMs / 1000} s of its restart; see ${p.managerLog}`);
}
