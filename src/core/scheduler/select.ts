/**
 * Scoring and selection (Nomad's rank iterators, kube-scheduler's Score plugins) over a
 * bounded number of candidates per replica: never a scan of the whole cluster.
 *
 * - spread: candidates come only from the lowest live level of the CandidateSet (nodes with
 *   the fewest replicas of this app), so that rule is exact; among them the lowest
 *   utilization wins, then the fewest placements overall.
 * - binpack: candidates are the node this app used last, the last few nodes any binpack app
 *   used (the partly filled ones) and a random sample of the live nodes; the highest
 *   utilization that still fits wins, then the most placements overall.
 *
 * A level (spread) or live set (binpack) no larger than `k` is evaluated exhaustively; a
 * larger one is sampled `k` times with the app's PRNG. Exact ties go to the PRNG (uniformly,
 * by reservoir sampling). A candidate the dynamic filters reject is killed and not counted.
 */
import type { AppCtx } from './app-context.ts';
import type { CandidateSet } from './candidates.ts';
import type { Cluster } from './cluster.ts';
import { dynamicOk } from './filters.ts';
import { randInt, type Rng } from './prng.ts';

/** Candidates per replica: ceil(log2 n) clamped to 8..16. */
export function sampleSize(n: number): number {
  return Math.max(8, Math.min(16, Math.ceil(Math.log2(Math.max(2, n)))));
}

const RECENT = 4;

export class Selector {
  private seen: Int32Array;
  private stamp = 0;
  private buf: Int32Array;
  private best = -1;
  private bestP = 0;
  private bestQ = 0;
  private ties = 0;
  /** Ring of the nodes binpack placements went to last (any app). */
  private recent: number[] = [];
  private app!: AppCtx;
  private rng!: Rng;
  private k = 8;
  private last = -1;

  constructor(
    private readonly cl: Cluster,
    private readonly set: CandidateSet,
  ) {
    this.seen = new Int32Array(cl.size);
    this.buf = new Int32Array(cl.size);
  }

  /** Starts placing one app (after `set.reset`). */
  begin(app: AppCtx, rng: Rng): void {
    this.app = app;
    this.rng = rng;
    this.k = sampleSize(this.set.size);
    this.last = -1;
  }

  /** The chosen node for the next replica, or -1 when no live candidate is left. */
  next(): number {
    const x = this.app.strategy === 'binpack' ? this.binpack() : this.spread();
    if (x >= 0 && this.app.strategy === 'binpack') {
      this.last = x;
      if (!this.recent.includes(x)) {
        this.recent.push(x);
        if (this.recent.length > RECENT) this.recent.shift();
      }
    }
    return x;
  }

  /** Best of an explicit list (the full-scan fallback), same scoring. */
  bestOf(nodes: readonly number[]): number {
    this.round();
    for (const x of nodes) this.offer(x);
    return this.best;
  }

  private round(): void {
    this.stamp++;
    this.best = -1;
    this.ties = 0;
  }

  private offer(x: number): void {
    const u = this.cl.utilization(x);
    const t = this.cl.total[x];
    const bin = this.app.strategy === 'binpack';
    const p = bin ? u : -u;
    const q = bin ? t : -t;
    if (this.best < 0 || p > this.bestP || (p === this.bestP && q > this.bestQ)) {
      this.best = x;
      this.bestP = p;
      this.bestQ = q;
      this.ties = 1;
    } else if (p === this.bestP && q === this.bestQ) {
      this.ties++;
      if (randInt(this.rng, this.ties) === 0) this.best = x;
    }
  }

  /** Evaluates one live candidate once per round: offers it, or kills it. */
  private consider(x: number): void {
    if (this.seen[x] === this.stamp) return;
    this.seen[x] = this.stamp;
    if (dynamicOk(this.cl, this.app, x)) this.offer(x);
    else this.set.kill(x);
  }

  /** Every node in perm[a, b) (copied first: kills reorder the array). */
  private exhaustive(a: number, b: number): void {
    const n = b - a;
    for (let i = 0; i < n; i++) this.buf[i] = this.set.at(a + i);
    for (let i = 0; i < n; i++) this.consider(this.buf[i]);
  }

  /**
   * `k` random draws from level `c` (or from the whole live region when `c` is -1); the
   * region shrinks as nodes are killed.
   */
  private sample(c: number): void {
    const set = this.set;
    for (let t = 0; t < this.k;) {
      const a = c < 0 ? set.liveStart : set.start(c);
      const n = (c < 0 ? set.size : set.end(c)) - a;
      if (n <= 0) return;
      const x = this.set.at(a + randInt(this.rng, n));
      if (this.seen[x] === this.stamp) {
        t++;
        continue;
      }
      this.consider(x);
      if (this.set.isLive(x)) t++;
    }
  }

  private spread(): number {
    const set = this.set;
    for (;;) {
      const c = set.minLevel();
      if (c < 0) return -1;
      this.round();
      const n = set.end(c) - set.start(c);
      if (n <= this.k) this.exhaustive(set.start(c), set.end(c));
      else this.sample(c);
      if (this.best >= 0) return this.best;
    }
  }

  private binpack(): number {
    const set = this.set;
    for (;;) {
      if (set.live === 0) return -1;
      this.round();
      if (this.last >= 0 && set.isLive(this.last)) this.consider(this.last);
      for (const x of this.recent) if (set.isLive(x)) this.consider(x);
      if (set.live <= this.k) this.exhaustive(set.liveStart, set.size);
      else this.sample(-1);
      if (this.best >= 0) return this.best;
    }
  }
}
