/**
 * bench/deploy-latency: from the command to the first 200, for one new replica whose image is
 * already on the node. In one 3-node lab, alternating rounds of
 *   bare:   `docker run -d --init -p 8080` on node1's engine (the same image, through the same
 *           TLS engine port the manager uses), then GET straight at node1:<port> until 200;
 *   matrix: `matrix deploy` of a 1-replica app `lat`, then GET through the ingress until 200;
 * and, for context, the bare run on the cluster network (`--network matrix`, as replicas are
 * started): what joining that network costs a start, which the bare run does not pay.
 * Each removed again before the next round. Prints each round, the medians and their ratio.
 *
 *   npx tsx bench/deploy-latency.ts [--rounds 5]      # as root
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dockerCliCommand } from '../src/manager/lab/lab-commands.ts';
import { Pki } from '../src/manager/pki/pki.ts';
import { deploySpec, get, HOME, labDown, labUp, matrix, median, waitFor } from './lab-bench.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const ROUNDS = Number(values.rounds);
const NODE1 = '10.214.0.11';

function docker(args: string[]): Promise<string> {
  const pki = new Pki(join(HOME, 'pki'));
  const [cmd, ...argv] = dockerCliCommand(`${NODE1}:2376`, { ca: pki.caPaths().cert, ...pki.clientPaths('manager') }, args);
  return new Promise((res, rej) =>
    execFile(cmd!, argv, { timeout: 120_000 }, (err, stdout, stderr) =>
      err ? rej(new Error(`docker ${args.join(' ')}: ${stderr || err.message}`)) : res(stdout.trim()),
    ),
  );
}

/** One GET straight at a node port; status 0 when nothing answers yet. */
function getDirect(port: number): Promise<number> {
  return new Promise((res) => {
    const req = http.get({ host: NODE1, port, path: '/', timeout: 1000, agent: false }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => res(0));
  });
}

async function bareRound(image: string, network: string[] = []): Promise<number> {
  const t0 = performance.now();
  const id = await docker(['run', '-d', '--init', ...network, '-p', '8080', image]);
  const port = Number((await docker(['port', id, '8080'])).split('\n')[0]!.split(':').pop());
  const { at } = await waitFor(
    () => getDirect(port),
    (s) => s === 200,
    60_000,
    10,
  );
  await docker(['rm', '-f', id]);
  return (at - t0) / 1000;
}

async function matrixRound(file: string): Promise<number> {
  const t0 = performance.now();
  // settled either way, so a failed wait below is the error reported, not this promise
  const deploy = matrix(['deploy', file]).then(
    () => null,
    (e: unknown) => e,
  );
  const { at } = await waitFor(
    () => get('/lat/', 1000),
    (a) => a.status === 200,
    60_000,
    10,
  );
  const err = await deploy;
  if (err) throw err;
  await matrix(['rm', 'lat']);
  await waitFor(
    () => get('/lat/', 1000),
    (a) => a.status === 404,
    60_000,
    50,
  );
  return (at - t0) / 1000;
}

await labUp(3);
try {
  // every node has the image: the first round of either kind pulls nothing
  await deploySpec('apps:\n  warm:\n    image: cloud/simplewebapp1\n    replicas: 3\n    port: 8080\n');
  const image = (await docker(['ps', '--filter', 'label=matrix.app=warm', '--format', '{{.Image}}'])).split('\n')[0]!;
  mkdirSync(HOME, { recursive: true });
  const file = join(HOME, 'lat.yaml');
  writeFileSync(file, 'apps:\n  lat:\n    image: cloud/simplewebapp1\n    replicas: 1\n    port: 8080\n');
  const bare: number[] = [];
  const bareNet: number[] = [];
  const mx: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    bare.push(await bareRound(image));
    bareNet.push(await bareRound(image, ['--network', 'matrix']));
    mx.push(await matrixRound(file));
    console.log(
      `round ${i + 1}: bare docker run -> 200 ${bare.at(-1)!.toFixed(2)} s (on the cluster network ${bareNet.at(-1)!.toFixed(2)} s) | matrix deploy -> 200 through the ingress ${mx.at(-1)!.toFixed(2)} s`,
    );
  }
  const ratio = median(mx) / median(bare);
  console.log(
    `\nmedian: bare docker run ${median(bare).toFixed(2)} s (on the cluster network ${median(bareNet).toFixed(2)} s), matrix deploy ${median(mx).toFixed(2)} s, ratio ${ratio.toFixed(2)} (${(median(mx) / median(bareNet)).toFixed(2)} against the run on the cluster network)`,
  );
  console.log(
    JSON.stringify({
      bench: 'deploy-latency',
      rounds: ROUNDS,
      bareS: bare.map((s) => Number(s.toFixed(3))),
      bareClusterNetworkS: bareNet.map((s) => Number(s.toFixed(3))),
      matrixS: mx.map((s) => Number(s.toFixed(3))),
      bareMedianS: Number(median(bare).toFixed(3)),
      matrixMedianS: Number(median(mx).toFixed(3)),
      ratio: Number(ratio.toFixed(2)),
      ratioClusterNetwork: Number((median(mx) / median(bareNet)).toFixed(2)),
    }),
  );
} finally {
  await labDown();
}
