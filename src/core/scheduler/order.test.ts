import { describe, expect, it } from 'vitest';
import { schedulingOrder } from './order.ts';
import { app } from './test-fixtures.ts';

describe('scheduling order', () => {
  it('is by name when nothing relates apps', () => {
    expect(schedulingOrder([app('web'), app('db'), app('api')])).toEqual(['api', 'db', 'web']);
  });

  it('puts an affinity target first even when listed after', () => {
    expect(schedulingOrder([app('a-web', { affinity: ['db'] }), app('db')])).toEqual(['db', 'a-web']);
  });

  it('puts dependencies first (colocated or not), transitively', () => {
    const order = schedulingOrder([
      app('a', { dependsOn: [{ app: 'b', colocate: false }] }),
      app('b', { dependsOn: [{ app: 'c', colocate: true }] }),
      app('c'),
      app('z'),
    ]);
    expect(order).toEqual(['c', 'b', 'a', 'z']);
  });

  it('puts pinned apps first, by name', () => {
    expect(schedulingOrder([app('a'), app('p2', { pins: [] }), app('p1', { pins: [] })])).toEqual(['p1', 'p2', 'a']);
  });

  it('ignores unknown apps and self references', () => {
    expect(schedulingOrder([app('b', { affinity: ['ghost', 'b'] }), app('a', { dependsOn: [{ app: 'a', colocate: true }] })])).toEqual(['a', 'b']);
  });

  it('breaks a cycle at its smallest name, after what the cycle waits for', () => {
    const apps = [
      app('x', { affinity: ['y'] }),
      app('y', { affinity: ['x', 'base'] }),
      app('base'),
      app('a', { affinity: ['y'] }), // downstream of the cycle: must come after it
    ];
    expect(schedulingOrder(apps)).toEqual(['base', 'x', 'y', 'a']);
    expect(schedulingOrder([...apps].reverse())).toEqual(['base', 'x', 'y', 'a']);
  });

  it('lists every app exactly once', () => {
    const apps = Array.from({ length: 30 }, (_, i) =>
      app(`app${i}`, { affinity: [`app${(i * 7) % 30}`], dependsOn: [{ app: `app${(i + 1) % 30}`, colocate: false }] }),
    );
    const order = schedulingOrder(apps);
    expect([...order].sort()).toEqual(apps.map((a) => a.name).sort());
  });
});
