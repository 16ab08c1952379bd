/**
 * Docker Swarm for bench/zero-downtime, as data: every docker CLI invocation, the load
 * client's shell script and the host-mode ingress VCL are built here (pure), and
 * bench/swarm/swarm.ts runs them.
 *
 * Facts of this machine that shape them: no IPVS, so Swarm's routing mesh (ingress ports,
 * VIP endpoint mode) cannot work; what works is `--endpoint-mode dnsrr` on an attachable
 * overlay (clients on the overlay resolve the service name to the tasks' addresses) and
 * `--publish mode=host` (each task's port on its node's address, balanced by something else:
 * here a Varnish). `--no-resolve-image`: the CLI does not ask a registry for a digest.
 */

import { renderVcl } from '../../src/core/ingress/vcl.ts';

export type Argv = string[];

export interface EngineTls {
  ca: string; // file paths
  cert: string;
  key: string;
}

export const SERVICE = 'mxs-web';
export const NETWORK = 'mxs-net';
export const CLIENT_PREFIX = 'mxs-client';
export const APP_PORT = 8080;
/** The published host port of the host-mode service, on each node's own address. */
export const HOST_PORT = 18080;

/** `docker` against one node's engine over mutual TLS. */
export function docker(address: string, enginePort: number, tls: EngineTls, args: Argv): Argv {
  return ['docker', '--tlsverify', '--tlscacert', tls.ca, '--tlscert', tls.cert, '--tlskey', tls.key, '-H', `tcp://${address}:${enginePort}`, ...args];
}

export interface InitOptions {
  /** `--dispatcher-heartbeat` (Swarm's default 5s). */
  dispatcherHeartbeat?: string;
}

export function swarmInit(address: string, o: InitOptions = {}): Argv {
  return [
    'swarm',
    'init',
    '--advertise-addr',
    address,
    '--listen-addr',
    `${address}:2377`,
    ...(o.dispatcherHeartbeat ? ['--dispatcher-heartbeat', o.dispatcherHeartbeat] : []),
  ];
}

export function joinToken(role: 'manager' | 'worker'): Argv {
  return ['swarm', 'join-token', '-q', role];
}

export function swarmJoin(address: string, token: string, leader: string): Argv {
  return ['swarm', 'join', '--token', token, '--advertise-addr', address, '--listen-addr', `${address}:2377`, `${leader}:2377`];
}

export function swarmLeave(): Argv {
  return ['swarm', 'leave', '--force'];
}

export function networkCreate(name = NETWORK): Argv {
  return ['network', 'create', '--driver', 'overlay', '--attachable', name];
}

export type SwarmSystem = 'swarm-dnsrr' | 'swarm-hostmode';

export interface ServiceOptions {
  image: string;
  replicas?: number;
  /** start-first where it can work; host-mode with a fixed published port needs stop-first. */
  updateOrder?: 'start-first' | 'stop-first';
}

/**
 * The same app as cloudmatrix's: 3 replicas, health `/` every 1s (a task counts as running,
 * and a dnsrr task is put into DNS, only once healthy), the engine's init (busybox httpd as
 * PID 1 ignores SIGTERM), updates one at a time with 1s between.
 */
export function serviceCreate(system: SwarmSystem, o: ServiceOptions, name = SERVICE): Argv {
  const endpoint =
    system === 'swarm-dnsrr'
      ? ['--network', NETWORK, '--endpoint-mode', 'dnsrr']
      : ['--publish', `mode=host,target=${APP_PORT},published=${HOST_PORT},protocol=tcp`];
  return [
    'service',
    'create',
    '--name',
    name,
    '--detach',
    '--no-resolve-image',
    '--replicas',
    String(o.replicas ?? 3),
    ...endpoint,
    '--init',
    '--health-cmd',
    `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 ${APP_PORT} | grep -q ' 200 '`,
    '--health-interval',
    '1s',
    '--health-timeout',
    '1s',
    '--health-retries',
    '1',
    '--update-parallelism',
    '1',
    '--update-delay',
    '1s',
    '--update-order',
    o.updateOrder ?? defaultUpdateOrder(system),
    '--stop-grace-period',
    '2s',
    o.image,
  ];
}

export function defaultUpdateOrder(system: SwarmSystem): 'start-first' | 'stop-first' {
  // start-first cannot place the new task: every node's published port is taken by the old one
  return system === 'swarm-dnsrr' ? 'start-first' : 'stop-first';
}

export function serviceUpdateImage(image: string, order: 'start-first' | 'stop-first', name = SERVICE): Argv {
  return [
    'service',
    'update',
    '--detach',
    '--no-resolve-image',
    '--image',
    image,
    '--update-parallelism',
    '1',
    '--update-delay',
    '1s',
    '--update-order',
    order,
    name,
  ];
}

export function serviceRemove(name = SERVICE): Argv {
  return ['service', 'rm', name];
}

export function networkRemove(name = NETWORK): Argv {
  return ['network', 'rm', name];
}

export interface ClientOptions {
  target: string; // the service name, resolved by the engine's DNS on the overlay
  port: number;
  rate: number; // requests per second
  seconds: number;
  timeoutS: number; // per request, connect + answer
}

/**
 * The load client run inside a container on the overlay (busybox only: `wget` segfaults in
 * containers, so `nc`). A fixed rate: request i is started at start + i/rate whatever the
 * answers do, each in its own background subshell. Every request writes `S <i>` when it
 * starts and `E <i> <status line> container=<task's hostname>` (or `ERR`) when it ends; `ts` stamps the lines (microseconds)
 * so latency is E - S. The clock is /proc/uptime (read without a fork, 10 ms resolution),
 * enough to pace the requests.
 */
export function clientScript(o: ClientOptions): string {
  const stepUs = Math.round(1_000_000 / o.rate);
  return [
    `T=${o.target}; P=${o.port}; TO=${o.timeoutS}`,
    'read u _ < /proc/uptime; now=$(( ${u%.*}${u#*.} * 10000 ))',
    `next=$now; end=$(( now + ${Math.round(o.seconds * 1_000_000)} )); i=0`,
    '{',
    '  while :; do',
    '    read u _ < /proc/uptime; now=$(( ${u%.*}${u#*.} * 10000 ))',
    '    [ $now -ge $end ] && break',
    '    if [ $now -ge $next ]; then',
    `      i=$((i + 1)); next=$((next + ${stepUs}))`,
    `      ( echo "S $i"; r=$(printf 'GET / HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n' "$T" | busybox timeout $TO nc $T $P 2>/dev/null | busybox grep -E '^(HTTP|container=)' | busybox tr -d '\\r' | busybox tr '\\n' ' '); echo "E $i \${r:-ERR}" ) &`,
    '    else',
    '      busybox usleep $((next - now))',
    '    fi',
    '  done',
    '  wait',
    "} | busybox ts '%.s'",
    '',
  ].join('\n');
}

export function clientRun(name: string, image: string, o: ClientOptions): Argv {
  return ['run', '--detach', '--name', name, '--network', NETWORK, '--log-driver', 'json-file', '--entrypoint', '/bin/sh', image, '-c', clientScript(o)];
}

export interface ClientAnswer {
  ok: boolean;
  ms: number;
  /** The answering container's hostname, when known. */
  container?: string;
}

/**
 * Pure: the client's log (`<epoch.micro> S <i>` / `<epoch.micro> E <i> <status>`) to one
 * answer per request sent. A request without an end line (cut off) counts as failed with
 * the time to the last line.
 */
export function parseClientLog(log: string): ClientAnswer[] {
  const starts = new Map<number, number>();
  const ends = new Map<number, { t: number; status: string }>();
  let last = 0;
  for (const line of log.split('\n')) {
    const m = /^(\d+\.\d+) ([SE]) (\d+)(?: (.*))?$/.exec(line.trim());
    if (!m) continue;
    const t = Number(m[1]) * 1000;
    last = Math.max(last, t);
    if (m[2] === 'S') starts.set(Number(m[3]), t);
    else ends.set(Number(m[3]), { t, status: m[4] ?? '' });
  }
  return [...starts].map(([i, t]) => {
    const e = ends.get(i);
    if (!e) return { ok: false, ms: last - t };
    const container = /container=(\S+)/.exec(e.status)?.[1];
    return { ok: /^HTTP\/\S+ 2\d\d\b/.test(e.status), ms: e.t - t, ...(container ? { container } : {}) };
  });
}

export interface VclBackend {
  name: string;
  address: string;
  port: number;
}

/** The path the host-mode ingress serves the app at, as cloudmatrix's ingress does. */
export const HOST_MODE_PATH = `/${SERVICE}/`;

/**
 * The host-mode ingress: the very VCL cloudmatrix's ingress renders (same probes, connect and
 * first-byte timeouts, retries on the next replica, `Connection: close` to backends) over the
 * nodes' published ports, so the comparison is of the orchestrators, not of two ingress setups.
 */
export function hostModeVcl(backends: VclBackend[]): string {
  return renderVcl(backends.map((b) => ({ app: SERVICE, node: b.name, address: b.address, port: b.port })));
}
