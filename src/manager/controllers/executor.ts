/**
 * Act: carries out the loop's start and stop actions on the engines and reports each
 * outcome as data. Images are pulled before the starts that need them (a failed pull fails
 * those starts, nothing else); stops that nothing waits for run in the background, so a
 * slow stop never holds up the next pass. Drains are not its business: they only change
 * what the ingress sees, which the loop records.
 */
import type { Logger } from 'pino';
import type { Action } from '../../core/model.ts';
import { describeAction } from '../../core/reconcile/reconcile.ts';
import type { NodeEngine } from '../nodes/engine.ts';
import { backgroundStops, executeActions, type ExecuteReport } from './execute.ts';

export interface ExecutorDeps {
  /** The engine of an answering node, or null when the node is down or unknown. */
  engineOf: (node: string) => NodeEngine | null;
  log: Logger;
  /** A background stop finished: the loop looks again. */
  onBackgroundDone: () => void;
}

type Start = Extract<Action, { kind: 'start' }>;

const STOPPED_MEMORY_MS = 60_000;

export class Executor {
  /** `node image` pairs already pulled; forgotten when the node goes down (its engine may be new). */
  private readonly pulled = new Set<string>();
  private readonly stopping = new Set<string>();
  /**
   * Containers stopped and removed, with when: an observation made before the removal still
   * lists them, and without this the next pass would stop them a second time.
   */
  private readonly stopped = new Map<string, number>();

  constructor(private readonly deps: ExecutorDeps) {}

  /** A container whose stop runs in the background or is done: later passes leave it alone. */
  isStopping(containerId: string): boolean {
    return this.stopping.has(containerId) || this.stopped.has(containerId);
  }

  /** The containers the nodes list now: a stopped one that is gone needs no memory any more. */
  observed(containerIds: ReadonlySet<string>, now = Date.now()): void {
    // one still listed a minute after its stop is tried again (the removal may have failed)
    for (const [id, at] of this.stopped) if (!containerIds.has(id) || now - at > STOPPED_MEMORY_MS) this.stopped.delete(id);
  }

  private done(report: ExecuteReport): void {
    for (const a of report.done) if (a.kind === 'stop') this.stopped.set(a.containerId, Date.now());
  }

  forgetNode(node: string): void {
    for (const key of [...this.pulled]) if (key.startsWith(`${node} `)) this.pulled.delete(key);
  }

  async run(actions: Action[]): Promise<ExecuteReport> {
    const work = actions.filter((a) => a.kind !== 'drain' && !(a.kind === 'stop' && this.isStopping(a.containerId)));
    if (!work.length) return { done: [], failed: [] };
    const pullFailed = await this.pullFor(work.filter((a): a is Start => a.kind === 'start'));
    const failed: ExecuteReport['failed'] = [];
    const runnable = work.filter((a) => {
      const err = a.kind === 'start' ? pullFailed.get(`${a.replica.node} ${a.replica.image}`) : undefined;
      if (err) failed.push({ action: a, error: `pull ${a.kind === 'start' ? a.replica.image : ''}: ${err}` });
      return !err;
    });
    const { now, later } = backgroundStops(runnable);
    this.inBackground(later);
    const report = await executeActions(now, this.deps.engineOf, this.deps.log);
    this.done(report);
    const all = { done: [...report.done, ...later], failed: [...failed, ...report.failed] };
    for (const f of all.failed) this.deps.log.warn({ action: describeAction(f.action), error: f.error }, 'action failed');
    return all;
  }

  /** Pulls each image once per node; returns the `node image` pairs that failed, with why. */
  private async pullFor(starts: Start[]): Promise<Map<string, string>> {
    const wanted = new Map<string, { node: string; image: string }>();
    for (const a of starts) {
      const key = `${a.replica.node} ${a.replica.image}`;
      if (!this.pulled.has(key)) wanted.set(key, { node: a.replica.node, image: a.replica.image });
    }
    const failed = new Map<string, string>();
    await Promise.all(
      [...wanted.entries()].map(async ([key, { node, image }]) => {
        const engine = this.deps.engineOf(node);
        if (!engine) return; // the start reports the node
        try {
          await engine.pull(image);
          this.pulled.add(key);
        } catch (e) {
          failed.set(key, (e as Error).message);
        }
      }),
    );
    return failed;
  }

  /**
   * A stop can take the container's whole grace period (an engine that just restarted is
   * slow to answer, too): the loop does not wait for stops nothing else needs.
   */
  private inBackground(stops: Action[]): void {
    for (const a of stops) {
      if (a.kind !== 'stop' || this.stopping.has(a.containerId)) continue;
      this.stopping.add(a.containerId);
      void executeActions([a], this.deps.engineOf, this.deps.log)
        .then((r) => {
          this.done(r);
          r.failed.forEach((f) => this.deps.log.warn({ action: describeAction(f.action), error: f.error }, 'action failed'));
        })
        .finally(() => {
          this.stopping.delete(a.containerId);
          this.deps.onBackgroundDone();
        });
    }
  }
}
