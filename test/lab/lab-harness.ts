/**
 * Shared by the end-to-end tests: runs the real `matrix` CLI against a lab of its own (own
 * MATRIX_HOME, namespace prefix, bridge and subnet) so it never touches a demo lab, and
 * always takes the lab down afterwards.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import http from 'node:http';
import type { ReplicaRow } from '../../src/core/replica-status.ts';
import { pidsRunning } from '../../src/util/pidfile.ts';
import { dockerCliCommand } from '../../src/manager/lab/lab-commands.ts';
import { Pki } from '../../src/manager/pki/pki.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const MATRIX = join(ROOT, 'bin', 'matrix');

export interface LabEnv {
  home: string;
  prefix: string;
  bridge: string;
  subnet: string;
  ingressPort: number;
  apiPort: number;
}

/** Lab homes live in the repo (git-ignored) so `.ci/run` can take down a lab a crashed run left. */
export const TEST_LABS = join(ROOT, '.test-labs');

export function newLabEnv(name: string, subnetThird: number, ingressPort = 6081): LabEnv {
  return {
    home: join(TEST_LABS, name),
    prefix: 'mxe-',
    bridge: 'mxe0',
    subnet: `10.${subnetThird}.0`,
    ingressPort,
    apiPort: 17070,
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function matrix(env: LabEnv, args: string[], timeoutMs = 240_000): Promise<CliResult> {
  return new Promise((res) => {
    execFile(MATRIX, args, { env: { ...process.env, MATRIX_HOME: env.home }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      res({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export async function matrixOk(env: LabEnv, args: string[]): Promise<string> {
  const r = await matrix(env, args);
  if (r.code !== 0) throw new Error(`matrix ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `api`: where the manager API listens (default loopback); `apiTls`: over HTTPS. */
export function labUpArgs(env: LabEnv, nodes: number, o: { api?: string; apiTls?: boolean } = {}): string[] {
  return [
    'lab',
    'up',
    '--nodes',
    String(nodes),
    '--prefix',
    env.prefix,
    '--bridge',
    env.bridge,
    '--subnet',
    env.subnet,
    '--ingress',
    `:${env.ingressPort}`,
    '--api',
    o.api ?? `127.0.0.1:${env.apiPort}`,
    ...(o.apiTls ? ['--api-tls'] : []),
  ];
}

export async function labDown(env: LabEnv): Promise<void> {
  await matrix(env, ['lab', 'down']);
  rmSync(env.home, { recursive: true, force: true });
}

export interface HttpAnswer {
  status: number;
  body: string;
  headers?: http.IncomingHttpHeaders;
}

/** One GET to the ingress on loopback; never throws (a failure is status 0). */
export function get(port: number, path: string, timeoutMs = 10_000, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((res) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: timeoutMs, agent: false, headers }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (body += c));
      r.on('end', () => res({ status: r.statusCode ?? 0, body, headers: r.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => res({ status: 0, body: String(e) }));
  });
}

/** What a steady stream of GETs through the ingress got: every answer that was not a 200, and the pages' apps. */
export interface LoadResult {
  sent: number;
  failed: { at: number; status: number; body: string }[];
  /** `app=` of each page answered (the sample image an answer came from). */
  apps: Map<string, number>;
  /** Per request, in order: the `app=` and `container=` its page named (empty when it failed). */
  answers: { app: string; container: string }[];
}

/** GETs `path` one after another (each waits for the last) until `stop()`; never throws. */
export function steadyLoad(port: number, path: string, timeoutMs = 5000): { stop: () => Promise<LoadResult>; now: () => LoadResult } {
  const result: LoadResult = { sent: 0, failed: [], apps: new Map(), answers: [] };
  let stopped = false;
  const run = (async () => {
    while (!stopped) {
      const r = await get(port, path, timeoutMs);
      result.sent++;
      if (r.status !== 200) result.failed.push({ at: Date.now(), status: r.status, body: r.body.slice(0, 200) });
      const app = /app=([a-z0-9-]+)/.exec(r.body)?.[1] ?? '';
      if (app) result.apps.set(app, (result.apps.get(app) ?? 0) + 1);
      result.answers.push({ app, container: /container=([0-9a-f]+)/.exec(r.body)?.[1] ?? '' });
      await new Promise((res) => setTimeout(res, 10));
    }
  })();
  return {
    now: () => result,
    stop: async () => {
      stopped = true;
      await run;
      return result;
    },
  };
}

/** Runs `command` while GETs of `path` go through the ingress one after another; the statuses they got. */
export async function whileLoaded<T>(env: LabEnv, path: string, command: () => Promise<T>): Promise<{ out: T; answers: number[] }> {
  let stop = false;
  const answers: number[] = [];
  const load = (async () => {
    while (!stop) answers.push((await get(env.ingressPort, path)).status);
  })();
  try {
    return { out: await command(), answers };
  } finally {
    stop = true;
    await load;
  }
}

/** Reads `node=<name>` from a sample app page. */
export function nodeOf(body: string): string | null {
  return /node=([a-z0-9-]+)/.exec(body)?.[1] ?? null;
}

/** Retries until `ok` or `attempts` run out; returns the last value. Counts attempts, not time. */
export async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, attempts = 60, pauseMs = 500): Promise<T> {
  let v = await f();
  for (let i = 1; i < attempts && !ok(v); i++) {
    await new Promise((r) => setTimeout(r, pauseMs));
    v = await f();
  }
  return v;
}

/** The last `n` lines of the manager's log, for a failure message. */
export function managerLogTail(env: LabEnv, n = 40): string {
  try {
    return readFileSync(join(env.home, 'manager.log'), 'utf8').trim().split('\n').slice(-n).join('\n');
  } catch {
    return '(no manager log)';
  }
}

export function readToken(env: LabEnv): string {
  return readFileSync(join(env.home, 'token'), 'utf8').trim();
}

/** The pids of this lab's varnishd (its manager process and child), found by work dir. */
export function varnishdsOf(env: LabEnv): number[] {
  return pidsRunning('varnishd', join(env.home, 'varnish'));
}

/** One app's rows of `GET /v1/replicas`, as `matrix ps` shows them. */
export async function replicasOf(env: LabEnv, app: string): Promise<ReplicaRow[]> {
  // a fresh connection each time, bounded (get: agent false): a pooled keep-alive socket the
  // server has closed meanwhile could leave fetch waiting 300 s for an answer that never comes
  const r = await get(env.apiPort, '/v1/replicas', 30_000, { authorization: `Bearer ${readToken(env)}` });
  if (r.status !== 200) throw new Error(`GET /v1/replicas answered ${r.status}: ${r.body.slice(0, 300)}\n${managerLogTail(env, 60)}`);
  return (JSON.parse(r.body) as { replicas: ReplicaRow[] }).replicas.filter((x) => x.app === app);
}

/** The docker CLI against lab node `node` (1-based), with the manager's client certificate; never throws. */
export function dockerOn(env: LabEnv, node: number, args: string[]): Promise<{ code: number; out: string }> {
  const pki = new Pki(join(env.home, 'pki'));
  const [cmd, ...argv] = dockerCliCommand(`${env.subnet}.${10 + node}:2376`, { ca: pki.caPaths().cert, ...pki.clientPaths('manager') }, args);
  return new Promise((res) => {
    execFile(cmd!, argv, { timeout: 120_000 }, (err, stdout, stderr) => res({ code: err ? 1 : 0, out: `${stdout}${stderr}` }));
  });
}

/** curl from inside a network namespace (`/var/run/netns/<name>` or `/proc/<pid>/ns/net`): the HTTP code, or `refused (<curl exit>)`. */
export function curlIn(netns: string, args: string[]): string {
  try {
    return execFileSync('nsenter', [`--net=${netns}`, 'curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    return `refused (${String((e as { status?: number }).status)})`;
  }
}
