/**
 * A node's availability through the API, and its replicas moved away while its engine is
 * worked on (`matrix node regenerate-certs`, `matrix ca rotate`, `matrix node rm`).
 */
import { isMatrixError, MatrixError } from '../core/errors.ts';
import type { MachineDriver } from '../manager/index.ts';
import { homePaths } from '../shared/home.ts';
import type { NodeAvailability } from '../core/model.ts';
import type { NodeView } from '../shared/api-types.ts';
import { ApiClient } from './api-client.ts';
import { Progress } from './progress.ts';
import { drainProgress, notServingAgain, stillRoutedThere } from './drain-progress.ts';

/** Requests under way to a replica the ingress no longer routes to finish within this (the sample apps' take milliseconds). */
const IN_FLIGHT_MS = 1000;

/**
 * Drains the node and follows its replicas moving away (start-first, each at its app's update
 * pace) until none is left there; returns how many stay because a plan file pins them there.
 */
export async function drainNode(api: ApiClient, name: string, pinnedApps?: ReadonlySet<string>): Promise<number> {
  await changeNode(api, name, () => ({ availability: 'drain' }));
  // only a plan file pins replicas to a node: any other still there (even one still desired
  // there for a moment, as a move onto it that was under way) is waited for
  pinnedApps ??= await planPinnedApps(api);
  const deadline = Date.now() + 120_000;
  const progress = new Progress();
  for (;;) {
    const { pinned, leaving } = drainProgress((await api.replicas()).replicas, name, pinnedApps);
    if (leaving === 0) {
      progress.done();
      return pinned;
    }
    progress.update(`draining ${name}: ${leaving} replica${leaving === 1 ? '' : 's'} still there`);
    if (Date.now() > deadline) {
      progress.done();
      throw new MatrixError(
        'E_NODE_BUSY',
        `${name} still runs ${leaving} replica${leaving === 1 ? '' : 's'} on their way out after 120 s; follow with \`matrix ps\``,
        {
          path: 'node',
        },
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The apps a plan file pins to their nodes. */
async function planPinnedApps(api: ApiClient): Promise<ReadonlySet<string>> {
  return new Set((await api.apps()).filter((a) => a.pinned).map((a) => a.name));
}

export type NodeChange = { labels?: Record<string, string>; availability?: NodeAvailability };

/** Changes a node's labels or availability (PUT /v1/nodes/:name takes its address and engine port with them); returns the change. */
export async function changeNode<C extends NodeChange>(api: ApiClient, name: string, change: (current: NodeView) => C): Promise<C> {
  const n = await findNode(name, api);
  const c = change(n);
  await api.putNode(name, { address: n.address, enginePort: n.enginePort, ...(n.socket !== undefined ? { socket: n.socket } : {}), ...c });
  return c;
}

export async function findNode(name: string, api = ApiClient.fromEnv()): Promise<NodeView> {
  const all = await api.nodes();
  const n = all.find((x) => x.name === name);
  if (!n) throw new MatrixError('E_NOT_FOUND', `no node named ${name} (nodes: ${all.map((x) => x.name).join(', ') || '(none)'})`, { path: 'node' });
  return n;
}

/** A node with an engine the docker CLI can be pointed at: not a simulated one. */
export async function engineNode(name: string): Promise<NodeView> {
  const n = await findNode(name);
  if (n.driver === 'sim') throw new MatrixError('E_BAD_REQUEST', `${name} is simulated by the manager: it has no engine for the docker CLI`, { path: 'node' });
  return n;
}

/**
 * Runs `work` (which restarts the node's engine) with the node's replicas moved away first
 * (start-first; a plan file's stay, out of the ingress while their app serves elsewhere) and
 * the node taking replicas again after, even when `work` failed, then waits until the plan
 * file's serve again; `force` skips the move (its replicas are replaced elsewhere as for a
 * dead node). A node drained before stays drained.
 */
export async function withNodeAway(api: ApiClient, node: NodeView, o: { force: boolean }, work: () => Promise<void>): Promise<void> {
  const back = !o.force && node.availability === 'active';
  const pinnedApps = await planPinnedApps(api);
  const pinned = o.force ? 0 : await drainNode(api, node.name, pinnedApps);
  if (pinned > 0) {
    console.log(`${pinned} replica${pinned === 1 ? ' is' : 's are'} pinned to ${node.name} by a plan file: restarted with its engine`);
    await offTheIngress(api, node.name, pinnedApps);
  }
  try {
    await work();
  } finally {
    if (back) await changeNode(api, node.name, () => ({ availability: 'active' }));
  }
  if (!back || pinned === 0) return;
  await servingAgain(api, node.name, pinnedApps);
}

/** Until the ingress routes the plan file's replicas on drained `node` no more (where their apps serve elsewhere), and their requests under way are done. */
async function offTheIngress(api: ApiClient, node: string, pinnedApps: ReadonlySet<string>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (stillRoutedThere((await api.replicas()).replicas, node, pinnedApps).length > 0) {
    // an ingress that does not apply changes (matrix status says why) must not hold the work up for ever
    if (Date.now() > deadline) return void console.log(`warning: the ingress still routes to ${node}'s pinned replicas; going on`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, IN_FLIGHT_MS));
}

/** Until the plan file's replicas on `node` are routed again. */
async function servingAgain(api: ApiClient, node: string, pinnedApps: ReadonlySet<string>): Promise<void> {
  // what a plan file keeps there serves again only once its engine is back: waited for, so that
  // the next node's turn (ca rotate) never finds an app with no replica serving
  const deadline = Date.now() + 120_000;
  let said = '';
  for (;;) {
    const short = notServingAgain((await api.replicas()).replicas, node, pinnedApps);
    if (short.length === 0) return;
    if (Date.now() > deadline) {
      throw new MatrixError(
        'E_NODE_BUSY',
        `${short.join(', ')} ${short.length === 1 ? 'does' : 'do'} not serve from ${node} again after 120 s (matrix ps says why)`,
        {
          path: 'node',
        },
      );
    }
    const line = `waiting for ${short.join(', ')} to serve from ${node} again`;
    if (line !== said) console.log(line);
    said = line;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The driver that made the node, or null for a node registered by hand. */
export async function machineIfAny(name: string): Promise<MachineDriver | null> {
  try {
    return await machineFor(name);
  } catch (e) {
    if (isMatrixError(e) && e.code === 'E_NOT_FOUND') return null;
    throw e;
  }
}

/** The driver that made the node, loaded only by the commands that act on machines. */
export async function machineFor(name: string): Promise<MachineDriver> {
  const { machine } = await import('../manager/index.ts');
  return machine(name, homePaths());
}
