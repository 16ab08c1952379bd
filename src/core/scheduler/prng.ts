/**
 * The scheduler's only source of randomness: a seeded PRNG (mulberry32). Same seed, same
 * stream, on every machine. Each app gets its own stream (seed mixed with the app name), so
 * adding or removing one app never changes the random choices made for another.
 */

/** Returns floats in [0, 1). */
export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over UTF-16 code units: a stable 32-bit hash of a string. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Folds any finite number (also > 2^32, negative or fractional) into a 32-bit seed. */
export function seed32(seed: number): number {
  if (!Number.isFinite(seed)) return 0;
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  const frac = Math.floor((seed - Math.floor(seed)) * 4294967296) >>> 0;
  return (lo ^ Math.imul(hi, 0x9e3779b1) ^ Math.imul(frac, 0x85ebca6b)) >>> 0;
}

/** The stream for one app: independent of every other app's consumption. */
export function rngFor(seed: number, salt: string): Rng {
  return mulberry32((seed32(seed) ^ Math.imul(hashString(salt), 0x27d4eb2d)) >>> 0);
}

/** Uniform integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}
