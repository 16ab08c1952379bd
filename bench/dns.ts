/**
 * bench/dns: the `.matrix` DNS in a real 3-node lab.
 *
 * 1. Queries/s and p99 from inside a container (its network namespace, through the engine's
 *    own resolver at 127.0.0.11 as apps use it), side by side in one run with the same load:
 *    (a) `web.matrix` (the engine's resolver forwards it to cloudmatrix's server),
 *    (b) the same name asked of cloudmatrix's server directly,
 *    (c) a container's own name on the network, answered by Docker's embedded DNS alone
 *        (Docker's built-in discovery: the baseline).
 * 2. Seconds from a replica's death to its removal from the answers, for a replica whose
 *    health check fails (its container paused) and for a node switched off, asked of the
 *    server every 20 ms.
 *
 *   npx tsx bench/dns.ts [--seconds 5] [--concurrency 8] [--rounds 3]      # as root
 */
import { execFile, execFileSync } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dockerCliCommand } from '../src/manager/lab/lab-commands.ts';
import { Pki } from '../src/manager/pki/pki.ts';
import { deploySpec, HOME, lab, labDown, labUp, median, ROOT, waitFor } from './lab-bench.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '8' }, rounds: { type: 'string', default: '3' } },
});
const SUBNET = '10.214.0';
const SERVER = `${SUBNET}.1`;

function docker(node: number, args: string[]): string {
  const pki = new Pki(join(HOME, 'pki'));
  const [cmd, ...argv] = dockerCliCommand(`${SUBNET}.${10 + node}:2376`, { ca: pki.caPaths().cert, ...pki.clientPaths('manager') }, args);
  return execFileSync(cmd!, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

async function ask(name: string): Promise<string[]> {
  const r = new Resolver({ timeout: 500, tries: 1 });
  r.setServers([SERVER]);
  return r.resolve4(name).catch(() => []);
}

interface Load {
  answered: number;
  failed: number;
  qps: number;
  p50_ms: number;
  p99_ms: number;
}

/** dns-load.ts inside the network namespace of process `pid` (a container's). */
function loadFrom(pid: number, server: string, name: string): Promise<Load> {
  const argv = ['--net=/proc/' + pid + '/ns/net', 'npx', 'tsx', join(ROOT, 'bench', 'dns-load.ts')];
  argv.push('--server', server, '--name', name, '--seconds', values.seconds!, '--concurrency', values.concurrency!);
  return new Promise((res, rej) =>
    execFile('nsenter', argv, { cwd: ROOT, timeout: 120_000 }, (err, out) => (err ? rej(err) : res(JSON.parse(out.trim().split('\n').at(-1)!) as Load))),
  );
}

async function main(): Promise<void> {
  console.log(`bench/dns: 3-node lab; load ${values.concurrency} queries in flight for ${values.seconds} s from inside a container on node1`);
  await labUp(3);
  const l = await lab();
  try {
    await deploySpec(
      'apps:\n  web:\n    image: cloud/simplewebapp1\n    replicas: 2\n    port: 8080\n    constraints: [ "node!=node1" ]\n' +
        '  client:\n    image: cloud/simplewebapp2\n    replicas: 1\n    port: 8080\n    constraints: [ "node==node1" ]\n',
    );
    await waitFor(
      () => ask('web.matrix'),
      (a) => a.length === 2,
    );
    await waitFor(
      async () => docker(1, ['ps', '-q', '--filter', 'label=matrix.app=client']),
      (id) => id.length > 0,
    );
    const client = docker(1, ['ps', '-q', '--filter', 'label=matrix.app=client']).split('\n')[0]!;
    const pid = Number(docker(1, ['inspect', '-f', '{{.State.Pid}}', client]));
    const clientName = docker(1, ['inspect', '-f', '{{.Name}}', client]).replace(/^\//, '');

    const viaEngine = await loadFrom(pid, '127.0.0.11', 'web.matrix');
    const direct = await loadFrom(pid, SERVER, 'web.matrix');
    const dockerOwn = await loadFrom(pid, '127.0.0.11', clientName);
    const line = (what: string, x: Load) =>
      `${what.padEnd(58)} ${String(x.qps).padStart(6)} q/s  p50 ${x.p50_ms.toFixed(2)} ms  p99 ${x.p99_ms.toFixed(2)} ms  failed ${x.failed}`;
    console.log(line('web.matrix via the engine resolver (what apps do)', viaEngine));
    console.log(line('web.matrix asked of the cloudmatrix server directly', direct));
    console.log(line("a container name, Docker's embedded DNS alone (baseline)", dockerOwn));
    console.log(
      `ratios: .matrix through the engine / Docker's own names: ${(viaEngine.qps / dockerOwn.qps).toFixed(2)}x q/s, ${(viaEngine.p99_ms / dockerOwn.p99_ms).toFixed(2)}x p99`,
    );

    // 2. death -> out of the answers
    const rounds = Number(values.rounds);
    const paused: number[] = [];
    const poweredOff: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const node = 2 + (i % 2);
      const before = await ask('web.matrix');
      const victim = before.find((a) => a.startsWith(`10.220.${node}.`))!;
      const id = docker(node, ['ps', '-q', '--filter', 'label=matrix.app=web']).split('\n')[0]!;
      const t0 = performance.now();
      docker(node, ['pause', id]);
      const gone = await waitFor(
        () => ask('web.matrix'),
        (a) => !a.includes(victim),
        60_000,
        20,
      );
      paused.push((gone.at - t0) / 1000);
      // the manager may have replaced the unhealthy container meanwhile: then there is nothing to unpause
      try {
        docker(node, ['unpause', id]);
      } catch {
        // replaced
      }
      await waitFor(
        () => ask('web.matrix'),
        (a) => a.length === 2,
        120_000,
        100,
      );
    }
    for (let i = 0; i < rounds; i++) {
      const node = 2 + (i % 2);
      const victim = (await ask('web.matrix')).find((a) => a.startsWith(`10.220.${node}.`))!;
      const t0 = performance.now();
      await l.powerOff(`node${node}`);
      const gone = await waitFor(
        () => ask('web.matrix'),
        (a) => !a.includes(victim),
        60_000,
        20,
      );
      poweredOff.push((gone.at - t0) / 1000);
      await l.powerOn(`node${node}`);
      await waitFor(
        async () => (await ask('web.matrix')).filter((a) => !a.startsWith('10.220.1.')),
        (a) => a.some((x) => x.startsWith(`10.220.${node}.`)) && a.length === 2,
        180_000,
        200,
      );
    }
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
    console.log(`health check failing (container paused) -> out of web.matrix: ${fmt(paused)} s (median ${median(paused).toFixed(2)})`);
    console.log(`node switched off -> out of web.matrix: ${fmt(poweredOff)} s (median ${median(poweredOff).toFixed(2)})`);
    console.log(
      JSON.stringify({
        bench: 'dns',
        concurrency: Number(values.concurrency),
        seconds: Number(values.seconds),
        matrix_via_engine: viaEngine,
        matrix_direct: direct,
        docker_embedded: dockerOwn,
        qps_ratio_vs_docker: +(viaEngine.qps / dockerOwn.qps).toFixed(3),
        p99_ratio_vs_docker: +(viaEngine.p99_ms / dockerOwn.p99_ms).toFixed(3),
        unhealthy_out_s: +median(paused).toFixed(3),
        node_off_out_s: +median(poweredOff).toFixed(3),
      }),
    );
  } finally {
    await labDown();
  }
}

main().catch(async (e) => {
  console.error(e);
  await labDown();
  process.exitCode = 1;
});
