/** Exponential backoff, shared by everything that retries (snapshot consumers, the manager's supervisor). */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** Pure: the pause before retry number `failures` (1-based): doubling from `initialMs`, capped at `maxMs`. */
export function backoffMs(failures: number, b: Backoff): number {
  return Math.min(b.maxMs, b.initialMs * 2 ** Math.max(0, Math.min(30, failures - 1)));
}
