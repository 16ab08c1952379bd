/**
 * `matrix ca ...`: the cluster's certificate authority. `rotate` replaces it while the apps
 * keep serving: each node's engine is restarted twice (its replicas moved away first), the
 * manager twice; the plan is in src/manager/pki/ca-rotation.ts. Runs on the manager's host
 * (it holds the CA's key) and goes on where it stopped when run again.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isMatrixError, MatrixError } from '../../core/errors.ts';
import type { NodeView } from '../../shared/api-types.ts';
import { homePaths, type HomePaths } from '../../shared/home.ts';
import { ApiClient } from '../api-client.ts';
import { assertManagerRestartable, restartManager } from '../manager-process.ts';
import { machineFor, machineIfAny, withNodeAway } from '../node-cycle.ts';
import { table } from '../output.ts';

type PkiModule = typeof import('../../manager/pki/pki.ts');
type Pki = InstanceType<PkiModule['Pki']>;

export function caCommands(program: Command): void {
  const ca = program.command('ca').description("the cluster's certificate authority: it signs every engine's, the registry's and the manager's certificates");
  ca.command('status')
    .description('print the CA in use (subject, fingerprint, expiry) and the rotation under way, if any')
    .action(async () => {
      const pki = await openPki(homePaths());
      const cert = new X509Certificate(readFileSync(pki.caPaths().cert));
      const r = pki.rotation();
      console.log(
        table(
          ['', ''],
          [
            ['subject', cert.subject.replace(/\n/g, ', ')],
            ['fingerprint', `SHA256 ${cert.fingerprint256}`],
            ['expires', new Date(cert.validTo).toISOString()],
            ['rotation', r === null ? 'none' : `${roundOf(r.phase)}, ${r.done.length} node${r.done.length === 1 ? '' : 's'} done (since ${r.started})`],
          ],
        )
          .split('\n')
          .slice(1) // no header row
          .join('\n'),
      );
    });
  ca.command('rotate')
    .description(
      'replace the cluster CA with a new one while the apps keep serving: every engine is restarted twice, one node at a time with its replicas moved away first (start-first), and the manager twice; run again, it goes on where it stopped',
    )
    .action(async () => rotate(homePaths()));
}

async function openPki(paths: HomePaths): Promise<Pki> {
  const { Pki } = await import('../../manager/pki/pki.ts'); // lazily: node-forge is slow to load
  const pki = new Pki(paths.pki);
  if (!existsSync(pki.caPaths().cert)) {
    throw new MatrixError('E_PKI', `no cluster CA in ${pki.dir}: run this on the manager's host, with the manager's MATRIX_HOME`);
  }
  return pki;
}

const roundOf = (phase: 'trust-both' | 'issue-new') =>
  phase === 'trust-both' ? 'round 1 of 2 (engines trust both CAs)' : 'round 2 of 2 (engines get certificates from the new CA)';

async function rotate(paths: HomePaths): Promise<void> {
  const pki = await openPki(paths);
  const { nextRotationStep } = await import('../../manager/pki/pki.ts');
  const began = Date.now();
  try {
    assertManagerRestartable(paths);
    await checkNodes(await ApiClient.fromEnv().nodes());
    for (;;) {
      const api = ApiClient.fromEnv(); // anew each step: the manager restarts, and which CA its API presents with it
      const nodes = await api.nodes();
      const step = nextRotationStep(
        pki.rotation(),
        nodes.map((n) => n.name),
      );
      switch (step.kind) {
        case 'begin': {
          await pki.beginRotation();
          const next = new X509Certificate(readFileSync(pki.trustFile())); // the first of the bundle is the current CA
          console.log(`a new CA is made beside ${next.subject.split('\n').find((l) => l.startsWith('CN=')) ?? 'the current one'}`);
          console.log(`${roundOf('trust-both')}: each engine restarts trusting the old and the new CA, its replicas moved away first`);
          break;
        }
        case 'node': {
          const n = nodes.find((x) => x.name === step.node)!;
          await rotateNode(api, n, step.phase);
          pki.rotationDone(n.name);
          break;
        }
        case 'switch':
          pki.switchCa();
          console.log('the new CA signs from now on');
          break;
        case 'restart-manager':
          console.log("restarting the manager with the new CA's client certificate (the apps serve on)");
          await restartManager(paths);
          await seenUp(nodes);
          pki.rotationManagerRestarted();
          console.log(`${roundOf('issue-new')}: each engine restarts with a certificate from the new CA, trusting only it`);
          break;
        case 'finish': {
          pki.finishRotation();
          console.log('restarting the manager trusting only the new CA');
          await restartManager(paths);
          await seenUp(nodes);
          const ca = new X509Certificate(readFileSync(pki.caPaths().cert));
          console.log(`the cluster CA is rotated in ${Math.round((Date.now() - began) / 1000)} s: SHA256 ${ca.fingerprint256}`);
          console.log(
            `the old CA is trusted nowhere now; copies of ca.pem elsewhere (MATRIX_CA, a DOCKER_CERT_PATH) need the new ${pki.caPaths().cert} (matrix node env writes it anew)`,
          );
          return;
        }
      }
    }
  } catch (e) {
    let r: ReturnType<Pki['rotation']>;
    try {
      r = pki.rotation();
    } catch {
      throw e; // a state file that cannot be read says so itself at the next run
    }
    if (r === null) throw e;
    const err = isMatrixError(e) ? e : new MatrixError('E_INTERNAL', (e as Error).message);
    throw new MatrixError(
      err.code,
      `${err.message}\nthe rotation stopped in ${roundOf(r.phase)} with ${r.done.length ? r.done.join(', ') : 'no node'} done; every node and the manager still trust each other: run \`matrix ca rotate\` again to go on`,
      err.path !== undefined ? { path: err.path } : {},
    );
  }
}

/** Before anything changes: every node answers and was made by a driver of this host (which can install its certificates). */
async function checkNodes(nodes: readonly NodeView[]): Promise<void> {
  const down = nodes.filter((n) => n.state !== 'up');
  if (down.length) {
    throw new MatrixError(
      'E_NODE_DOWN',
      `${down.map((n) => n.name).join(', ')} ${down.length === 1 ? 'does' : 'do'} not answer, and every engine must restart with the new certificates: switch ${down.length === 1 ? 'it' : 'them'} on (matrix node start) or remove ${down.length === 1 ? 'it' : 'them'} (matrix node rm), then rotate`,
      { path: 'node' },
    );
  }
  for (const n of nodes) {
    if ((await machineIfAny(n.name)) === null) {
      throw new MatrixError(
        'E_MACHINE',
        `${n.name} was not made by a driver of this host (registered by hand), so its certificates cannot be installed from here: remove it (matrix node rm ${n.name}), rotate, and add it again with matrix node create`,
        { path: 'node' },
      );
    }
  }
}

/**
 * Waits until a restarted manager sees these nodes up again: it answers before it has looked
 * at them, and a node that stays down means its engine refuses the manager's certificate.
 */
async function seenUp(nodes: readonly NodeView[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let down = nodes.map((n) => n.name);
  while (down.length) {
    if (Date.now() > deadline) {
      throw new MatrixError('E_NODE_DOWN', `the restarted manager does not reach ${down.join(', ')} within ${timeoutMs / 1000} s (matrix nodes says why)`, {
        path: 'node',
      });
    }
    await new Promise((r) => setTimeout(r, 500));
    const now = await ApiClient.fromEnv().nodes();
    down = down.filter((name) => now.find((n) => n.name === name)?.state !== 'up');
  }
}

async function rotateNode(api: ApiClient, n: NodeView, phase: 'trust-both' | 'issue-new'): Promise<void> {
  if (n.state !== 'up') {
    throw new MatrixError('E_NODE_DOWN', `${n.name} does not answer: switch it on (matrix node start ${n.name}) or remove it`, { path: 'node' });
  }
  const m = await machineFor(n.name);
  const t0 = Date.now();
  const install = () => m.installCerts(n.name, { renew: false });
  // an engine on its unix socket has no certificate: it only trusts the registry anew, without a restart
  if (n.socket !== undefined || n.driver === 'sim') await install();
  else await withNodeAway(api, n, { force: false }, install);
  const what =
    n.driver === 'sim'
      ? 'is simulated: nothing to do'
      : n.socket !== undefined
        ? 'trusts the registry anew'
        : phase === 'trust-both'
          ? 'trusts both CAs'
          : 'has a certificate from the new CA';
  console.log(`${n.name} ${what} (${Math.round((Date.now() - t0) / 100) / 10} s)`);
}
