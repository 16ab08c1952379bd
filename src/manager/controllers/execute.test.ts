import { describe, expect, it } from 'vitest';
import type { Action, DesiredReplica } from '../../core/model.ts';
import { backgroundStops, splitByConflict } from './execute.ts';

const start = (id: string, hostPort: number | null = null): Action => ({
  kind: 'start',
  replica: { app: 'web', node: 'n1', image: 'i', hostPort, containerPort: 8080, id, revision: 'r' } satisfies DesiredReplica,
});
const stop = (id: string): Action => ({ kind: 'stop', node: 'n1', containerId: `c-${id}`, app: 'web', id, reason: 'x' });

describe('splitByConflict', () => {
  it('runs stops first, then only the starts that need what they free; other starts at once', () => {
    const { ordered, independent } = splitByConflict([stop('web.1'), start('web.1'), start('web.2'), start('web.3', 5050)]);
    expect(ordered.map((a) => (a.kind === 'start' ? `start ${a.replica.id}` : `${a.kind} ${a.id}`))).toEqual(['stop web.1', 'start web.1', 'start web.3']);
    expect(independent.map((a) => (a.kind === 'start' ? a.replica.id : ''))).toEqual(['web.2']);
  });

  it('with no stops every start is independent', () => {
    const { ordered, independent } = splitByConflict([start('web.1', 5050), start('web.2')]);
    expect(ordered).toEqual([]);
    expect(independent).toHaveLength(2);
  });
});

describe('backgroundStops', () => {
  it('leaves stops to the background unless a start on that node needs what they free', () => {
    const other = (a: Action): Action => (a.kind === 'start' ? { ...a, replica: { ...a.replica, node: 'n2' } } : { ...a, node: 'n2' });
    const r = backgroundStops([stop('web.1'), start('web.2'), other(stop('web.3')), other(start('web.3'))]);
    expect(r.later.map((a) => (a.kind === 'stop' ? `${a.node} ${a.id}` : ''))).toEqual(['n1 web.1']);
    expect(r.now).toHaveLength(3);
    const port = backgroundStops([stop('web.1'), start('web.2', 5050)]);
    expect(port.later).toEqual([]);
  });
});
