import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../controllers/event-log.ts';
import { ComponentSupervisor, type Component } from './component-supervisor.ts';

/** A component whose process the test switches off, and whose restarts the test can make fail. */
function fake(name: string) {
  const c = {
    name,
    running: true,
    restartFails: 0,
    restarts: 0,
    async alive() {
      return c.running;
    },
    async restart() {
      if (c.restartFails > 0) {
        c.restartFails--;
        throw new Error(`${name} cannot bind its port`);
      }
      c.restarts++;
      c.running = true;
    },
  };
  return c;
}

function world(components: Component[]) {
  const clock = { now: 1_000_000 };
  const events = new EventLog(1000, () => clock.now);
  const sup = new ComponentSupervisor(components, { events, log: pino({ level: 'silent' }), now: () => clock.now, backoff: { initialMs: 1000, maxMs: 8000 } });
  return { clock, events, sup };
}

describe('the component supervisor', () => {
  it('leaves running components alone', async () => {
    const ingress = fake('ingress');
    const { sup, events } = world([ingress]);
    await sup.check();
    expect(ingress.restarts).toBe(0);
    expect(events.list()).toEqual([]);
    expect(sup.status()).toMatchObject([{ name: 'ingress', state: 'up', restarts: 0, lastError: null }]);
  });

  it('tells what a component reports of itself while it is up, and only its error while it is down', async () => {
    const ingress = Object.assign(fake('ingress'), { detail: () => 'vcl mx1 active', restartFails: 1 });
    const { sup } = world([ingress]);
    await sup.check();
    expect(sup.status()[0]).toMatchObject({ state: 'up', detail: 'vcl mx1 active' });
    ingress.running = false;
    await sup.check();
    expect(sup.status()[0]).toMatchObject({ state: 'down', lastError: 'ingress cannot bind its port' });
    expect(sup.status()[0]).not.toHaveProperty('detail');
  });

  it('restarts a dead one at once and records its death and restart as events', async () => {
    const ingress = fake('ingress');
    const registry = fake('registry');
    const { sup, events } = world([ingress, registry]);
    ingress.running = false;
    await sup.check();
    expect([ingress.restarts, registry.restarts]).toEqual([1, 0]);
    expect(events.list().map((e) => [e.kind, e.subject])).toEqual([
      ['component-down', 'ingress'],
      ['component-restarted', 'ingress'],
    ]);
    expect(sup.status()[0]).toMatchObject({ state: 'up', restarts: 1 });
  });

  it('retries a failing restart with backoff, shows it down with the error meanwhile, and one failing part does not hold up another', async () => {
    const ingress = fake('ingress');
    const registry = fake('registry');
    const { sup, clock } = world([ingress, registry]);
    ingress.running = false;
    ingress.restartFails = 2;
    registry.running = false;
    await sup.check();
    expect(registry.restarts).toBe(1);
    expect(sup.status()[0]).toMatchObject({ name: 'ingress', state: 'down', lastError: 'ingress cannot bind its port' });
    await sup.check(); // within the backoff (1 s): no try
    expect(ingress.restartFails).toBe(1);
    clock.now += 1000;
    await sup.check(); // second try fails: the next waits 2 s
    expect(ingress.restartFails).toBe(0);
    clock.now += 1999;
    await sup.check();
    expect(ingress.restarts).toBe(0);
    clock.now += 1;
    await sup.check();
    expect(ingress.restarts).toBe(1);
    expect(sup.status()[0]).toMatchObject({ state: 'up', restarts: 1, lastError: null });
  });

  it('a component whose liveness check throws counts as dead, and one pass never runs two restarts of it', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const slow: Component = {
      name: 'registry',
      alive: async () => {
        throw new Error('proc unreadable');
      },
      restart: () =>
        new Promise<void>((r) => {
          calls++;
          release = r;
        }),
    };
    const { sup } = world([slow]);
    const first = sup.check();
    await sup.check(); // the first restart still runs: this pass skips it
    expect(calls).toBe(1);
    release();
    await first;
    expect(sup.status()[0]!.restarts).toBe(1);
  });
});
