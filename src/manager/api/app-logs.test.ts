import { describe, expect, it } from 'vitest';
import type { NodeInfo, ObservedReplica } from '../../core/model.ts';
import type { NodeEngine } from '../nodes/engine.ts';
import { appLogs, LOG_LINE_MAX } from './app-logs.ts';
import { logFrame as frame } from '../../core/testdata/log-frame.ts';

const replica = (id: string, node: string, containerId: string, app = 'web'): ObservedReplica => ({
  containerId,
  node,
  app,
  id,
  revision: 'r1',
  state: 'running',
  hostPort: 30000,
  containerPort: 8080,
});
const node = (name: string): NodeInfo => ({ name, address: '127.0.0.1', enginePort: 1, labels: {} }) as NodeInfo;

/** Engines that answer from a table of container logs, record what they were asked, and fail for one node. */
function engines(logs: Record<string, Buffer>, down = new Set<string>()) {
  const asked: { node: string; containerId: string; o: { tail?: number; since?: string } }[] = [];
  const engineOf = (name: string): NodeEngine =>
    ({
      logs: async (containerId: string, o: { tail?: number; since?: string }) => {
        asked.push({ node: name, containerId, o });
        if (down.has(name)) throw new Error('connect EHOSTUNREACH');
        return logs[containerId] ?? Buffer.alloc(0);
      },
    }) as unknown as NodeEngine;
  return { engineOf, asked };
}

describe("an app's logs from its replicas", () => {
  const replicas = [replica('web.1', 'node2', 'c2'), replica('web.0', 'node1', 'c1'), replica('api.0', 'node1', 'c9', 'api')];
  const nodes = [node('node1'), node('node2')];
  const logs = {
    c1: Buffer.concat([frame(1, '2026-11-27T10:00:01Z one\n'), frame(2, '2026-11-27T10:00:03Z three (err)\n')]),
    c2: frame(1, '2026-11-27T10:00:02Z two\n2026-11-27T10:00:04Z four\n'),
    c9: frame(1, '2026-11-27T10:00:00Z not this app\n'),
  };

  it("merges the app's replicas in time order, each line with its replica and node, and asks each engine for the tail", async () => {
    const { engineOf, asked } = engines(logs);
    const view = await appLogs({ replicas, nodes, engineOf }, 'web', { tail: 3 });
    expect(view.lines.map((l) => `${l.replica}@${l.node} ${l.stream} ${l.text}`)).toEqual([
      'web.1@node2 stdout two',
      'web.0@node1 stderr three (err)',
      'web.1@node2 stdout four',
    ]);
    expect(view.errors).toEqual([]);
    expect(asked.map((a) => [a.containerId, a.o])).toEqual([
      ['c1', { tail: 3 }],
      ['c2', { tail: 3 }],
    ]);
  });

  it('keeps the other replicas when a node does not answer, and says which replica is missing and why', async () => {
    const { engineOf } = engines(logs, new Set(['node2']));
    const view = await appLogs({ replicas, nodes, engineOf }, 'web', { tail: 100 });
    expect(view.lines.map((l) => l.text)).toEqual(['one', 'three (err)']);
    expect(view.errors).toEqual([{ replica: 'web.1', node: 'node2', message: 'cannot read its logs from node2: connect EHOSTUNREACH' }]);
  });

  it('reports a replica on a node gone from the cluster, or on one that keeps no logs', async () => {
    const { engineOf } = engines(logs);
    const noLogs = (name: string): NodeEngine => (name === 'node2' ? ({} as NodeEngine) : engineOf(name));
    const view = await appLogs({ replicas, nodes: [node('node2')], engineOf: noLogs }, 'web', { tail: 10 });
    expect(view.errors.map((e) => e.message)).toEqual(['node1 is no longer in the cluster', 'node2 keeps no logs (a simulated node)']);
  });

  it('reports a replica on a node that is not up (the loop has no engine for it) without asking it', async () => {
    const { engineOf, asked } = engines(logs);
    const view = await appLogs({ replicas, nodes, engineOf: (name) => (name === 'node2' ? null : engineOf(name)) }, 'web', { tail: 10 });
    expect(view.lines.map((l) => l.text)).toEqual(['one', 'three (err)']);
    expect(view.errors).toEqual([{ replica: 'web.1', node: 'node2', message: 'node2 is not up: its logs cannot be read' }]);
    expect(asked.map((a) => a.node)).toEqual(['node1']);
  });

  it('after a line: asks the engine from its time and leaves out that line and the ones before', async () => {
    const { engineOf, asked } = engines(logs);
    const view = await appLogs({ replicas, nodes, engineOf }, 'web', { tail: 100, after: '2026-11-27T10:00:02.000000000Z' });
    expect(view.lines.map((l) => l.text)).toEqual(['three (err)', 'four']);
    expect(asked[0]!.o.since).toBe(`${Date.UTC(2026, 10, 27, 10, 0, 2) / 1000}.000000000`);
  });

  it('since: asks the engine from then', async () => {
    const { engineOf, asked } = engines(logs);
    await appLogs({ replicas, nodes, engineOf }, 'web', { tail: 100, since: '2026-11-27T10:00:01.500Z' });
    expect(asked[0]!.o.since).toBe(`${Date.UTC(2026, 10, 27, 10, 0, 1) / 1000}.500000000`);
  });

  it('cuts a runaway line', async () => {
    const { engineOf } = engines({ c1: frame(1, `2026-11-27T10:00:01Z ${'x'.repeat(LOG_LINE_MAX + 10)}\n`) });
    const [line] = (await appLogs({ replicas: [replicas[1]!], nodes, engineOf }, 'web', { tail: 1 })).lines;
    expect(line!.text).toHaveLength(LOG_LINE_MAX + ` [cut: ${LOG_LINE_MAX + 10} characters]`.length);
    expect(line!.text.endsWith(`[cut: ${LOG_LINE_MAX + 10} characters]`)).toBe(true);
  });
});
