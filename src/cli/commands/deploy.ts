/** Commands that change desired state: deploy, scale, rm, rollback, projects. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { MatrixError } from '../../core/errors.ts';
import { isRolloutWait } from '../../core/reconcile/reconcile.ts';
import type { ChangeResult } from '../../shared/api-types.ts';
import { ApiClient } from '../api-client.ts';
import { listCommand, table } from '../output.ts';
import { ingressTrouble } from '../ingress-status.ts';
import { Progress } from '../progress.ts';

export function deployCommands(program: Command): void {
  program
    .command('deploy <file>')
    .description('deploy a matrix.yaml, a compose file, or a seed plan file (`app node extport intport` per line) as one project')
    .option('--project <name>', "the project, when the file has no `name:` key (default: the file's base name)")
    .option('--prune', "remove the project's apps that are not in the file", false)
    .option('--dry-run', 'validate and print what would change, without changing anything', false)
    .option('--detach', 'return at once instead of following a rolling update to its end', false)
    .addHelpText(
      'after',
      `
Every deploy belongs to a project: the file's \`name:\` key, else --project, else the file's
base name (applications.plan -> applications). Deploying a project never changes another
project's apps; apps of the same project missing from the file keep running unless --prune.`,
    )
    .action(async (file: string, o: { project?: string; prune: boolean; dryRun: boolean; detach: boolean }) => {
      let source: string;
      try {
        source = readFileSync(file, 'utf8');
      } catch (e) {
        throw new MatrixError('E_BAD_REQUEST', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path: file });
      }
      const api = ApiClient.fromEnv();
      console.log(o.dryRun ? `checking ${file} (dry run)` : `deploying ${file}`);
      // the answer comes once the manager has pulled the images and started the first replicas
      const waiting = new Progress();
      if (!o.dryRun && process.stdout.isTTY) waiting.update('the nodes pull the images and start the replicas');
      const r = await api
        .deploy({
          file: basename(file),
          source,
          dryRun: o.dryRun,
          prune: o.prune,
          ...(o.project !== undefined ? { project: o.project } : {}),
        })
        .finally(() => waiting.done());
      console.log(`project ${r.project}`);
      printChange(r);
      if (!r.dryRun) console.log(`deployed generation ${r.generation} (${r.replicas} replicas of project ${r.project} placed)`);
      if (!r.dryRun && !o.detach) await followRollout(api, new Set([...r.added, ...r.changed, ...r.unchanged]));
    });

  program
    .command('scale <app=replicas...>')
    .description('set the number of replicas of apps, e.g. `matrix scale web=5 api=2`')
    .option('--dry-run', 'print what would change without doing it', false)
    .action(async (pairs: string[], o: { dryRun: boolean }) => {
      const wanted = pairs.map((pair) => {
        const m = /^([a-z][a-z0-9-]*)=(\d+)$/.exec(pair);
        if (!m) throw new MatrixError('E_BAD_REQUEST', `expected <app>=<replicas>, got "${pair}"`, { path: pair });
        return { app: m[1]!, replicas: Number(m[2]) };
      });
      const api = ApiClient.fromEnv();
      for (const w of wanted) {
        const r = await api.scale(w.app, w.replicas, o.dryRun);
        console.log(`${w.app} scaled to ${w.replicas}${o.dryRun ? ' (dry run)' : ''}`);
        printChange(r);
      }
    });

  program
    .command('rm <app...>')
    .description('remove apps (every name must exist, or nothing is removed); their replicas drain, then stop')
    .option('--dry-run', 'print what would change without doing it', false)
    .action(async (apps: string[], o: { dryRun: boolean }) => {
      const r = await ApiClient.fromEnv().removeApps(apps, o.dryRun);
      printChange(r);
      console.log(`${o.dryRun ? 'would remove' : 'removed'}: ${r.removed.join(', ')}`);
    });

  program
    .command('rollback <app>')
    .description('return an app to its previous revision (rolling, health-gated, like a deploy)')
    .action(async (name: string) => {
      const r = await ApiClient.fromEnv().rollback(name);
      console.log(`rolling ${name} back: ${r.from} -> ${r.to} (generation ${r.generation})`);
      printChange(r);
    });

  listCommand(
    program.command('projects').description('list projects: the deployed files and their apps'),
    (api) => api.projects(),
    (projects) =>
      console.log(
        table(
          ['PROJECT', 'APPS', 'FILE', 'UPDATED'],
          projects.map((p) => [p.name, p.apps.join(',') || '-', p.file ?? '-', p.updatedAt ?? '-']),
        ),
      ),
  );

  const project = program.command('project').description('one project');
  project
    .command('rm <name>')
    .description('remove a project and every app it owns')
    .option('--dry-run', 'print what would change without doing it', false)
    .action(async (name: string, o: { dryRun: boolean }) => {
      const r = await ApiClient.fromEnv().removeProject(name, o.dryRun);
      printChange(r);
      console.log(`${o.dryRun ? 'would remove' : 'removed'} project ${name}${r.removed.length ? ` and its apps: ${r.removed.join(', ')}` : ''}`);
    });
}

/** What a change did (or would do), its warnings and problems; failures set the exit code. */
export function printChange(r: ChangeResult): void {
  const verb = r.dryRun ? 'would' : 'did';
  for (const w of r.warnings) console.log(`warning: ${w.path}: ${w.message}`);
  if (!r.actions.length) console.log(r.dryRun ? 'nothing to do: already as planned' : `nothing to do: ${r.replicas} replicas already as planned`);
  for (const a of r.actions) console.log(`${verb}: ${a}`);
  for (const k of r.kept) console.log(`kept: ${k} (not in file; --prune removes it)`);
  for (const u of r.unplaced) console.log(`unplaced: ${u.app}.${u.slot}: ${u.message}`);
  // a rollout's waits are its progress, printed while it is followed: show only real blocks, once per replica
  const shown = new Set<string>();
  for (const b of r.blocked) {
    if (isRolloutWait(b.kind) || shown.has(b.id)) continue;
    shown.add(b.id);
    console.log(`blocked: ${b.id} on ${b.node}: ${b.reason}`);
  }
  // a dry run shows the whole rolling update, not only its first batch
  if (r.dryRun) {
    for (const b of r.blocked) {
      if (b.kind !== 'rollout-batch' || shown.has(b.id)) continue;
      shown.add(b.id);
      console.log(`would then: replace ${b.id} on ${b.node}, in a later batch of the rolling update`);
    }
  }
  for (const f of r.failed) console.error(`failed: ${f.action}: ${f.error}`);
  if (r.pending) console.log('the control loop is still working on this change; follow it with `matrix apps` and `matrix status`');
  if (r.failed.length) process.exitCode = 1;
}

/**
 * Prints a rolling update's progress until no app is updating and every app of the deploy
 * that has placed replicas answers through the ingress. A rollback, or an app that never
 * gets a healthy replica, makes it exit non-zero.
 */
async function followRollout(api: ApiClient, deployed: Set<string>, timeoutMs = 600_000, answerTimeoutMs = 120_000): Promise<void> {
  const rollbacksBefore = new Map((await api.apps()).map((a) => [a.name, a.rollbacks]));
  const deadline = Date.now() + timeoutMs;
  const progress = new Progress();
  let sawUpdate = false;
  while (Date.now() < deadline) {
    const apps = await api.apps();
    const rolledBack = apps.find((a) => a.rollbacks > (rollbacksBefore.get(a.name) ?? 0));
    if (rolledBack) {
      progress.done();
      console.error(
        `error[E_DEPLOY_FAILED]: the update of ${rolledBack.name} failed its health checks and was rolled back (see \`matrix app inspect ${rolledBack.name}\`)`,
      );
      process.exitCode = 1;
      return;
    }
    const busy = apps.filter((a) => a.updating);
    if (!busy.length) {
      progress.done(sawUpdate ? 'rollout complete' : undefined);
      await waitUntilServing(api, deployed, answerTimeoutMs);
      return;
    }
    sawUpdate = true;
    progress.update(`rolling update: ${busy.map((a) => `${a.name} ${a.running}/${a.desired} on the new revision`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  progress.done();
  console.error('warning: still updating; follow with `matrix apps`');
}

/** `web to answer through the ingress and db to answer inside the cluster` (internal apps are not in the ingress). */
export function answering(names: readonly string[], internal: ReadonlySet<string>): string {
  const outside = names.filter((n) => !internal.has(n));
  const inside = names.filter((n) => internal.has(n));
  return [
    ...(outside.length ? [`${outside.join(', ')} to answer through the ingress`] : []),
    ...(inside.length ? [`${inside.join(', ')} to answer inside the cluster`] : []),
  ].join(' and ');
}

/**
 * Waits until each deployed app with placed replicas is in the ingress, and the ingress no
 * longer routes any replica the change replaced (the old revision must not answer once the
 * command says done); says which ones it waits for.
 */
export async function waitUntilServing(api: ApiClient, deployed: Set<string>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const started = Date.now();
  const progress = new Progress();
  for (;;) {
    const all = (await api.apps()).filter((a) => deployed.has(a.name));
    // an app placed on simulated nodes alone is never routed: nothing to wait for
    const unserved = all.filter((a) => a.desired > a.unplaced + a.simulated && a.serving === 0);
    const old = all.filter((a) => a.servingOld > 0).map((a) => a.name);
    // first every app in the ingress, then the replaced replicas out of it
    const step = unserved.length
      ? {
          names: unserved.map((a) => a.name),
          // asked only once every replica runs: until then there is nothing to route anyway
          askIngress: unserved.every((a) => a.running > 0),
          pending: (why: string) => `running; pending: the ingress is not serving (${why}), they are routed as soon as it is back`,
          waiting: (names: string[]) => `waiting for ${answering(names, new Set(all.filter((a) => a.internal).map((a) => a.name)))}`,
          quietMs: 0,
          timedOut: (names: string[]) => {
            console.error(
              `error[E_DEPLOY_FAILED]: ${names.join(', ')}: no replica passed its health check in ${timeoutMs / 1000}s (see \`matrix app inspect ${names[0]}\`)`,
            );
            process.exitCode = 1;
          },
        }
      : {
          names: old,
          askIngress: true,
          pending: (why: string) => `updated; pending: the ingress is not serving (${why}) and still routes replicas that were replaced`,
          waiting: (names: string[]) => `waiting for the ingress to stop routing the replaced replicas of ${names.join(', ')}`,
          // usually the next VCL, well under a second: said only when it takes longer
          quietMs: 2000,
          timedOut: (names: string[]) => console.error(`warning: the ingress still routes replaced replicas of ${names.join(', ')} (see \`matrix status\`)`),
        };
    if (!step.names.length) return progress.done();
    // the change is done; routing it is the ingress's part, which may be down: pending, not failed
    const ingress = step.askIngress ? await ingressTrouble(api) : null;
    if (ingress) {
      progress.done(`done: ${step.names.join(', ')} ${step.pending(ingress)} (\`matrix status\`)`);
      return;
    }
    if (Date.now() > deadline) {
      progress.done();
      step.timedOut(step.names);
      return;
    }
    if (step.quietMs === 0 || Date.now() - started > step.quietMs) progress.update(step.waiting(step.names));
    await new Promise((r) => setTimeout(r, 100));
  }
}
