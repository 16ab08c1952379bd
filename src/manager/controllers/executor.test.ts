import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Action } from '../../core/model.ts';
import type { NodeEngine } from '../nodes/engine.ts';
import { Executor } from './executor.ts';

/** An engine that only counts stops. */
function engine() {
  const stops: string[] = [];
  const e = {
    stops,
    ping: async () => true,
    info: async () => ({ capacity: { cpus: 1, memoryMb: 1024 }, labels: {}, version: 'test' }),
    listManaged: async () => [],
    pull: async () => undefined,
    start: async () => 'new',
    stop: async (id: string) => void stops.push(id),
  } satisfies NodeEngine & { stops: string[] };
  return e;
}

const stop = (containerId: string): Action => ({ kind: 'stop', node: 'n1', containerId, app: 'web', id: 'web.0', reason: 'not in plan' });

describe('the executor', () => {
  it('stops a container once, even when an observation made before its removal still lists it', async () => {
    const e = engine();
    let done = 0;
    const x = new Executor({ engineOf: () => e, log: pino({ level: 'silent' }), onBackgroundDone: () => done++ });
    await x.run([stop('c1')]);
    for (let i = 0; i < 50 && done === 0; i++) await new Promise((r) => setTimeout(r, 1)); // a stop nothing waits for runs in the background
    expect(e.stops).toEqual(['c1']);
    x.observed(new Set(['c1'])); // a stale list: c1 still in it
    expect(x.isStopping('c1')).toBe(true);
    await x.run([stop('c1')]);
    expect(e.stops).toEqual(['c1']);
    // once the nodes no longer list it, a container of that id would be a new one: stopped again
    x.observed(new Set());
    expect(x.isStopping('c1')).toBe(false);
  });

  it('tries again a stop whose container is still listed a minute later', async () => {
    const e = engine();
    let done = 0;
    const x = new Executor({ engineOf: () => e, log: pino({ level: 'silent' }), onBackgroundDone: () => done++ });
    await x.run([stop('c1')]);
    for (let i = 0; i < 50 && done === 0; i++) await new Promise((r) => setTimeout(r, 1));
    x.observed(new Set(['c1']), Date.now() + 61_000);
    expect(x.isStopping('c1')).toBe(false);
  });
});
