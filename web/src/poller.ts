/**
 * The one timer of the dashboard: every 5 s (and at once after an action) it reads the
 * cluster (status, nodes, apps, replicas, new events, and /metrics while the manager serves
 * them) plus whatever the open page registered, then tells the listeners. Every third tick
 * at most (15 s apart), while a page that shows usage is open, it also starts a read of
 * /v1/stats, which costs the manager a second and every engine a stats call per container:
 * never two at once, and not waited for by the tick. It stops while the tab is hidden and
 * starts again, with a read at once, when the tab is shown.
 */
import type { AppSpec, AppSummary, NodeView, ReplicasView, StatsView, StatusView } from '../../src/shared/api-types.ts';
import { ApiError, type Api } from './api.ts';
import { EventFeed } from './event-feed.ts';
import { byLabel, parsePromText } from './prom-text.ts';
import { Timeline } from './timeline.ts';
import { usageGauges } from './usage.ts';

export const POLL_MS = 5000;
/** The least time between two reads of GET /v1/stats: every third tick. */
export const STATS_MS = 3 * POLL_MS;

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
  /** GET /v1/stats' newest answer (usage per node and app; null figures were not measured); null before the first. */
  stats: StatsView | null;
  /** Whether GET /v1/stats answers: after a 404 (an older manager) or 403 it is not asked again. */
  statsState: 'unknown' | 'ok' | 'unavailable';
  /** One sample per stats read: `cpu:<node>` (percent of its CPUs), `mem:<node>` (MiB). */
  usage: Timeline;
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
  /** Pages showing usage now (wantStats); none, no stats read. */
  private statsWanted = 0;
  /** When the last stats read started (performance.now(): a wall clock set back does not hold reads off). */
  private statsAt = -Infinity;
  private statsRead: AbortController | null = null;

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
      stats: null,
      statsState: 'unknown',
      usage: new Timeline(),
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
    this.statsRead?.abort();
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

  /** A page that shows usage (GET /v1/stats) asks for it while it is open; returns the release. */
  wantStats(): () => void {
    this.statsWanted++;
    let released = false;
    return () => {
      if (!released) this.statsWanted--;
      released = true;
    };
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
    this.readStats();
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

  /**
   * Starts a stats read when one is due: a page wants it, the manager answers the route, none
   * is under way and the last began STATS_MS ago or more (ticks are POLL_MS apart after the
   * previous one ended, so in steady state this is every third; an action's extra ticks never
   * make it sooner). A failure other than 404/403 keeps the previous answer (it has its time).
   */
  private readStats(): void {
    const now = performance.now();
    if (!this.statsWanted || this.view.statsState === 'unavailable' || this.statsRead || now - this.statsAt < STATS_MS) return;
    this.statsAt = now;
    const at = Date.now() / 1000;
    const ctl = new AbortController();
    this.statsRead = ctl;
    void this.api
      .stats(ctl.signal)
      .then(
        (stats) => {
          if (ctl.signal.aborted) return;
          this.view.usage.add(at, usageGauges(stats));
          this.set({ stats, statsState: 'ok' });
        },
        (e: unknown) => {
          if (!ctl.signal.aborted && e instanceof ApiError && (e.status === 404 || e.status === 403)) this.set({ stats: null, statsState: 'unavailable' });
        },
      )
      .finally(() => {
        if (this.statsRead === ctl) this.statsRead = null;
      });
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
