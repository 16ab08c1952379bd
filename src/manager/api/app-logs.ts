/**
 * `GET /v1/apps/:name/logs`: every replica's logs, read from its node's engine, merged in
 * time order. A node that does not answer costs only its replicas' lines (listed in `errors`).
 */
import { byCodeUnit } from '../../core/compare.ts';
import { demuxLogs, dockerSince, logLines, mergeLogs, normalizeLogTime } from '../../core/logs.ts';
import type { NodeInfo, ObservedReplica } from '../../core/model.ts';
import type { LogLine, LogsView } from '../../shared/api-types.ts';
import type { NodeEngine } from '../nodes/engine.ts';
import type { LogsQuery } from './validate.ts';

/** A line longer than this is cut (with a mark): one runaway write must not make the answer huge. */
export const LOG_LINE_MAX = 16 * 1024;

export interface AppLogsDeps {
  replicas: readonly ObservedReplica[];
  nodes: readonly NodeInfo[];
  /** The engine of an up node (the loop's clients, `ControlLoop.engineOf`); null when it is not up. */
  engineOf: (node: string) => NodeEngine | null;
}

export async function appLogs(d: AppLogsDeps, app: string, q: LogsQuery): Promise<LogsView> {
  const mine = d.replicas.filter((r) => r.app === app).sort((a, b) => byCodeUnit(a.id, b.id) || byCodeUnit(a.containerId, b.containerId));
  const nodes = new Map(d.nodes.map((n) => [n.name, n]));
  // when following, `after` (a line seen) replaces since: Docker's since is inclusive, `after` is not (filtered below)
  const since = q.after ?? (q.since ? (normalizeLogTime(q.since) ?? undefined) : undefined);
  const errors: LogsView['errors'] = [];
  const lists = await Promise.all(
    mine.map(async (r): Promise<LogLine[]> => {
      const engine = nodes.has(r.node) ? d.engineOf(r.node) : null;
      if (!engine?.logs) {
        const why = !nodes.has(r.node) ? 'is no longer in the cluster' : engine ? 'keeps no logs (a simulated node)' : 'is not up: its logs cannot be read';
        errors.push({ replica: r.id, node: r.node, message: `${r.node} ${why}` });
        return [];
      }
      try {
        const raw = await engine.logs(r.containerId, { tail: q.tail, ...(since ? { since: dockerSince(since) } : {}) });
        const lines = logLines(demuxLogs(raw), r.id, r.node);
        return q.after ? lines.filter((l) => l.at > q.after!) : lines;
      } catch (e) {
        errors.push({ replica: r.id, node: r.node, message: `cannot read its logs from ${r.node}: ${(e as Error).message.slice(0, 200)}` });
        return [];
      }
    }),
  );
  const lines = mergeLogs(lists, q.tail).map((l) =>
    l.text.length > LOG_LINE_MAX ? { ...l, text: `${l.text.slice(0, LOG_LINE_MAX)} [cut: ${l.text.length} characters]` } : l,
  );
  return { lines, errors: errors.sort((a, b) => byCodeUnit(a.replica, b.replica)) };
}
