/**
 * Keeps the manager's own processes running (Varnish, the registry), as it keeps the apps
 * running: every tick each component is checked; a dead one is restarted with backoff, and
 * its death and restart are logged and recorded as events. A component that cannot be
 * restarted stays down and is tried again later; it never holds up the others or the loop.
 */
import type { Logger } from 'pino';
import type { ComponentStatus } from '../../shared/api-types.ts';
import { backoffMs, type Backoff } from '../../util/backoff.ts';
import type { EventLog } from '../controllers/event-log.ts';

export interface Component {
  name: string;
  /** Cheap: is its process there? */
  alive(): Promise<boolean>;
  /** Starts it again; resolves once it serves (Varnish: with the current VCL already loaded). */
  restart(): Promise<void>;
  /** What an operator wants to know of it besides up or down (Varnish: the active VCL). */
  detail?(): string | null;
}

interface State {
  up: boolean;
  since: number;
  restarts: number;
  failures: number;
  nextTry: number;
  lastError: string | null;
  busy: boolean;
}

export const COMPONENT_BACKOFF: Backoff = { initialMs: 250, maxMs: 10_000 };

export class ComponentSupervisor {
  private readonly states = new Map<string, State>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly components: readonly Component[],
    private readonly deps: { events: EventLog; log: Logger; now?: () => number; backoff?: Backoff },
  ) {
    for (const c of components) this.states.set(c.name, { up: true, since: this.now(), restarts: 0, failures: 0, nextTry: 0, lastError: null, busy: false });
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  start(intervalMs = 250): void {
    this.timer ??= setInterval(() => void this.check(), intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One look at every component, each on its own (a slow restart holds up only itself). */
  async check(): Promise<void> {
    await Promise.all(this.components.map((c) => this.checkOne(c)));
  }

  status(): ComponentStatus[] {
    return this.components.map((c) => {
      const s = this.states.get(c.name)!;
      const detail = s.up ? (c.detail?.() ?? null) : null;
      return {
        name: c.name,
        state: s.up ? 'up' : 'down',
        since: new Date(s.since).toISOString(),
        restarts: s.restarts,
        lastError: s.lastError,
        ...(detail ? { detail } : {}),
      };
    });
  }

  private async checkOne(c: Component): Promise<void> {
    const s = this.states.get(c.name)!;
    if (s.busy) return;
    s.busy = true;
    try {
      if (await c.alive().catch(() => false)) {
        if (!s.up) Object.assign(s, { up: true, since: this.now() });
        return;
      }
      if (s.up) {
        Object.assign(s, { up: false, since: this.now(), failures: 0, nextTry: 0 });
        this.deps.log.warn({ component: c.name }, 'component died; restarting it');
        this.deps.events.add({ kind: 'component-down', subject: c.name, message: `${c.name} is not running; restarting it` });
      }
      if (this.now() < s.nextTry) return;
      try {
        await c.restart();
        Object.assign(s, { up: true, since: this.now(), restarts: s.restarts + 1, failures: 0, lastError: null });
        this.deps.log.info({ component: c.name, restarts: s.restarts }, 'component restarted');
        this.deps.events.add({ kind: 'component-restarted', subject: c.name, message: `${c.name} was restarted (restart ${s.restarts})` });
      } catch (e) {
        s.failures++;
        s.lastError = (e as Error).message.slice(0, 500);
        s.nextTry = this.now() + backoffMs(s.failures, this.deps.backoff ?? COMPONENT_BACKOFF);
        this.deps.log.error({ component: c.name, err: s.lastError, failures: s.failures }, 'component restart failed');
      }
    } finally {
      s.busy = false;
    }
  }
}
