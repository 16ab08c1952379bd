/** `matrix events`: what happened in the cluster and why, from the manager's event store. */
import type { Command } from 'commander';
import { MatrixError } from '../../core/errors.ts';
import { EVENT_KINDS, type ClusterEvent } from '../../shared/api-types.ts';
import { ApiClient } from '../api-client.ts';
import { atFlags, wantsJson } from '../output.ts';

export interface EventsOptions {
  app?: string;
  node?: string;
  kind?: string;
  since?: string;
  tail?: string;
  follow?: boolean;
  output: string;
}

const FOLLOW_EVERY_MS = 1000;

/** Pure: the `GET /v1/events` query of the options (`after`: the last id seen, when following). */
export function eventsQueryString(o: EventsOptions, after?: number): string {
  const q = new URLSearchParams();
  for (const k of ['app', 'node', 'kind', 'since'] as const) if (o[k] !== undefined) q.set(k, o[k]);
  if (after !== undefined) {
    q.set('after', String(after));
    q.set('limit', '1000');
  } else if (o.tail !== undefined) {
    if (!/^\d{1,4}$/.test(o.tail) || Number(o.tail) < 1 || Number(o.tail) > 1000)
      throw new MatrixError('E_BAD_REQUEST', 'must be an integer in 1..1000', { path: '--tail' });
    q.set('limit', o.tail);
  }
  return q.toString();
}

/** Pure: one line of text per event: time (UTC, to the second), kind, what happened and why. */
export function eventLine(e: ClusterEvent): string {
  return `${e.at.slice(0, 19)}Z  ${e.kind.padEnd(19)} ${e.message}`;
}

export function eventsCommands(program: Command): void {
  program
    .command('events')
    .description(
      'what happened in the cluster and why, oldest first: deploys, replicas started (and why there), stopped and failed, nodes up and down, rollbacks, ingress reloads',
    )
    .option('--app <app>', 'only events of this app')
    .option('--node <node>', 'only events on this node')
    .option('--kind <kind>', `only this kind: ${EVENT_KINDS.join(', ')}`)
    .option('--since <when>', 'only since then: a duration back from now (30s, 10m, 2h) or an ISO time')
    .option('--tail <n>', 'the last n events that match (1..1000, default 200)')
    .option('-f, --follow', 'then keep printing new events as they happen (Ctrl-C stops)')
    .option('-o, --output <format>', 'text, or json: one JSON object per line', 'text')
    .action(async (o: EventsOptions) => {
      const json = wantsJson(o);
      const api = ApiClient.fromEnv();
      const print = (e: ClusterEvent) => console.log(json ? JSON.stringify(e) : eventLine(e));
      let events = await atFlags(api.events(eventsQueryString(o)), { since: '--since', app: '--app', node: '--node', kind: '--kind', limit: '--tail' });
      if (!events.length && !o.follow && !json) console.error('no events match');
      events.forEach(print);
      let last = events.at(-1)?.id ?? 0;
      while (o.follow) {
        await new Promise((r) => setTimeout(r, FOLLOW_EVERY_MS));
        events = await api.events(eventsQueryString(o, last));
        events.forEach(print);
        last = events.at(-1)?.id ?? last;
      }
    });
}
