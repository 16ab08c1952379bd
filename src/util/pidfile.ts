/**
 * Pid files for the daemons the manager starts (registry, varnishd). A manager killed with
 * -9 leaves them running; the next start, or `lab down`, ends exactly those processes: the
 * pid must still belong to the expected program, so a recycled pid is never killed.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export function writePid(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n`);
}

/** Whether `pid` is alive (not a zombie) and its command line contains `program`. */
export function isRunning(pid: number, program: string): boolean {
  try {
    // a zombie has an empty cmdline: it is dead, only not yet reaped
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(program);
  } catch {
    return false;
  }
}

/**
 * Pids of the live processes whose command ends with `program` and whose arguments include
 * `arg` (varnishd forks: its manager and child both carry its work dir), ascending.
 */
export function pidsRunning(program: string, arg: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith(program) && argv.includes(arg)) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return pids.sort((x, y) => x - y);
}

/** The pid in `file` if that process is alive and its command line contains `program`. */
export function livePid(file: string, program: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) return null;
    return isRunning(pid, program) ? pid : null;
  } catch {
    return null;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; removes the pid file. Returns whether one was running. */
export async function stopPid(file: string, program: string, graceMs = 5000): Promise<boolean> {
  const pid = livePid(file, program);
  if (pid === null) {
    rmSync(file, { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isRunning(pid, program)) await new Promise((r) => setTimeout(r, 100));
  if (isRunning(pid, program)) process.kill(pid, 'SIGKILL');
  rmSync(file, { force: true });
  return true;
}
