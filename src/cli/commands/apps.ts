/** Commands that talk to the manager API: images, deploy, ps, nodes. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { MatrixError } from '../../core/errors.ts';
import type { NodeStatus, Resources } from '../../core/model.ts';

type NodeView = NodeStatus & { labels: Record<string, string>; apiLabels: Record<string, string>; capacity: Resources | null };
import type { ReplicaRow } from '../../core/replica-status.ts';
import type { DeployResult } from '../../manager/controllers/deployer.ts';
import { ApiClient } from '../api-client.ts';
import { table } from '../output.ts';

export function appCommands(program: Command): void {
  const images = program.command('images').description('images in the cluster registry');
  images
    .command('sample')
    .description("build the seed's sample apps (simplewebapp1, simplewebapp2) offline and push them to the cluster registry")
    .action(async () => {
      console.log('building and pushing the sample images...');
      const r = await ApiClient.fromEnv().request<{ images: string[] }>('POST', '/v1/images/sample');
      for (const i of r.images) console.log(`pushed ${i}`);
    });

  program
    .command('deploy <file>')
    .description('deploy a matrix.yaml, a compose file, or a seed plan file (`app node extport intport` per line)')
    .option('--dry-run', 'validate and print the actions without doing anything', false)
    .option('--detach', 'return at once instead of following a rolling update to its end', false)
    .action(async (plan: string, o: { dryRun: boolean; detach: boolean }) => {
      console.log(o.dryRun ? `checking ${plan} (dry run)` : `deploying ${plan}`);
      let source: string;
      try {
        source = readFileSync(plan, 'utf8');
      } catch (e) {
        throw new MatrixError('E_BAD_REQUEST', `cannot read ${plan}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path: plan });
      }
      const r = await ApiClient.fromEnv().request<DeployResult>('POST', '/v1/deploy', { file: basename(plan), source, dryRun: o.dryRun });
      const verb = r.dryRun ? 'would' : 'did';
      if (!r.actions.length) console.log(`nothing to do: ${r.replicas} replicas already as planned`);
      else for (const a of r.actions) console.log(`${verb}: ${a}`);
      printOutcome(r);
      if (!r.dryRun) console.log(`deployed generation ${r.generation} (${r.replicas} replicas placed)`);
      if (r.failed.length) process.exitCode = 1;
      if (!r.dryRun && !o.detach) await followRollout(ApiClient.fromEnv());
    });

  program
    .command('scale <app=replicas...>')
    .description('set the number of replicas of apps, e.g. `matrix scale web=5 api=2`')
    .option('--dry-run', 'print what would change without doing it', false)
    .action(async (pairs: string[], o: { dryRun: boolean }) => {
      const api = ApiClient.fromEnv();
      for (const pair of pairs) {
        const m = /^([a-z][a-z0-9-]*)=(\d+)$/.exec(pair);
        if (!m) throw new MatrixError('E_BAD_REQUEST', `expected <app>=<replicas>, got "${pair}"`, { path: pair });
        const r = await api.request<DeployResult>('POST', `/v1/apps/${m[1]}/scale`, { replicas: Number(m[2]), dryRun: o.dryRun });
        console.log(`${m[1]} scaled to ${m[2]}${o.dryRun ? ' (dry run)' : ''}`);
        for (const a of r.actions) console.log(`${o.dryRun ? 'would' : 'did'}: ${a}`);
        printOutcome(r);
        if (r.failed.length) process.exitCode = 1;
      }
    });

  program
    .command('apps')
    .description('list apps: desired and running replicas')
    .action(async () => {
      const r = await ApiClient.fromEnv().request<{ apps: { name: string; image: string; desired: number; running: number; unplaced: number; pinned: boolean }[] }>('GET', '/v1/apps');
      console.log(table(['APP', 'IMAGE', 'RUNNING', 'UNPLACED', 'PLACEMENT'], r.apps.map((a) => [a.name, a.image, `${a.running}/${a.desired}`, a.unplaced, a.pinned ? 'pinned (plan)' : 'scheduled'])));
    });

  const app = program.command('app').description('one app');
  app
    .command('history <name>')
    .description("an app's revisions, newest first (scaling is not a revision)")
    .action(async (name: string) => {
      const r = await ApiClient.fromEnv().request<{ history: { revision: string; failed: boolean; generation: number; createdAt: string; image: string; replicas: number }[] }>('GET', `/v1/apps/${encodeURIComponent(name)}/history`);
      const note = (h: { failed: boolean }, i: number) => [i === 0 ? 'current' : '', h.failed ? 'failed, rolled back' : ''].filter(Boolean).join(', ');
      console.log(table(['REVISION', 'GENERATION', 'DEPLOYED', 'IMAGE', 'REPLICAS', 'NOTE'], r.history.map((h, i) => [h.revision, h.generation, h.createdAt, h.image, h.replicas, note(h, i) || '-'])));
    });

  program
    .command('rollback <app>')
    .description('return an app to its previous revision (rolling, health-gated, like a deploy)')
    .action(async (name: string) => {
      const r = await ApiClient.fromEnv().request<DeployResult & { from: string; to: string }>('POST', `/v1/apps/${encodeURIComponent(name)}/rollback`);
      console.log(`rolling ${name} back: ${r.from} -> ${r.to} (generation ${r.generation})`);
      for (const a of r.actions) console.log(`did: ${a}`);
      printOutcome(r);
    });
  app
    .command('inspect <name>')
    .description("an app's spec, replicas, and why replicas could not be placed")
    .action(async (name: string) => {
      const r = await ApiClient.fromEnv().request<{
        app: Record<string, unknown>;
        replicas: ReplicaRow[];
        unplaced: { slot: number; message: string }[];
        blocked: { id: string; node: string; reason: string }[];
        rollbacks: { reason: string; fromImage: string; toImage: string; at: string }[];
      }>('GET', `/v1/apps/${encodeURIComponent(name)}`);
      console.log(JSON.stringify(r.app, null, 2));
      console.log();
      console.log(table(['REPLICA', 'NODE', 'ADDRESS', 'STATE'], r.replicas.map((x) => [x.id, x.node, x.address, x.state])));
      for (const u of r.unplaced) console.log(`unplaced: ${name}.${u.slot}: ${u.message}`);
      for (const b of r.blocked) console.log(`blocked: ${b.id} on ${b.node}: ${b.reason}`);
      for (const b of r.rollbacks) console.log(`rolled back at ${b.at}: ${b.fromImage} -> ${b.toImage}: ${b.reason}`);
    });

  program
    .command('ps')
    .description('list replicas: app, node, address, state')
    .action(async () => {
      const r = await ApiClient.fromEnv().request<{ replicas: ReplicaRow[]; desired: number; unplaced: { app: string; slot: number; message: string }[] }>('GET', '/v1/replicas');
      const rows = r.replicas.map((x) => [x.app, x.node, x.address, x.desired ? x.state : `${x.state} (not in plan)`, x.containerId?.slice(0, 12) ?? '-', x.revision]);
      console.log(table(['APP', 'NODE', 'ADDRESS', 'STATE', 'CONTAINER', 'REVISION'], rows));
      console.log(`\n${r.replicas.filter((x) => x.state === 'running' && x.desired).length} running, ${r.desired + r.unplaced.length} desired`);
      for (const u of r.unplaced) console.log(`unplaced: ${u.app}.${u.slot}: ${u.message}`);
    });

  const nodes = program.command('nodes').description('the cluster nodes');
  nodes
    .command('ls', { isDefault: true })
    .description('list the nodes: health, capacity, labels')
    .action(async () => {
      const r = await ApiClient.fromEnv().request<{ nodes: NodeView[] }>('GET', '/v1/nodes');
      console.log(
        table(
          ['NODE', 'ENGINE', 'STATE', 'CPUS', 'MEMORY', 'LABELS'],
          r.nodes.map((n) => [n.name, `${n.address}:${n.enginePort}`, n.state, n.capacity?.cpus ?? '-', n.capacity ? `${n.capacity.memoryMb}M` : '-',
            Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-']),
        ),
      );
    });
  nodes
    .command('label <node> <key=value...>')
    .description('set labels on a node (used by constraints such as zone==a); `key=` removes one')
    .action(async (node: string, pairs: string[]) => {
      const api = ApiClient.fromEnv();
      const current = (await api.request<{ nodes: NodeView[] }>('GET', '/v1/nodes')).nodes.find((n) => n.name === node);
      if (!current) throw new MatrixError('E_NOT_FOUND', `no node named ${node}`);
      const labels: Record<string, string> = { ...current.apiLabels };
      for (const pair of pairs) {
        const m = /^([^=\s]+)=(\S*)$/.exec(pair);
        if (!m) throw new MatrixError('E_BAD_REQUEST', `expected key=value, got "${pair}"`, { path: pair });
        if (m[2] === '') delete labels[m[1]!];
        else labels[m[1]!] = m[2]!;
      }
      await api.request('PUT', `/v1/nodes/${encodeURIComponent(node)}`, { address: current.address, enginePort: current.enginePort, labels });
      console.log(`${node}: ${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ') || '(no labels)'}`);
    });
}

function printOutcome(r: DeployResult): void {
  for (const w of r.warnings) console.log(`warning: ${w.path}: ${w.message}`);
  for (const u of r.unplaced) console.log(`unplaced: ${u.app}.${u.slot}: ${u.message}`);
  // a rollout's waits are its progress, printed while it is followed: show only real blocks, once per replica
  const shown = new Set<string>();
  for (const b of r.blocked) {
    if (/^(rolling update|draining)/.test(b.reason) || shown.has(b.id)) continue;
    shown.add(b.id);
    console.log(`blocked: ${b.id} on ${b.node}: ${b.reason}`);
  }
  for (const f of r.failed) console.error(`failed: ${f.action}: ${f.error}`);
}

interface AppSummary { name: string; desired: number; running: number; updating: boolean; rollbacks: number }

/** Prints a rolling update's progress until no app is updating; a rollback makes it exit non-zero. */
async function followRollout(api: ApiClient, timeoutMs = 600_000): Promise<void> {
  const list = async () => (await api.request<{ apps: AppSummary[] }>('GET', '/v1/apps')).apps;
  const rollbacksBefore = new Map((await list()).map((a) => [a.name, a.rollbacks]));
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let sawUpdate = false;
  while (Date.now() < deadline) {
    const apps = await list();
    const rolledBack = apps.find((a) => a.rollbacks > (rollbacksBefore.get(a.name) ?? 0));
    if (rolledBack) {
      console.error(`error[E_DEPLOY_FAILED]: the update of ${rolledBack.name} failed its health checks and was rolled back (see \`matrix app inspect ${rolledBack.name}\`)`);
      process.exitCode = 1;
      return;
    }
    const busy = apps.filter((a) => a.updating);
    if (!busy.length) {
      if (sawUpdate) console.log('rollout complete');
      return;
    }
    sawUpdate = true;
    const line = busy.map((a) => `${a.name} ${a.running}/${a.desired} on the new revision`).join(', ');
    if (line !== last) console.log(`rolling update: ${line}`);
    last = line;
    await new Promise((r) => setTimeout(r, 500));
  }
  console.error('warning: still updating; follow with `matrix apps`');
}
