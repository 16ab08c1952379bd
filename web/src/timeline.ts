/**
 * About ten minutes of samples in memory, one per poll, for the live charts: each sample
 * holds numbers by key (`running:web`, `req:web`); counters become per-second rates here.
 */
import type { AlignedData } from 'uplot';

export const WINDOW_S = 600;

interface Point {
  /** Unix seconds. */
  t: number;
  values: ReadonlyMap<string, number>;
}

export class Timeline {
  private points: Point[] = [];
  private lastCounters = new Map<string, { t: number; v: number }>();

  constructor(private readonly windowS = WINDOW_S) {}

  /** `counters` (monotonic totals) are stored as their rate per second since the previous sample, under their own key. */
  add(t: number, gauges: ReadonlyMap<string, number>, counters: ReadonlyMap<string, number> = new Map()): void {
    const values = new Map(gauges);
    for (const [k, v] of counters) {
      const prev = this.lastCounters.get(k);
      // a first sample has no rate yet; a counter that went back (a restarted manager) starts over
      if (prev && t > prev.t && v >= prev.v) values.set(k, (v - prev.v) / (t - prev.t));
      this.lastCounters.set(k, { t, v });
    }
    this.points.push({ t, values });
    while (this.points.length && this.points[0]!.t < t - this.windowS) this.points.shift();
  }

  get length(): number {
    return this.points.length;
  }

  /** The keys with a value in the window, sorted, that start with `prefix`. */
  keys(prefix: string): string[] {
    const out = new Set<string>();
    for (const p of this.points) for (const k of p.values.keys()) if (k.startsWith(prefix)) out.add(k);
    return [...out].sort();
  }

  /** The newest value of a key, if the newest sample has it. */
  latest(key: string): number | undefined {
    return this.points.at(-1)?.values.get(key);
  }

  /** uPlot's data: the times, then one array per key (null where a sample lacks it). */
  data(keys: readonly string[]): AlignedData {
    return [this.points.map((p) => p.t), ...keys.map((k) => this.points.map((p) => p.values.get(k) ?? null))];
  }
}
