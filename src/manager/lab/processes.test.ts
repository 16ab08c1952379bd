import { describe, expect, it } from 'vitest';
import { withDescendants } from './processes.ts';

describe('withDescendants', () => {
  it('collects the whole tree under the roots, not siblings', () => {
    const procs = [
      { pid: 1, ppid: 0 },
      { pid: 10, ppid: 1 },
      { pid: 11, ppid: 10 },
      { pid: 12, ppid: 11 },
      { pid: 20, ppid: 1 },
      { pid: 21, ppid: 20 },
      { pid: 30, ppid: 1 },
    ];
    expect(withDescendants([10, 20], procs)).toEqual([10, 11, 12, 20, 21]);
    expect(withDescendants([], procs)).toEqual([]);
  });

  it('survives cycles in stale data', () => {
    expect(
      withDescendants(
        [5],
        [
          { pid: 5, ppid: 6 },
          { pid: 6, ppid: 5 },
        ],
      ),
    ).toEqual([5, 6]);
  });
});
