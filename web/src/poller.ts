/**
 * The one timer of the dashboard: every 5 s (and at once after an action) it reads the
 * cluster (status, nodes, apps, replicas, new events, and /metrics while the manager serves
 * them) plus whatever the open page registered, then tells the listeners. It stops while the
 * tab is hidden and starts again, with a read at once, when the tab is shown.
 */
import type { AppSpec, AppSummary, NodeView, ReplicasView, StatusView } from '../../src/shared/api-types.ts';
import { ApiError, type Api } from './api.ts';
import { EventFeed } from './event-feed.ts';
import { byLabel, parsePromText } from './prom-text.ts';
import { Timeline } from './timeline.ts';

export const POLL_MS = 5000;

export interface ClusterView {
  status: StatusView | null;
  nodes: NodeView[];
  apps: AppSummary[];
  replicas: ReplicasView;
  events: EventFeed['events'];
  /** Every app's spec (resources), read again when an app's revision changes. */
  specs: ReadonlyMap<string, AppSpec>;
  /** Whether GET /metrics answers (requests per app come from there). */
  metrics: 'unknown' | 'ok' | 'unavailable';
  timeline: Timeline;
  /** When the last read finished (ms); null before the first. */
  updatedAt: number | null;
  /** The last read's failure, shown over the (older) data. */
  error: ApiError | null;
  paused: boolean;
}

/** Something a page reads at each tick (an app's details); it keeps what it read itself. */
export type PollTask = (signal: AbortSignal) => Promise<void>;

export class Poller {
  view: ClusterView;
  private readonly feed = new EventFeed();
  private readonly listeners = new Set<(v: ClusterView) => void>();
  private readonly tasks = new Set<PollTask>();
  private timer: number | null = null;
  private running: AbortController | null = null;
  private again = false;
  private stopped = true;
  private specsKey = '';

  constructor(
    private readonly api: Api,
    /** The token stopped working (revoked, manager's token file replaced). */
    private readonly onAuthLost: (e: ApiError) => void,
  ) {
    this.view = {
      status: null,
      nodes: [],
      apps: [],
      replicas: { replicas: [], desired: 0, unplaced: [] },
      events: [],
      specs: new Map(),
      metrics: 'unknown',
      timeline: new Timeline(),
      updatedAt: null,
      error: null,
      paused: false,
    };
  }

  private readonly onVisibility = () => {
    if (document.visibilityState === 'hidden') return; // the pending timer finds the tab hidden and stops
    if (this.view.paused) {
      this.set({ paused: false });
      this.refresh();
    }
  };

  start(): void {
    this.stopped = false;
    document.addEventListener('visibilitychange', this.onVisibility);
    this.refresh();
  }

  stop(): void {
    this.stopped = true;
    document.removeEventListener('visibilitychange', this.onVisibility);
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    this.running?.abort();
  }

  subscribe(fn: (v: ClusterView) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Registers a page's read, runs it at once with the next tick, and returns its removal. */
  addTask(task: PollTask): () => void {
    this.tasks.add(task);
    this.refresh();
    return () => this.tasks.delete(task);
  }

  /** Read now (after an action, or a task was added); a read under way is followed by another. */
  refresh(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    void this.tick();
  }

  private set(patch: Partial<ClusterView>): void {
    this.view = { ...this.view, ...patch };
    for (const fn of this.listeners) fn(this.view);
  }

  private async tick(): Promise<void> {
    if (document.visibilityState === 'hidden') {
      this.set({ paused: true });
      return;
    }
    const ctl = new AbortController();
    this.running = ctl;
    // a page's task shows its own failures; the cluster's read decides whether the tick failed
    const tasks = Promise.allSettled([...this.tasks].map((t) => t(ctl.signal)));
    try {
      await this.readCluster(ctl.signal).finally(() => tasks);
      this.set({ error: null, updatedAt: Date.now() });
    } catch (e) {
      if (ctl.signal.aborted) return;
      if (e instanceof ApiError && (e.code === 'E_AUTH' || e.status === 401)) {
        this.stop();
        this.onAuthLost(e);
        return;
      }
      this.set({ error: e instanceof ApiError ? e : new ApiError(0, { code: 'E_INTERNAL', message: String(e) }) });
    } finally {
      this.running = null;
    }
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      void this.tick();
    } else {
      this.timer = window.setTimeout(() => {
        this.timer = null;
        void this.tick();
      }, POLL_MS);
    }
  }

  private async readCluster(signal: AbortSignal): Promise<void> {
    const api = this.api;
    const [status, nodes, apps, replicas, metricsText] = await Promise.all([
      api.status(signal),
      api.nodes(signal),
      api.apps(signal),
      api.replicas(signal),
      this.view.metrics === 'unavailable' ? Promise.resolve(null) : api.metrics(signal).catch((e: unknown) => (e instanceof ApiError ? e : Promise.reject(e))),
      this.feed.pull(api, signal),
    ]);
    let metrics = this.view.metrics;
    const gauges = new Map<string, number>([
      ['total:desired', apps.reduce((s, a) => s + a.desired, 0)],
      ['total:running', apps.reduce((s, a) => s + a.running, 0)],
      ['total:serving', apps.reduce((s, a) => s + a.serving, 0)],
    ]);
    for (const a of apps) gauges.set(`running:${a.name}`, a.running);
    const counters = new Map<string, number>();
    if (metricsText instanceof ApiError) {
      // a manager without metrics (404) or a token that may not read them: ask no more
      if (metricsText.status === 404 || metricsText.status === 403) metrics = 'unavailable';
    } else if (typeof metricsText === 'string') {
      metrics = 'ok';
      const samples = parsePromText(metricsText);
      for (const [app, v] of byLabel(samples, 'matrix_app_requests_total', 'app')) counters.set(`req:${app}`, v);
      for (const [app, v] of byLabel(samples, 'matrix_app_request_failures_total', 'app')) counters.set(`fail:${app}`, v);
    }
    this.view.timeline.add(Date.now() / 1000, gauges, counters);
    const specs = await this.readSpecs(apps, signal);
    this.set({ status, nodes, apps, replicas, events: this.feed.events, metrics, specs });
  }

  /** The specs change only with a revision (resources are part of it): read /v1/deployment only then. */
  private async readSpecs(apps: readonly AppSummary[], signal: AbortSignal): Promise<ReadonlyMap<string, AppSpec>> {
    const key = apps.map((a) => `${a.name}@${a.revision}`).join(' ');
    if (key === this.specsKey) return this.view.specs;
    const d = await this.api.deployment(signal);
    this.specsKey = key;
    return new Map((d?.apps ?? []).map((a) => [a.name, a]));
  }
}
