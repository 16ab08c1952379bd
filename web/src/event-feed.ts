/** The newest cluster events, fetched incrementally (`GET /v1/events?after=<id>`), at most `max` kept. */
import type { ClusterEvent } from '../../src/shared/api-types.ts';
import type { Api } from './api.ts';

export class EventFeed {
  private lastId: number | null = null;
  events: ClusterEvent[] = [];

  constructor(
    private readonly filter: Record<string, string> = {},
    private readonly max = 200,
  ) {}

  /** Fetches what is new; true when anything was. */
  async pull(api: Api, signal?: AbortSignal): Promise<boolean> {
    const query = { ...this.filter, limit: this.max, ...(this.lastId !== null ? { after: this.lastId } : {}) };
    const fresh = await api.events(query, signal);
    if (!fresh.length) return false;
    this.lastId = fresh.reduce((m, e) => Math.max(m, e.id ?? m), this.lastId ?? 0);
    this.events = [...this.events, ...fresh].slice(-this.max);
    return true;
  }
}
