import { describe, expect, it } from 'vitest';
import { drainProgress } from './drain-progress.ts';

const row = (app: string, node: string, state = 'running') => ({ app, node, state });

describe('drainProgress', () => {
  it("counts a plan file's replicas as staying and every other running one on the node as leaving, desired or not", () => {
    const rows = [row('web', 'n2'), row('web', 'n1'), row('planned', 'n2'), row('api', 'n2'), row('api', 'n2', 'exited')];
    expect(drainProgress(rows, 'n2', new Set(['planned']))).toEqual({ pinned: 1, leaving: 2 });
    expect(drainProgress(rows, 'n1', new Set(['planned']))).toEqual({ pinned: 0, leaving: 1 });
    expect(drainProgress(rows, 'n3', new Set())).toEqual({ pinned: 0, leaving: 0 });
  });
});
