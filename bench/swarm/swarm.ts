/**
 * Docker Swarm in the lab, for bench/zero-downtime: form a 3-manager swarm on the lab's
 * engines, run the app the two ways that work here (dnsrr on an attachable overlay, loaded
 * from a client container on it; host-mode published ports behind a probing Varnish) and
 * measure requests failed while a node is switched off, while only a node's dockerd is
 * killed, and during a rolling update. Commands are built in swarm-commands.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { Varnish } from '../../src/manager/ingress/varnish.ts';
import type { Lab } from '../../src/manager/lab/lab.ts';
import { registryAddress } from '../../src/shared/lab-config.ts';
import { run, runOk } from '../../src/util/exec.ts';
import { HOME, lab as benchLab, percentile } from '../lab-bench.ts';
import { fixedRateLoad } from './load.ts';
import * as sc from './swarm-commands.ts';
import type { ClientAnswer, EngineTls, SwarmSystem } from './swarm-commands.ts';

export type { SwarmSystem } from './swarm-commands.ts';
/** Named as in bench/zero-downtime.ts, whose side-by-side table groups on these. */
export type SwarmScenario = 'node-poweroff' | 'dockerd-kill' | 'rolling-update';

export interface SwarmResult {
  system: SwarmSystem;
  scenario: SwarmScenario;
  sent: number;
  failed: number;
  p50ms: number;
  p99ms: number;
  /** Seconds from the event until 3 tasks run again (NaN: not within the wait, or impossible). */
  recoverS: number;
  note?: string;
}

export interface SwarmNode {
  name: string;
  address: string;
}

/** What the Swarm bench needs from a lab. */
export interface SwarmLab {
  nodes: SwarmNode[];
  enginePort: number;
  tls: EngineTls; // file paths of the cluster CA and the manager's client cert
  registry: string; // host:port
  workDir: string; // for the host-mode Varnish
  ingress: { listen: string; admin: string };
  powerOff(name: string): Promise<unknown>;
  powerOn(name: string): Promise<void>; // also restarts a killed engine
  killEngine(name: string): void; // SIGKILL the node's dockerd only
}

/** A SwarmLab over the lab driver's Lab (`home` holds pki/ and lab/, as MATRIX_HOME does). */
export function swarmLab(l: Lab, home: string, ingress = { listen: '127.0.0.1:6095', admin: '127.0.0.1:6096' }): SwarmLab {
  const s = l.state();
  if (!s) throw new Error(`no lab in ${home}`);
  return {
    nodes: s.nodes.map((n) => ({ name: n.name, address: n.address })),
    enginePort: s.config.enginePort,
    tls: {
      ca: join(home, 'pki', 'ca.pem'),
      cert: join(home, 'pki', 'clients', 'manager', 'cert.pem'),
      key: join(home, 'pki', 'clients', 'manager', 'key.pem'),
    },
    registry: registryAddress(s.config),
    workDir: join(home, 'swarm'),
    ingress,
    powerOff: (name) => l.powerOff(name),
    powerOn: (name) => l.powerOn(name),
    killEngine: (name) => process.kill(Number(readFileSync(join(home, 'lab', name, 'dockerd.pid'), 'utf8').trim()), 'SIGKILL'),
  };
}

export interface SwarmCluster {
  lab: SwarmLab;
  /** Swarm node id -> lab node name. */
  names: Map<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function dockerOn(l: SwarmLab, n: SwarmNode, args: string[], timeoutMs = 60_000): Promise<string> {
  return runOk(sc.docker(n.address, l.enginePort, l.tls, args), 'E_INTERNAL', { timeoutMs });
}

function engine(l: SwarmLab, n: SwarmNode): Docker {
  return new Docker({
    protocol: 'https',
    host: n.address,
    port: l.enginePort,
    timeout: 3000,
    ca: readFileSync(l.tls.ca),
    cert: readFileSync(l.tls.cert),
    key: readFileSync(l.tls.key),
  });
}

export async function waitUntil(ok: () => Promise<boolean>, timeoutMs: number, stepMs = 200): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await ok().catch(() => false)) return performance.now();
    if (performance.now() > deadline) return NaN;
    await sleep(stepMs);
  }
}

export interface FormOptions {
  dispatcherHeartbeat?: string;
  log?: (msg: string) => void;
}

/**
 * `swarm init` on the first node, the others join as managers (3 managers: a quorum of 2
 * survives one node down), then the attachable overlay the dnsrr service and its client use.
 */
export async function formSwarm(l: SwarmLab, o: FormOptions = {}): Promise<SwarmCluster> {
  const [leader, ...others] = l.nodes;
  if (!leader) throw new Error('no nodes');
  await dockerOn(l, leader, sc.swarmInit(leader.address, { dispatcherHeartbeat: o.dispatcherHeartbeat }));
  const token = (await dockerOn(l, leader, sc.joinToken('manager'))).trim();
  for (const n of others) await dockerOn(l, n, sc.swarmJoin(n.address, token, leader.address));
  await dockerOn(l, leader, sc.networkCreate());
  const names = new Map<string, string>();
  for (const n of l.nodes) {
    const info = (await engine(l, n).info()) as { Swarm: { NodeID: string } };
    names.set(info.Swarm.NodeID, n.name);
  }
  const c = { lab: l, names };
  await waitNodesReady(c, 60_000);
  o.log?.(`swarm formed: ${l.nodes.map((n) => n.name).join(', ')} (managers)`);
  return c;
}

/** Services, client containers, the overlay, the host-mode Varnish, then every node leaves (force). */
export async function leaveSwarm(l: SwarmLab): Promise<void> {
  new Varnish(join(l.workDir, 'varnish'), l.ingress.listen, l.ingress.admin).stop();
  const leader = l.nodes[0]!;
  await run(sc.docker(leader.address, l.enginePort, l.tls, sc.serviceRemove()), { timeoutMs: 20_000 });
  for (const n of l.nodes) await removeClients(l, n);
  await sleep(2000); // tasks leave the overlay before it can go
  await run(sc.docker(leader.address, l.enginePort, l.tls, sc.networkRemove()), { timeoutMs: 20_000 });
  for (const n of [...l.nodes].reverse()) await run(sc.docker(n.address, l.enginePort, l.tls, sc.swarmLeave()), { timeoutMs: 30_000 });
}

async function removeClients(l: SwarmLab, n: SwarmNode): Promise<void> {
  const list = await engine(l, n)
    .listContainers({ all: true, filters: { name: [sc.CLIENT_PREFIX] } })
    .catch(() => []);
  for (const x of list)
    await engine(l, n)
      .getContainer(x.Id)
      .remove({ force: true })
      .catch(() => undefined);
}

interface Task {
  node: string;
  state: string;
  desired: string;
  image: string;
  err: string;
}

async function tasks(c: SwarmCluster): Promise<Task[]> {
  const raw = (await engine(c.lab, c.lab.nodes[0]!).listTasks({ filters: { service: [sc.SERVICE] } })) as {
    NodeID?: string;
    DesiredState: string;
    Status: { State: string; Err?: string };
    Spec: { ContainerSpec: { Image: string } };
  }[];
  return raw.map((t) => ({
    node: c.names.get(t.NodeID ?? '') ?? '',
    state: t.Status.State,
    desired: t.DesiredState,
    image: t.Spec.ContainerSpec.Image,
    err: t.Status.Err ?? '',
  }));
}

async function waitNodesReady(c: SwarmCluster, timeoutMs: number): Promise<void> {
  const at = await waitUntil(
    async () => {
      const nodes = (await engine(c.lab, c.lab.nodes[0]!).listNodes()) as { Status: { State: string }; ManagerStatus?: { Reachability: string } }[];
      return nodes.length === c.lab.nodes.length && nodes.every((n) => n.Status.State === 'ready' && n.ManagerStatus?.Reachability === 'reachable');
    },
    timeoutMs,
    500,
  );
  if (Number.isNaN(at)) throw new Error('swarm nodes not all ready and reachable');
}

const image = (l: SwarmLab, app: string) => `${l.registry}/cloud/${app}:latest`;

/** A fresh service of 3 healthy tasks, one per node, and (host-mode) its ingress up. */
async function deploy(c: SwarmCluster, system: SwarmSystem): Promise<void> {
  const l = c.lab;
  const leader = l.nodes[0]!;
  await dockerOn(l, leader, sc.serviceCreate(system, { image: image(l, 'simplewebapp1') }));
  const at = await waitUntil(
    async () => {
      const up = (await tasks(c)).filter((t) => t.desired === 'running' && t.state === 'running');
      return up.length === 3 && new Set(up.map((t) => t.node)).size === 3;
    },
    120_000,
    500,
  );
  if (Number.isNaN(at)) throw new Error(`${system}: 3 running tasks on 3 nodes not reached: ${JSON.stringify(await tasks(c))}`);
  if (system === 'swarm-hostmode') {
    const v = new Varnish(join(l.workDir, 'varnish'), l.ingress.listen, l.ingress.admin);
    await v.start(sc.hostModeVcl(l.nodes.map((n) => ({ name: n.name, address: n.address, port: sc.HOST_PORT }))));
  }
}

/** Removes the service and waits until none of its containers is left on any node. */
async function undeploy(c: SwarmCluster): Promise<void> {
  const l = c.lab;
  await dockerOn(l, l.nodes[0]!, sc.serviceRemove());
  await waitUntil(
    async () => {
      for (const n of l.nodes) {
        const left = await engine(l, n).listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${sc.SERVICE}`] } });
        if (left.length) return false;
      }
      return true;
    },
    60_000,
    500,
  );
}

export interface ScenarioOptions {
  seconds?: number; // load duration (default 30)
  rate?: number; // requests per second (default 50)
  warmupS?: number; // load before the event (default 3)
  recoverTimeoutS?: number; // longest wait for 3 running tasks after the event (default 60)
  requestTimeoutS?: number; // per request (default 5)
  victim?: string; // default node2 (power-off) / node3 (dockerd kill)
  log?: (msg: string) => void;
}

interface Load {
  done: Promise<ClientAnswer[]>;
}

/** dnsrr: the busybox client in a container on the overlay, on `on`; the answers come from its log. */
async function startClientLoad(
  c: SwarmCluster,
  on: SwarmNode,
  name: string,
  o: Required<Pick<ScenarioOptions, 'seconds' | 'rate' | 'requestTimeoutS'>>,
): Promise<Load> {
  const l = c.lab;
  await removeClients(l, on);
  const opts = { target: sc.SERVICE, port: sc.APP_PORT, rate: o.rate, seconds: o.seconds, timeoutS: o.requestTimeoutS };
  const id = (await dockerOn(l, on, sc.clientRun(name, image(l, 'simplewebapp1'), opts))).trim();
  const done = (async () => {
    const ctr = engine(l, on).getContainer(id);
    await waitUntil(async () => !(await ctr.inspect()).State.Running, (o.seconds + o.requestTimeoutS + 60) * 1000, 500);
    const log = await dockerOn(l, on, ['logs', id]);
    await ctr.remove({ force: true }).catch(() => undefined);
    return sc.parseClientLog(log);
  })();
  return { done };
}

function summarize(system: SwarmSystem, scenario: SwarmScenario, xs: ClientAnswer[], recoverS: number, note?: string): SwarmResult {
  const ms = xs.map((x) => x.ms);
  return {
    system,
    scenario,
    sent: xs.length,
    failed: xs.filter((x) => !x.ok).length,
    p50ms: percentile(ms, 50),
    p99ms: percentile(ms, 99),
    recoverS,
    ...(note ? { note } : {}),
  };
}

/** One scenario for one system, on a fresh service: load, event, wait for 3 running tasks, settle. */
export async function runScenario(c: SwarmCluster, system: SwarmSystem, scenario: SwarmScenario, opts: ScenarioOptions = {}): Promise<SwarmResult> {
  const l = c.lab;
  const o = { seconds: 30, rate: 50, warmupS: 3, recoverTimeoutS: 60, requestTimeoutS: 5, ...opts };
  const victim = o.victim ?? (scenario === 'dockerd-kill' ? 'node3' : 'node2');
  // the client and every API call go to a node that stays up: the first one not the victim
  if (victim === l.nodes[0]!.name) throw new Error("the first node is the bench's control node: pick another victim");
  const log = o.log ?? (() => {});
  await deploy(c, system);
  const load =
    system === 'swarm-dnsrr'
      ? await startClientLoad(c, l.nodes[0]!, `${sc.CLIENT_PREFIX}-${scenario}`, o)
      : {
          done: fixedRateLoad({
            port: Number(l.ingress.listen.split(':').pop()),
            path: sc.HOST_MODE_PATH,
            rate: o.rate,
            seconds: o.seconds,
            timeoutMs: o.requestTimeoutS * 1000,
          }),
        };
  await sleep(o.warmupS * 1000);
  const t0 = performance.now();
  const newImage = image(l, 'simplewebapp2');
  let impossible = '';
  if (scenario === 'node-poweroff') await l.powerOff(victim);
  else if (scenario === 'dockerd-kill') l.killEngine(victim);
  else await dockerOn(l, l.nodes[0]!, sc.serviceUpdateImage(newImage, sc.defaultUpdateOrder(system)));
  log(`${system} ${scenario}: event at +${o.warmupS}s (${scenario === 'rolling-update' ? 'update to simplewebapp2' : victim})`);
  const at = await waitUntil(
    async () => {
      const ts = await tasks(c);
      if (scenario === 'rolling-update') {
        const up = ts.filter((t) => t.state === 'running');
        return up.length === 3 && up.every((t) => t.desired === 'running' && t.image === newImage);
      }
      // host-mode with a fixed published port: the replacement has no node whose port is free
      const stuck = ts.find((t) => t.desired === 'running' && t.state === 'pending' && /port/i.test(t.err));
      if (stuck) impossible = `replacement pending: ${stuck.err}`;
      return ts.filter((t) => t.desired === 'running' && t.state === 'running' && t.node !== victim).length === 3 || !!stuck;
    },
    o.recoverTimeoutS * 1000,
    100,
  );
  const recoverS = impossible ? NaN : (at - t0) / 1000;
  log(
    `${system} ${scenario}: ${impossible || (Number.isNaN(recoverS) ? `3 running tasks not back within ${o.recoverTimeoutS}s` : `3 running tasks after ${recoverS.toFixed(2)} s`)}`,
  );
  const answers = await load.done;
  const by = new Map<string, number>();
  for (const a of answers) if (a.container) by.set(a.container, (by.get(a.container) ?? 0) + 1);
  if (by.size) log(`${system} ${scenario}: answered by ${[...by].map(([k, v]) => `${k.slice(0, 12)} ${v}`).join(', ')}`);
  if (scenario !== 'rolling-update') {
    await l.powerOn(victim); // restarts the engine (and, after a power-off, the links)
    await waitNodesReady(c, 120_000);
  }
  await undeploy(c);
  const r = summarize(system, scenario, answers, recoverS, impossible || undefined);
  log(line(r));
  return r;
}

export function line(r: SwarmResult): string {
  const rec = Number.isNaN(r.recoverS) ? '-' : `${r.recoverS.toFixed(2)} s`;
  return `${r.scenario.padEnd(15)} ${r.system.padEnd(15)} sent ${String(r.sent).padStart(5)}  failed ${String(r.failed).padStart(5)}  p50 ${r.p50ms.toFixed(1).padStart(7)} ms  p99 ${r.p99ms.toFixed(1).padStart(7)} ms  capacity back ${rec}`;
}

export const SYSTEMS: SwarmSystem[] = ['swarm-dnsrr', 'swarm-hostmode'];
export const SCENARIOS: SwarmScenario[] = ['node-poweroff', 'dockerd-kill', 'rolling-update'];

/** Every system x scenario on an already formed swarm. */
export async function runAll(c: SwarmCluster, opts: ScenarioOptions = {}): Promise<SwarmResult[]> {
  const out: SwarmResult[] = [];
  for (const scenario of SCENARIOS) for (const system of SYSTEMS) out.push(await runScenario(c, system, scenario, opts));
  return out;
}

/**
 * The hook bench/zero-downtime.ts calls with its lab up (bench HOME): forms the swarm, runs
 * every scenario on both systems, and always leaves the swarm again.
 */
export async function runSwarmBench(o: { seconds: number; rate: number; log?: (msg: string) => void }): Promise<SwarmResult[]> {
  const l = swarmLab(await benchLab(), HOME);
  const log = o.log ?? ((m: string) => console.log(`  [swarm] ${m}`));
  try {
    const c = await formSwarm(l, { log });
    return await runAll(c, { seconds: o.seconds, rate: o.rate, log });
  } finally {
    await leaveSwarm(l);
  }
}
