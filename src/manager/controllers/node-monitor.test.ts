/**
 * NodeMonitor with engines whose pings the test answers by hand: a node that is down is pinged
 * beside the passes, so an observation never waits on a dead node's ping.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { NodeEngine } from '../nodes/engine.ts';
import type { StoredNode } from '../store/store.ts';
import { NodeMonitor } from './node-monitor.ts';

const node = (name: string, i: number): StoredNode => ({
  name,
  address: `10.0.0.${i}`,
  enginePort: 2376,
  labels: {},
  availability: 'active',
  driver: null,
  subnet: i,
});
const NODES = [node('n1', 1), node('n2', 2)];
/** Lets every settled promise's callbacks run. */
const flush = () => new Promise((r) => setImmediate(r));

/** An engine whose pings stay pending until the test answers them. */
function manualEngine(): NodeEngine & { pings: ((up: boolean) => void)[] } {
  const pings: ((up: boolean) => void)[] = [];
  return {
    pings,
    ping: () => new Promise<boolean>((res) => pings.push(res)),
    info: async () => ({ capacity: { cpus: 1, memoryMb: 1024 }, labels: {}, version: 'test' }),
    listManaged: async () => [],
    pull: async () => undefined,
    start: async () => 'c',
    stop: async () => undefined,
  };
}

function world() {
  const n2 = manualEngine();
  const live: NodeEngine = { ...manualEngine(), ping: async () => true };
  let changes = 0;
  const monitor = new NodeMonitor({
    engines: (n) => (n.name === 'n2' ? n2 : live),
    probe: async () => true,
    log: pino({ level: 'silent' }),
    pingTimeoutMs: 800,
    onChange: () => changes++,
  });
  const stateOf = async (at: number) => (await monitor.observe(NODES, [], at)).nodes.find((n) => n.name === 'n2')!.state;
  return { n2, monitor, stateOf, changes: () => changes };
}

/** A world whose n2 failed its first ping (in the first observation): down. */
async function downWorld(): Promise<ReturnType<typeof world>> {
  const w = world();
  const first = w.stateOf(1);
  await flush();
  w.n2.pings.shift()!(false);
  expect(await first).toBe('down');
  return w;
}

describe('NodeMonitor and a node that is down', () => {
  it('does not wait on its ping: an observation ends while that ping is still under way', async () => {
    const w = await downWorld();
    // the next observations end with n2's ping unanswered, and start no second one beside it
    expect(await w.stateOf(2)).toBe('down');
    expect(await w.stateOf(3)).toBe('down');
    expect(w.n2.pings).toHaveLength(1);
  });

  it('looks at it in full again once a ping beside the passes answers, and asks for a pass at once', async () => {
    const w = await downWorld();
    expect(await w.stateOf(2)).toBe('down');

    w.n2.pings.shift()!(true); // it answers again
    await flush();
    expect(w.changes()).toBe(1);
    const next = w.stateOf(3);
    await flush();
    w.n2.pings.shift()!(true); // the full look pings it in the pass once more
    expect(await next).toBe('up');
  });

  it('a ping beside the passes that fails leaves it down, and the next pass pings again', async () => {
    const w = await downWorld();
    await w.stateOf(2);
    w.n2.pings.shift()!(false);
    await flush();
    expect(await w.stateOf(3)).toBe('down');
    expect(w.n2.pings).toHaveLength(1); // a new one, under way
    expect(w.changes()).toBe(0);
  });
});
