/**
 * `matrix node ...` (one node) and `matrix nodes` (the list): list, inspect, labels, and the
 * stock docker CLI pointed at a node's engine over mutual TLS (`env`, `config`, `ip`), as
 * docker-machine does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { MatrixError } from '../../core/errors.ts';
import type { NodeView } from '../../shared/api-types.ts';
import { homePaths } from '../../shared/home.ts';
import { ApiClient } from '../api-client.ts';
import { dockerConfigFlags, dockerEnv, ENV_SHELLS, envScript, type EnvShell } from '../docker-env.ts';
import { printIngressBanner } from '../ingress-status.ts';
import { table } from '../output.ts';

/** The client certificate the stock docker CLI presents: its own, beside the manager's, from the same CA. */
const DOCKER_CLIENT = 'docker';

export function nodeCommands(program: Command): void {
  const nodes = program.command('nodes').description('the cluster nodes (`matrix node` for one)');
  nodes.command('ls', { isDefault: true }).description('list the nodes: health, capacity, labels').action(listNodes);
  nodes.command('label <node> <key=value...>').description('set labels on a node (used by constraints such as zone==a); `key=` removes one').action(labelNode);

  const node = program.command('node').description('one node: inspect, labels, and the docker CLI pointed at its engine (env, config, ip)');
  node.command('ls').description('list the nodes (as `matrix nodes`)').action(listNodes);
  node
    .command('inspect <node>')
    .description("the node as the manager sees it, as JSON, with the docker CLI's settings for it")
    .action(async (name: string) => {
      const n = await findNode(name);
      console.log(JSON.stringify({ ...n, docker: Object.fromEntries(dockerEnv(n, await dockerCertDir())) }, null, 2));
    });
  node.command('label <node> <key=value...>').description('set labels on a node (used by constraints such as zone==a); `key=` removes one').action(labelNode);
  node
    .command('env <node>')
    .description('print the shell commands that point the docker CLI at the node: eval "$(matrix node env node1)"; docker ps')
    .option('--shell <shell>', `the shell to print for (${ENV_SHELLS.join(', ')}); default from $SHELL`)
    .option('-u, --unset', 'print the commands that undo it', false)
    .action(async (name: string, o: { shell?: string; unset: boolean }) => {
      const shell = shellOf(o.shell);
      const self = `matrix node env${shell === 'fish' ? ' --shell fish' : ''}${o.unset ? ' --unset' : ''} ${name}`;
      // --unset needs no node: it only clears the variables
      const n = o.unset ? { name, address: '', enginePort: 0 } : await findNode(name);
      process.stdout.write(envScript(n, o.unset ? '' : await dockerCertDir(), { shell, unset: o.unset, self }));
    });
  node
    .command('config <node>')
    .description("print the docker CLI's flags for the node, for one command: docker $(matrix node config node1) ps")
    .action(async (name: string) => {
      console.log(dockerConfigFlags(await findNode(name), await dockerCertDir()).join('\n'));
    });
  node
    .command('ip <node>')
    .description("print the node's address")
    .action(async (name: string) => {
      console.log((await findNode(name)).address);
    });
}

async function listNodes(): Promise<void> {
  const api = ApiClient.fromEnv();
  await printIngressBanner(api);
  const list = await api.nodes();
  console.log(
    table(
      ['NODE', 'ENGINE', 'STATE', 'CPUS', 'MEMORY', 'LABELS'],
      list.map((n) => [
        n.name,
        `${n.address}:${n.enginePort}`,
        n.state,
        n.capacity?.cpus ?? '-',
        n.capacity ? `${n.capacity.memoryMb}M` : '-',
        Object.entries(n.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',') || '-',
      ]),
    ),
  );
}

async function labelNode(node: string, pairs: string[]): Promise<void> {
  const api = ApiClient.fromEnv();
  const current = await findNode(node, api);
  const labels: Record<string, string> = { ...current.apiLabels };
  for (const pair of pairs) {
    const m = /^([^=\s]+)=(\S*)$/.exec(pair);
    if (!m) throw new MatrixError('E_BAD_REQUEST', `expected key=value, got "${pair}"`, { path: pair });
    if (m[2] === '') delete labels[m[1]!];
    else labels[m[1]!] = m[2]!;
  }
  await api.putNode(node, { address: current.address, enginePort: current.enginePort, labels });
  console.log(
    `${node}: ${
      Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || '(no labels)'
    }`,
  );
}

async function findNode(name: string, api = ApiClient.fromEnv()): Promise<NodeView> {
  const all = await api.nodes();
  const n = all.find((x) => x.name === name);
  if (!n) throw new MatrixError('E_NOT_FOUND', `no node named ${name} (nodes: ${all.map((x) => x.name).join(', ') || '(none)'})`, { path: 'node' });
  return n;
}

function shellOf(given: string | undefined): EnvShell {
  if (given === undefined) return (process.env.SHELL ?? '').endsWith('/fish') ? 'fish' : 'sh';
  if (!(ENV_SHELLS as readonly string[]).includes(given))
    throw new MatrixError('E_BAD_REQUEST', `--shell must be one of ${ENV_SHELLS.join(', ')}, got "${given}"`, { path: 'shell' });
  return given as EnvShell;
}

/**
 * The docker CLI's certificate directory, in the layout DOCKER_CERT_PATH expects (ca.pem,
 * cert.pem, key.pem): the client certificate is issued once by the cluster CA; ca.pem is
 * copied anew each time, so it follows the CA. Needs the manager's home (the CA's key).
 */
async function dockerCertDir(): Promise<string> {
  const { Pki } = await import('../../manager/pki/pki.ts'); // lazily: node-forge is slow to load
  const pki = new Pki(homePaths().pki);
  let ca: Buffer;
  try {
    ca = readFileSync(pki.caPaths().cert);
  } catch {
    throw new MatrixError('E_PKI', `no cluster CA in ${pki.dir}: run this on the manager's host, with the manager's MATRIX_HOME`);
  }
  const dir = dirname((await pki.ensureClientCert(DOCKER_CLIENT)).cert);
  writeFileSync(join(dir, 'ca.pem'), ca, { mode: 0o644 });
  return dir;
}
