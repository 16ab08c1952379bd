/** Starting and stopping the manager as a background process, tracked by its pid file. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MatrixError } from '../core/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { livePid, stopPid } from '../util/pidfile.ts';
import { readManagerConfig } from '../shared/manager-config.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function managerPid(p: HomePaths): number | null {
  return livePid(p.managerPid, 'manager');
}

async function healthy(api: string): Promise<boolean> {
  try {
    const r = await fetch(`http://${api}/v1/health`, { signal: AbortSignal.timeout(1000) });
    return r.ok;
  } catch {
    return false;
  }
}

/** Starts `matrix manager start --foreground` detached, logging to manager.log; waits until it answers. */
export async function startManagerInBackground(p: HomePaths, timeoutMs = 90_000): Promise<number> {
  const existing = managerPid(p);
  const api = readManagerConfig(p).api;
  if (existing !== null && (await healthy(api))) return existing;
  mkdirSync(dirname(p.managerLog), { recursive: true, mode: 0o700 });
  const out = openSync(p.managerLog, 'a', 0o600);
  const child = spawn(
    process.execPath,
    ['--import', `file://${join(ROOT, 'node_modules/tsx/dist/loader.mjs')}`, join(ROOT, 'src/cli/main.ts'), 'manager', 'start', '--foreground'],
    { detached: true, stdio: ['ignore', out, out], env: { ...process.env, MATRIX_HOME: p.root } },
  );
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await healthy(api)) return child.pid!;
    await new Promise((r) => setTimeout(r, 300));
  }
  const tail = existsSync(p.managerLog) ? readFileSync(p.managerLog, 'utf8').trim().split('\n').slice(-20).join('\n') : '';
  throw new MatrixError('E_MANAGER_UNREACHABLE', `the manager did not come up on ${api}; last log lines:\n${tail}`);
}

export async function stopManager(p: HomePaths, graceMs = 20_000): Promise<boolean> {
  return stopPid(p.managerPid, 'manager', graceMs);
}
