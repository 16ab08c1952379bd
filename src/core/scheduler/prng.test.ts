import { describe, expect, it } from 'vitest';
import { hashString, mulberry32, randInt, rngFor, seed32 } from './prng.ts';

describe('prng', () => {
  it('mulberry32 is a pure function of its seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const c = mulberry32(43);
    expect(Array.from({ length: 100 }, () => c())).not.toEqual(xs);
  });

  it('randInt covers [0, n) roughly uniformly', () => {
    const rng = mulberry32(7);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[randInt(rng, 4)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('hashString is stable and spreads', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('web')).toBe(hashString('web'));
    expect(hashString('web')).not.toBe(hashString('db'));
  });

  it('seed32 folds any number into 32 bits, distinguishing high bits and fractions', () => {
    for (const s of [0, 1, -1, 2 ** 40, 2 ** 40 + 1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const v = seed32(s);
      expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
    }
    expect(seed32(2 ** 40)).not.toBe(seed32(0));
    expect(seed32(0.5)).not.toBe(seed32(0));
    expect(seed32(Number.NaN)).toBe(0);
  });

  it('rngFor gives each app its own stream', () => {
    const a = rngFor(1, 'web');
    const b = rngFor(1, 'db');
    const a2 = rngFor(1, 'web');
    const xa = [a(), a(), a()];
    expect([a2(), a2(), a2()]).toEqual(xa);
    expect([b(), b(), b()]).not.toEqual(xa);
  });
});
