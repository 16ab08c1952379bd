import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EMPTY_SNAPSHOT, type PublishedState } from '../../core/snapshot.ts';
import { backoffMs } from '../../util/backoff.ts';
import { ConsumerRunner } from './consumers.ts';
import { EventLog } from './event-log.ts';

const state = (version: number, generation = 1): PublishedState => ({ snapshot: EMPTY_SNAPSHOT, routes: [], version, generation, apps: [], warming: [] });
const log = pino({ level: 'silent' });

/** A runner over an ingress-like consumer that throws while `target.fail` is set. */
function ingressRunner(target: { fail: boolean }, events: EventLog, backoff: { initialMs: number; maxMs: number }): ConsumerRunner {
  const apply = async () => {
    if (target.fail) throw new Error('no varnish');
  };
  return new ConsumerRunner({ name: 'ingress', apply }, log, events, backoff);
}

describe('ConsumerRunner', () => {
  it('applies one state at a time and skips to the newest offered', async () => {
    const seen: number[] = [];
    let release: () => void = () => undefined;
    const runner = new ConsumerRunner(
      {
        name: 'slow',
        apply: (s) => {
          seen.push(s.version);
          return new Promise<void>((r) => (release = r));
        },
      },
      log,
      new EventLog(),
    );
    runner.offer(state(1));
    runner.offer(state(2));
    runner.offer(state(3)); // 2 is never applied: 3 is newer by the time 1 is done
    expect(seen).toEqual([1]);
    release();
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([1, 3]);
    release();
    await runner.settled();
    expect(runner.status()).toMatchObject({ state: 'ok', applied: 3, offered: 3, failures: 0 });
  });

  it('backs off exponentially, capped, and resets after a success', () => {
    const b = { initialMs: 250, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => backoffMs(n, b))).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('reports a failing consumer once, with its error, and recovers', async () => {
    const events = new EventLog();
    const target = { fail: true };
    const runner = ingressRunner(target, events, { initialMs: 1, maxMs: 2 });
    runner.offer(state(1));
    for (let i = 0; i < 50 && runner.status().failures < 3; i++) await new Promise((r) => setTimeout(r, 2));
    expect(runner.status()).toMatchObject({ state: 'failing', lastError: 'no varnish', applied: 0 });
    expect(events.list().map((e) => e.kind)).toEqual(['consumer-failing']);
    target.fail = false;
    for (let i = 0; i < 50 && runner.status().state !== 'ok'; i++) await new Promise((r) => setTimeout(r, 2));
    expect(runner.status()).toMatchObject({ state: 'ok', applied: 1, failures: 0 });
    expect(events.list().map((e) => e.kind)).toEqual(['consumer-failing', 'consumer-recovered']);
    runner.stop();
  });

  it('tells the desired generation it applies from the one it has been offered while it fails', async () => {
    const target = { fail: false };
    const runner = ingressRunner(target, new EventLog(), { initialMs: 1, maxMs: 2 });
    runner.offer(state(1, 4));
    await runner.settled();
    expect(runner.status()).toMatchObject({ appliedGeneration: 4, offeredGeneration: 4 });
    target.fail = true;
    runner.offer(state(2, 5));
    for (let i = 0; i < 50 && runner.status().failures < 2; i++) await new Promise((r) => setTimeout(r, 2));
    expect(runner.status()).toMatchObject({ state: 'failing', appliedGeneration: 4, offeredGeneration: 5 });
    runner.stop();
  });

  it('retries at once when told its target was mended, instead of waiting out the backoff', async () => {
    const target = { fail: true };
    const runner = ingressRunner(target, new EventLog(), { initialMs: 60_000, maxMs: 60_000 });
    runner.offer(state(1));
    await runner.settled();
    expect(runner.status()).toMatchObject({ state: 'failing', applied: 0 });
    expect(runner.status().nextRetryAt).toBeDefined();
    target.fail = false;
    runner.retryNow();
    await runner.settled();
    expect(runner.status()).toMatchObject({ state: 'ok', applied: 1, failures: 0 });
    expect(runner.status().nextRetryAt).toBeUndefined();
    runner.stop();
  });

  it('passes a node going down to its consumer with the state it last applied, and swallows its failure', async () => {
    const seen: { node: string; version: number | null }[] = [];
    let fail = false;
    const runner = new ConsumerRunner(
      {
        name: 'ingress',
        apply: async () => undefined,
        nodeDown: async (node, last) => {
          seen.push({ node, version: last?.version ?? null });
          if (fail) throw new Error('admin port gone');
        },
      },
      log,
      new EventLog(),
    );
    await runner.nodeDown('n3'); // nothing applied yet
    runner.offer(state(4));
    await runner.settled();
    fail = true;
    await expect(runner.nodeDown('n2')).resolves.toBeUndefined();
    runner.stop();
    await runner.nodeDown('n1'); // stopped: not passed on
    expect(seen).toEqual([
      { node: 'n3', version: null },
      { node: 'n2', version: 4 },
    ]);
    // a consumer without the hook is fine
    await new ConsumerRunner({ name: 'x', apply: async () => undefined }, log, new EventLog()).nodeDown('n1');
  });
});
