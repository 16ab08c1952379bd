import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRunning, livePid, pidsRunning, stopPid, writePid } from './pidfile.ts';

const dir = mkdtempSync(join(tmpdir(), 'mx-pid-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pid files', () => {
  it('finds processes by command and argument, and only those', async () => {
    const marker = `${dir}-marker`; // an argument no other process carries
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300_000)', marker], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    expect(pidsRunning('node', marker)).toEqual([child.pid]);
    expect(pidsRunning('varnishd', marker)).toEqual([]);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(pidsRunning('node', marker)).toEqual([]);
  });

  it('finds a live process only under its own program name, and stops it', async () => {
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    const file = join(dir, 'sleep.pid');
    writePid(file, child.pid!);
    expect(livePid(file, 'sleep')).toBe(child.pid);
    expect(livePid(file, 'varnishd')).toBeNull(); // a recycled pid is never taken for ours
    const exited = new Promise((r) => child.once('exit', r));
    expect(await stopPid(file, 'sleep', 2000)).toBe(true);
    await exited;
    expect(isRunning(child.pid!, 'sleep')).toBe(false);
    expect(existsSync(file)).toBe(false);
  });

  it('treats a missing or garbage pid file as not running', async () => {
    expect(livePid(join(dir, 'none.pid'), 'x')).toBeNull();
    const bad = join(dir, 'bad.pid');
    writeFileSync(bad, 'hello');
    expect(livePid(bad, 'x')).toBeNull();
    expect(await stopPid(bad, 'x')).toBe(false);
  });
});
