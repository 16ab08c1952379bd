import { describe, expect, it } from 'vitest';
import { Timeline } from './timeline.ts';

describe('the live charts timeline', () => {
  it('turns counters into rates per second, with none for a first sample or a counter that went back', () => {
    const t = new Timeline(600);
    t.add(100, new Map([['running:web', 3]]), new Map([['req:web', 50]]));
    t.add(105, new Map([['running:web', 3]]), new Map([['req:web', 100]]));
    t.add(110, new Map([['running:web', 2]]), new Map([['req:web', 10]])); // a restarted manager counts from 0
    t.add(115, new Map([['running:web', 2]]), new Map([['req:web', 40]]));
    expect(t.data(['running:web', 'req:web'])).toEqual([
      [100, 105, 110, 115],
      [3, 3, 2, 2],
      [null, 10, null, 6],
    ]);
    expect(t.latest('req:web')).toBe(6);
    expect(t.keys('req:')).toEqual(['req:web']);
  });

  it('keeps only the window, and lists the keys still in it', () => {
    const t = new Timeline(10);
    t.add(0, new Map([['running:old', 1]]));
    t.add(5, new Map([['running:web', 1]]));
    t.add(20, new Map([['running:web', 2]]));
    expect(t.length).toBe(1);
    expect(t.keys('running:')).toEqual(['running:web']);
    expect(t.latest('running:old')).toBeUndefined();
  });
});
