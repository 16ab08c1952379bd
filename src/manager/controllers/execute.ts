/**
 * Runs reconcile's actions: nodes in parallel, each node's actions in order (stops before
 * starts, since a replaced replica may reuse its host port). A failing action is reported
 * and does not stop the others: the next tick retries what is still wrong.
 */
import type { Logger } from 'pino';
import { describeAction } from '../../core/reconcile/reconcile.ts';
import type { Action } from '../../core/model.ts';
import type { NodeEngine } from '../nodes/engine.ts';

export interface ExecuteReport {
  done: number;
  failed: { action: string; error: string }[];
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
  const report: ExecuteReport = { done: 0, failed: [] };
  await Promise.all(
    [...byNode.entries()].map(async ([node, list]) => {
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
          report.done++;
        } catch (e) {
          report.failed.push({ action: describeAction(a), error: (e as Error).message });
        }
      }
    }),
  );
  return report;
}
