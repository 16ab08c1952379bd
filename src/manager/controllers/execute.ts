/**
 * Runs reconcile's actions: nodes in parallel, each node's actions in order (stops before
 * starts, since a replaced replica may reuse its host port). A failing action is reported
 * and does not stop the others: the next tick retries what is still wrong.
 */
import type { Logger } from 'pino';
import type { Action } from '../../core/model.ts';
import type { NodeEngine } from '../nodes/engine.ts';

/** Outcomes as data: what was carried out, and what failed with the engine's message. */
export interface ExecuteReport {
  done: Action[];
  failed: { action: Action; error: string }[];
}

const STOP_GRACE_S = 10;

export async function executeActions(actions: Action[], engineOf: (node: string) => NodeEngine | null, log: Logger): Promise<ExecuteReport> {
  const byNode = new Map<string, Action[]>();
  for (const a of actions) {
    if (a.kind === 'drain') continue; // the caller's: it only changes the ingress
    const node = a.kind === 'start' ? a.replica.node : a.node;
    const list = byNode.get(node) ?? [];
    list.push(a);
    byNode.set(node, list);
  }
  const report: ExecuteReport = { done: [], failed: [] };
  const runList = async (node: string, list: Action[]): Promise<void> => {
    const engine = engineOf(node);
    for (const a of list) {
      try {
        if (!engine) throw new Error(`node ${node} is not up`);
        if (a.kind === 'start') {
          const id = await engine.start(a.replica);
          log.info({ node, replica: a.replica.id, container: id.slice(0, 12) }, 'started replica');
        } else if (a.kind === 'stop') {
          await engine.stop(a.containerId, STOP_GRACE_S);
          log.info({ node, replica: a.id, container: a.containerId.slice(0, 12), reason: a.reason }, 'stopped replica');
        }
        report.done.push(a);
      } catch (e) {
        report.failed.push({ action: a, error: (e as Error).message });
      }
    }
  };
  await Promise.all(
    [...byNode.entries()].flatMap(([node, list]) => {
      const { ordered, independent } = splitByConflict(list);
      return [runList(node, ordered), ...independent.map((a) => runList(node, [a]))];
    }),
  );
  return report;
}

/**
 * Stops run first on a node, and a start that needs what a stop frees (the same replica id,
 * the same host port) waits for them; any other start goes at once, so replacing a lost
 * replica never queues behind a slow stop of an unrelated one.
 */
export function splitByConflict(list: Action[]): { ordered: Action[]; independent: Action[] } {
  const stops = list.filter((a) => a.kind === 'stop');
  const freedIds = new Set(stops.map((a) => (a.kind === 'stop' ? a.id : '')));
  const starts = list.filter((a) => a.kind === 'start');
  const conflicts = (a: Action): boolean => a.kind === 'start' && (freedIds.has(a.replica.id) || (a.replica.hostPort !== null && stops.length > 0));
  return {
    ordered: [...stops, ...starts.filter(conflicts)],
    independent: starts.filter((a) => !conflicts(a)),
  };
}

/**
 * Which stops the caller may leave running in the background: those on a node where no
 * start of this batch needs what they free (the same replica id, or any fixed host port).
 */
export function backgroundStops(actions: Action[]): { now: Action[]; later: Action[] } {
  const needy = new Set<string>();
  const ids = new Map<string, Set<string>>();
  for (const a of actions) if (a.kind === 'stop') ids.set(a.node, (ids.get(a.node) ?? new Set()).add(a.id));
  for (const a of actions) {
    if (a.kind === 'start' && (ids.get(a.replica.node)?.has(a.replica.id) || a.replica.hostPort !== null)) needy.add(a.replica.node);
  }
  const later = actions.filter((a) => a.kind === 'stop' && !needy.has(a.node));
  return { now: actions.filter((a) => !later.includes(a)), later };
}
