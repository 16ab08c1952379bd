/**
 * The candidate nodes of the app being placed, bucketed by how many replicas of that app each
 * holds ("level"). One permutation array, O(1) updates:
 *
 *     perm = [ dead ... | level 0 ... | level 1 ... | level 2 ... ]
 *              0        starts[0]     starts[1]     starts[2]      size
 *
 * A placement moves its node one level up (swap to the end of its level, shrink the next
 * level's start). A node that a dynamic filter rejects is killed: it can never pass again for
 * this app (usage only grows), so it is walked down to the dead prefix, once.
 * Spread samples from the lowest live level, so the fewest-replicas rule holds exactly.
 */
export class CandidateSet {
  private perm: Int32Array;
  private pos: Int32Array;
  private level: Int32Array;
  private starts: number[] = [0];
  private members: number[] = [];
  private lo = 0;
  size = 0;

  constructor(nodeCount: number) {
    this.perm = new Int32Array(nodeCount);
    this.pos = new Int32Array(nodeCount).fill(-1);
    this.level = new Int32Array(nodeCount);
  }

  /** Loads the feasible nodes of one app; `counts` are its current replicas per node. */
  reset(nodes: ArrayLike<number>, counts: Int32Array): void {
    for (const x of this.members) this.pos[x] = -1;
    this.members = Array.from(nodes);
    const n = this.members.length;
    this.size = n;
    let max = 0;
    for (const x of this.members) if (counts[x] > max) max = counts[x];
    const sizes = new Array<number>(max + 1).fill(0);
    for (const x of this.members) sizes[counts[x]]++;
    this.starts = new Array<number>(max + 1);
    let acc = 0;
    for (let c = 0; c <= max; c++) {
      this.starts[c] = acc;
      acc += sizes[c];
    }
    const fill = this.starts.slice();
    for (const x of this.members) {
      const c = counts[x];
      const p = fill[c]++;
      this.perm[p] = x;
      this.pos[x] = p;
      this.level[x] = c;
    }
    this.lo = 0;
  }

  get live(): number {
    return this.size - this.starts[0];
  }

  /** Start of the live region (everything before it is dead). */
  get liveStart(): number {
    return this.starts[0];
  }

  isLive(x: number): boolean {
    const p = this.pos[x];
    return p >= this.starts[0];
  }

  at(p: number): number {
    return this.perm[p];
  }

  end(c: number): number {
    return c + 1 < this.starts.length ? this.starts[c + 1] : this.size;
  }

  start(c: number): number {
    return this.starts[c];
  }

  /** Lowest level that still has a live node, or -1 when none is left. */
  minLevel(): number {
    if (this.live === 0) return -1;
    while (this.starts[this.lo] === this.end(this.lo)) this.lo++;
    return this.lo;
  }

  private swap(p: number, q: number): void {
    const a = this.perm[p];
    const b = this.perm[q];
    this.perm[p] = b;
    this.pos[b] = p;
    this.perm[q] = a;
    this.pos[a] = q;
  }

  /** The node got one more replica of the app. */
  increment(x: number): void {
    const c = this.level[x];
    this.swap(this.pos[x], this.end(c) - 1);
    if (c + 1 >= this.starts.length) this.starts.push(this.size);
    this.starts[c + 1]--;
    this.level[x] = c + 1;
  }

  /** The node can never take this app again (in this call). */
  kill(x: number): void {
    let p = this.pos[x];
    for (let lv = this.level[x]; lv >= 0; lv--) {
      const s = this.starts[lv];
      this.swap(p, s);
      p = s;
      this.starts[lv]++;
    }
  }
}
