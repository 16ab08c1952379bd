/**
 * Consumers of the snapshot: everything that publishes the cluster to the outside (the
 * Varnish ingress now; DNS, TLS, metrics and the dashboard later). The loop offers each
 * consumer every new PublishedState and moves on at once: a consumer applies the newest
 * state it has been offered, one apply at a time, and a failing one is reported (log, event,
 * `matrix status`) and retried with exponential backoff, never holding up the loop.
 */
import type { Logger } from 'pino';
import type { PublishedState } from '../../core/snapshot.ts';
import type { ConsumerStatus } from '../../shared/api-types.ts';
import { backoffMs, type Backoff } from '../../util/backoff.ts';
import type { EventLog } from './event-log.ts';

export type { ConsumerStatus };

export interface SnapshotConsumer {
  readonly name: string;
  /** Makes the outside world match `state`; throws when it cannot. */
  apply(state: PublishedState): Promise<void>;
  /**
   * A node stopped answering: act on it now, ahead of the state that will drop its replicas
   * (the loop still has to plan and publish it). Best effort; `last` is the newest state
   * this consumer has made true outside.
   */
  nodeDown?(node: string, last: PublishedState | null): Promise<void>;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 10_000 };

export class ConsumerRunner {
  private latest: PublishedState | null = null;
  private lastApplied: PublishedState | null = null;
  private applied = 0;
  private busy = false;
  private failures = 0;
  private lastError: string | undefined;
  private failingSince: number | undefined;
  private retryAt: number | undefined;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly consumer: SnapshotConsumer,
    private readonly log: Logger,
    private readonly events: EventLog,
    private readonly backoff: Backoff = DEFAULT_BACKOFF,
    private readonly now: () => number = Date.now,
  ) {}

  get name(): string {
    return this.consumer.name;
  }

  /** Takes the newest state; applies it now unless an apply runs or a retry is pending. */
  offer(state: PublishedState): void {
    if (this.stopped) return;
    this.latest = state;
    if (!this.busy && this.timer === null) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.latest && this.latest.version > this.applied && !this.stopped) {
        const state = this.latest;
        try {
          await this.consumer.apply(state);
          this.applied = state.version;
          this.lastApplied = state;
          this.recovered();
        } catch (e) {
          this.failed(e);
          const wait = backoffMs(this.failures, this.backoff);
          this.retryAt = this.now() + wait;
          this.timer = setTimeout(() => {
            this.timer = null;
            this.retryAt = undefined;
            void this.drain();
          }, wait);
          this.timer.unref?.();
          return;
        }
      }
    } finally {
      this.busy = false;
      this.notifyIdle(); // applied, or a retry is pending: either way this apply is over
    }
  }

  private failed(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.failures++;
    if (this.failingSince === undefined) {
      this.failingSince = this.now();
      this.events.add({ kind: 'consumer-failing', subject: this.name, message: `${this.name} fails: ${message}; retrying with backoff` });
    }
    if (message !== this.lastError)
      this.log.error({ consumer: this.name, failures: this.failures, err: message }, `${this.name} failed to apply the cluster state`);
    this.lastError = message;
  }

  private recovered(): void {
    if (this.failingSince !== undefined) {
      this.events.add({ kind: 'consumer-recovered', subject: this.name, message: `${this.name} applies again after ${this.failures} failed attempts` });
      this.log.info({ consumer: this.name, failures: this.failures }, `${this.name} recovered`);
    }
    this.failures = 0;
    this.lastError = undefined;
    this.failingSince = undefined;
  }

  private notifyIdle(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  /** Drops a pending backoff and tries again now: what it failed on has just been mended. */
  retryNow(): void {
    if (this.timer === null || this.stopped) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.retryAt = undefined;
    void this.drain();
  }

  /** Passes a node's failure on to the consumer at once; a failure here is logged, never thrown (the next state covers it). */
  async nodeDown(node: string): Promise<void> {
    if (this.stopped || !this.consumer.nodeDown) return;
    try {
      await this.consumer.nodeDown(node, this.lastApplied);
    } catch (e) {
      this.log.warn({ consumer: this.name, node, err: e instanceof Error ? e.message : String(e) }, `${this.name} could not act on node ${node} going down`);
    }
  }

  /** Resolves once the newest offered state is applied or a retry is pending (for tests and shutdown). */
  settled(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** The newest state this consumer has made true outside (null before its first success). */
  appliedState(): PublishedState | null {
    return this.lastApplied;
  }

  status(): ConsumerStatus {
    const offered = this.latest?.version ?? 0;
    return {
      name: this.name,
      state: this.failingSince !== undefined ? 'failing' : offered > this.applied ? 'waiting' : 'ok',
      applied: this.applied,
      offered,
      appliedGeneration: this.lastApplied?.generation ?? 0,
      offeredGeneration: this.latest?.generation ?? 0,
      failures: this.failures,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.failingSince !== undefined ? { failingSince: new Date(this.failingSince).toISOString() } : {}),
      ...(this.retryAt !== undefined ? { nextRetryAt: new Date(this.retryAt).toISOString() } : {}),
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.notifyIdle();
  }
}
