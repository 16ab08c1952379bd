/**
 * Keeps the manager running: `matrix manager start` runs this supervisor in the background,
 * and it runs the manager (`manager start --foreground`) as its child. A manager that dies
 * for any reason but a stop is started again after a backoff that doubles from 0.25 s to
 * 10 s, and resets once a manager has stayed up for 30 s. Every exit and restart is a line
 * in manager.log. On SIGTERM/SIGINT the supervisor stops the manager and exits.
 * On hosts with systemd, `matrix manager install` gives the same behaviour with a unit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, rmSync, writeFileSync } from 'node:fs';
import type { HomePaths } from '../shared/home.ts';
import { backoffMs, type Backoff } from '../util/backoff.ts';

export interface RestartPolicy extends Backoff {
  /** A run at least this long resets the backoff. */
  stableMs: number;
}

export const RESTART: RestartPolicy = { initialMs: 250, maxMs: 10_000, stableMs: 30_000 };

/** Pure: how many exits in a row count toward the backoff, after one that ran `ranMs`. */
export function failuresAfter(failures: number, ranMs: number, p: RestartPolicy = RESTART): number {
  return ranMs >= p.stableMs ? 1 : failures + 1;
}

/**
 * How the manager process runs, measured with bench/footprint (3 lab nodes, idle):
 * - a 1 MiB young generation (Node's default is 16 MiB) and V8's optimize-for-size: the
 *   manager's allocations are small and short-lived, so scavenges stay cheap;
 * - glibc malloc with two arenas and a fixed mmap threshold: buffers of an image import or a
 *   push are returned to the system when freed, instead of staying in a grown heap (the
 *   threshold otherwise rises to the largest buffer freed, and later ones land in the heap).
 */
export const MANAGER_NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size'];
export const MANAGER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };

/** The supervised command: this CLI, run by the same node with the same loader, the manager's V8 flags and malloc settings. */
export function managerCommand(cliMain: string): { cmd: string; args: string[]; env: Record<string, string> } {
  return {
    cmd: process.execPath,
    args: [...process.execArgv, ...MANAGER_NODE_FLAGS, cliMain, 'manager', 'start', '--foreground'],
    env: { ...MANAGER_ENV },
  };
}

export async function supervise(p: HomePaths, cliMain: string): Promise<void> {
  writeFileSync(p.supervisorPid, `${process.pid}\n`, { mode: 0o600 });
  const log = (msg: string, extra: Record<string, unknown> = {}) =>
    process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), svc: 'supervisor', pid: process.pid, ...extra, msg }) + '\n');
  let child: ChildProcess | null = null;
  let stopping = false;
  let failures = 0;
  const stop = () => {
    stopping = true;
    child?.kill('SIGTERM');
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const { cmd, args, env } = managerCommand(cliMain);
  const out = openSync(p.managerLog, 'a', 0o600);
  while (!stopping) {
    const started = Date.now();
    child = spawn(cmd, args, { stdio: ['ignore', out, out], env: { ...env, ...process.env } });
    log('manager started', { manager: child.pid });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => child!.once('exit', (c, s) => res([c, s])));
    if (stopping) break;
    failures = failuresAfter(failures, Date.now() - started);
    const backoff = backoffMs(failures, RESTART);
    log(`manager exited (${signal ?? `code ${code}`}); restarting in ${backoff / 1000}s`, { code, signal, restartInMs: backoff });
    await new Promise((r) => setTimeout(r, backoff));
  }
  log('supervisor stopped');
  rmSync(p.supervisorPid, { force: true });
}

/**
 * A systemd unit that runs the manager in the foreground and restarts it, for hosts with
 * systemd. The manager supervises Varnish and the registry itself, under systemd as in the lab.
 */
export function systemdUnit(o: { matrixBin: string; home: string }): string {
  // node runs the CLI itself: the V8 flags are not all accepted in NODE_OPTIONS
  const { cmd, args, env } = managerCommand(o.matrixBin);
  return [
    '[Unit]',
    'Description=cloudmatrix manager (API, control loop, registry, ingress)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    `Environment=MATRIX_HOME=${o.home}`,
    ...Object.entries(env).map(([k, v]) => `Environment=${k}=${v}`),
    `ExecStart=${[cmd, ...args].join(' ')}`,
    'Restart=always',
    'RestartSec=1',
    // a dead manager's Varnish keeps serving until the new manager adopts it (as under
    // `matrix manager start`); on `systemctl stop` the manager stops Varnish and the registry itself
    'KillMode=process',
    'UMask=0077',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
