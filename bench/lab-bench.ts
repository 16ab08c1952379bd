/**
 * Shared by the lab benchmarks: a lab of their own (prefix mxb-, subnet 10.214.0.0/24,
 * ingress :6091, API :17071) so they never collide with a demo or the tests, driven through
 * the real CLI and API; power switching is done in-process so timestamps are exact.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { Lab } from '../src/manager/lab/lab.ts';
import { labPki } from '../src/manager/lab/lab-pki.ts';

export const ROOT = resolve(import.meta.dirname, '..');
export const HOME = join(ROOT, '.test-labs', 'bench');
export const INGRESS = 6091;
export const API = 17071;

export function matrix(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    execFile(join(ROOT, 'bin/matrix'), args, { env: { ...process.env, MATRIX_HOME: HOME }, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`matrix ${args.join(' ')}: ${stderr || err.message}`));
      else res(stdout);
    });
  });
}

export async function labUp(nodes: number): Promise<void> {
  // bin/matrix runs the compiled dist/: measure the sources as they are now
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  await matrix(['lab', 'down']).catch(() => undefined);
  await matrix([
    'lab',
    'up',
    '--nodes',
    String(nodes),
    '--prefix',
    'mxb-',
    '--bridge',
    'mxb0',
    '--subnet',
    '10.214.0',
    '--ingress',
    `:${INGRESS}`,
    '--ingress-admin',
    '127.0.0.1:6092',
    '--api',
    `127.0.0.1:${API}`,
  ]);
  await matrix(['images', 'sample']);
}

export async function labDown(): Promise<void> {
  // the manager's log outlives the lab, for a look at what happened during the run
  if (existsSync(join(HOME, 'manager.log'))) copyFileSync(join(HOME, 'manager.log'), join(ROOT, '.test-labs', 'bench-manager.log'));
  await matrix(['lab', 'down']).catch(() => undefined);
  rmSync(HOME, { recursive: true, force: true });
}

export async function deploySpec(yaml: string): Promise<void> {
  mkdirSync(HOME, { recursive: true });
  const f = join(HOME, 'bench.yaml');
  writeFileSync(f, yaml);
  await matrix(['deploy', f]);
}

export async function lab(): Promise<Lab> {
  return new Lab(join(HOME, 'lab'), await labPki(join(HOME, 'pki')));
}

export async function api<T>(path: string): Promise<T> {
  const token = readFileSync(join(HOME, 'token'), 'utf8').trim();
  const r = await fetch(`http://127.0.0.1:${API}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  return (await r.json()) as T;
}

export interface Answer {
  status: number;
  ms: number;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function get(path: string, timeoutMs = 5000): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((res) => {
    const req = http.get({ host: '127.0.0.1', port: INGRESS, path, timeout: timeoutMs, agent }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (body += c));
      r.on('end', () => res({ status: r.statusCode ?? 0, ms: performance.now() - t0, body }));
      // a response cut mid-body (the connection closed before its end) is a failed request
      r.on('error', () => res({ status: 0, ms: performance.now() - t0, body }));
      r.on('close', () => {
        if (!r.complete) res({ status: 0, ms: performance.now() - t0, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => res({ status: 0, ms: performance.now() - t0, body: '' }));
  });
}

/** A fixed-rate load: one request every `intervalMs`, independent of answer times. */
export function load(path: string, ratePerS: number): { stop: () => Promise<Answer[]> } {
  const answers: Promise<Answer>[] = [];
  const timer = setInterval(() => answers.push(get(path)), 1000 / ratePerS);
  return {
    stop: async () => {
      clearInterval(timer);
      return Promise.all(answers);
    },
  };
}

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export function median(xs: number[]): number {
  return percentile(xs, 50);
}

export async function waitFor<T>(f: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 120_000, stepMs = 50): Promise<{ value: T; at: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined as T);
    if (v !== undefined && ok(v)) return { value: v, at: performance.now() };
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export interface WrkResult {
  /** Requests completed (answered, whatever the status). */
  requests: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  /** Non-2xx/3xx answers plus socket errors (connect, read, write, timeout). */
  errors: number;
  /** Requests that never completed: socket errors alone. */
  socketErrors: number;
}

/** Pure: the figures of wrk's `--latency` report. */
export function parseWrk(out: string): WrkResult {
  const ms = (v: string, unit: string) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit]!;
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
    if (!m) throw new Error(`no ${p}% latency in wrk output:\n${out}`);
    return ms(m[1]!, m[2]!);
  };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rps) throw new Error(`no Requests/sec in wrk output:\n${out}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? [1, 2, 3, 4].reduce((s, i) => s + Number(sock[i]), 0) : 0;
  const errors = Number(non2xx?.[1] ?? 0) + socketErrors;
  const requests = /(\d+) requests in /.exec(out);
  if (!requests) throw new Error(`no request count in wrk output:\n${out}`);
  return { requests: Number(requests[1]), rps: Number(rps[1]), p50ms: pct('50'), p99ms: pct('99'), errors, socketErrors };
}
