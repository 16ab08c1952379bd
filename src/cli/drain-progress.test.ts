import { describe, expect, it } from 'vitest';
import { drainProgress, notServingAgain, stillRoutedThere } from './drain-progress.ts';

const row = (app: string, node: string, state = 'running') => ({ app, node, state });

describe('drainProgress', () => {
  it("counts a plan file's replicas as staying and every other running one on the node as leaving, desired or not", () => {
    const rows = [row('web', 'n2'), row('web', 'n1'), row('planned', 'n2'), row('api', 'n2'), row('api', 'n2', 'exited')];
    expect(drainProgress(rows, 'n2', new Set(['planned']))).toEqual({ pinned: 1, leaving: 2 });
    expect(drainProgress(rows, 'n1', new Set(['planned']))).toEqual({ pinned: 0, leaving: 1 });
    expect(drainProgress(rows, 'n3', new Set())).toEqual({ pinned: 0, leaving: 0 });
  });
});

describe('notServingAgain', () => {
  it("names the plan file's apps with a desired replica on the node that the ingress does not route yet", () => {
    const r = (app: string, node: string, routed: boolean, desired = true, state = 'running') => ({ app, node, state, desired, routed });
    const rows = [r('planned', 'n1', false), r('planned', 'n2', true), r('other', 'n1', false), r('also', 'n1', true), r('old', 'n1', false, false)];
    const pinned = new Set(['planned', 'also', 'old']);
    expect(notServingAgain(rows, 'n1', pinned)).toEqual(['planned']);
    expect(notServingAgain(rows, 'n2', pinned)).toEqual([]);
    // not started yet (no container): waited for too
    expect(notServingAgain([{ app: 'planned', node: 'n1', state: 'missing', desired: true }], 'n1', pinned)).toEqual(['planned']);
  });
});

describe('stillRoutedThere', () => {
  it("names the plan file's apps still routed on the drained node while they are routed elsewhere too", () => {
    const r = (app: string, node: string, routed: boolean) => ({ app, node, routed });
    const pinned = new Set(['planned', 'alone']);
    const rows = [r('planned', 'n1', true), r('planned', 'n2', true), r('alone', 'n1', true), r('web', 'n1', true), r('web', 'n2', true)];
    // `alone` has no other replica: it serves on from the drained node; `web` is not pinned: it moves away start-first
    expect(stillRoutedThere(rows, 'n1', pinned)).toEqual(['planned']);
    expect(stillRoutedThere([r('planned', 'n1', false), r('planned', 'n2', true)], 'n1', pinned)).toEqual([]);
  });
});
