import { afterEach, describe, expect, it, vi } from 'vitest';
import { Progress, progressLine } from './progress.ts';

const out = (isTTY: boolean) => {
  const written: string[] = [];
  return { written, write: (s: string) => written.push(s), isTTY };
};

afterEach(() => void vi.useRealTimers());

describe('progress of a long operation', () => {
  it('prints a plain line each time the text changes when the output is not a terminal', () => {
    const o = out(false);
    const p = new Progress(o);
    p.update('draining node2: 3 replicas still there');
    p.update('draining node2: 3 replicas still there');
    p.update('draining node2: 1 replica still there');
    p.done('drained');
    expect(o.written.join('')).toBe('draining node2: 3 replicas still there\ndraining node2: 1 replica still there\ndrained\n');
  });

  it('redraws one line in place on a terminal, with the seconds it has taken, ticking while nothing changes', () => {
    vi.useFakeTimers();
    let now = 0;
    const o = out(true);
    const p = new Progress(o, () => now);
    p.update('rolling update: web 1/3');
    now = 2500;
    vi.advanceTimersByTime(1000); // no change of text: the tick redraws the time
    p.update('rolling update: web 2/3');
    p.done('rollout complete');
    expect(o.written).toEqual([
      '\r\x1b[Krolling update: web 1/3 (0 s)',
      '\r\x1b[Krolling update: web 1/3 (2 s)',
      '\r\x1b[Krolling update: web 2/3 (2 s)',
      '\n',
      'rollout complete\n',
    ]);
    now = 10_000;
    vi.advanceTimersByTime(5000);
    expect(o.written).toHaveLength(5); // done stops the ticking
  });

  it('writes the time in whole seconds', () => {
    expect(progressLine('x', 59_999)).toBe('x (59 s)');
  });
});
