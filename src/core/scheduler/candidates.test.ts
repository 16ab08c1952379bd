import { describe, expect, it } from 'vitest';
import { CandidateSet } from './candidates.ts';
import { mulberry32 } from './prng.ts';

/** Live nodes per level, each level sorted. */
function levels(s: CandidateSet): number[][] {
  const out: number[][] = [];
  const lo = s.minLevel();
  if (lo < 0) return out;
  for (let c = 0; c <= lo + 10; c++) {
    const xs: number[] = [];
    for (let p = Math.max(s.start(c) ?? s.size, s.liveStart); p < s.end(c); p++) xs.push(s.at(p));
    if (s.start(c) === undefined) break;
    out.push(xs.sort((a, b) => a - b));
  }
  while (out.length > 0 && out[out.length - 1].length === 0) out.pop();
  return out;
}

describe('CandidateSet', () => {
  it('buckets nodes by their current count', () => {
    const s = new CandidateSet(6);
    s.reset([0, 1, 2, 4], Int32Array.from([2, 0, 1, 9, 0, 0]));
    expect(s.size).toBe(4);
    expect(s.live).toBe(4);
    expect(levels(s)).toEqual([[1, 4], [2], [0]]);
    expect(s.isLive(3)).toBe(false); // not a member
    expect(s.minLevel()).toBe(0);
  });

  it('increment moves a node up one level; the min level follows', () => {
    const s = new CandidateSet(3);
    s.reset([0, 1, 2], new Int32Array(3));
    s.increment(1);
    expect(levels(s)).toEqual([[0, 2], [1]]);
    s.increment(0);
    s.increment(2);
    expect(s.minLevel()).toBe(1);
    s.increment(2);
    expect(levels(s)).toEqual([[], [0, 1], [2]]);
  });

  it('kill removes a node from any level for good', () => {
    const s = new CandidateSet(4);
    s.reset([0, 1, 2, 3], Int32Array.from([0, 1, 2, 2]));
    s.kill(2);
    expect(s.isLive(2)).toBe(false);
    expect(s.live).toBe(3);
    expect(levels(s)).toEqual([[0], [1], [3]]);
    s.kill(0);
    expect(s.minLevel()).toBe(1);
    s.kill(1);
    s.kill(3);
    expect(s.live).toBe(0);
    expect(s.minLevel()).toBe(-1);
  });

  it('stays consistent under random increments and kills (against a plain model)', () => {
    const rng = mulberry32(5);
    const n = 50;
    const s = new CandidateSet(n);
    const count = new Int32Array(n);
    const members = Array.from({ length: n }, (_, i) => i).filter(() => rng() < 0.8);
    s.reset(members, count);
    const alive = new Set(members);
    for (let step = 0; step < 500 && alive.size > 0; step++) {
      const xs = [...alive];
      const x = xs[Math.floor(rng() * xs.length)];
      if (rng() < 0.1) {
        s.kill(x);
        alive.delete(x);
      } else {
        s.increment(x);
        count[x]++;
      }
      const min = Math.min(...[...alive].map((a) => count[a]));
      expect(s.live).toBe(alive.size);
      if (alive.size > 0) {
        expect(s.minLevel()).toBe(min);
        const c = s.minLevel();
        for (let p = s.start(c); p < s.end(c); p++) expect(count[s.at(p)]).toBe(c);
      }
      for (const m of members) expect(s.isLive(m)).toBe(alive.has(m));
    }
  });

  it('can be reused for another app', () => {
    const s = new CandidateSet(4);
    s.reset([0, 1], new Int32Array(4));
    s.kill(0);
    s.reset([2, 3], new Int32Array(4));
    expect(s.isLive(0)).toBe(false);
    expect(s.isLive(1)).toBe(false);
    expect(levels(s)).toEqual([[2, 3]]);
  });
});
