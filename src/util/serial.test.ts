import { describe, expect, it } from 'vitest';
import { Serial } from './serial.ts';

describe('Serial', () => {
  it('never overlaps jobs and keeps going after a failure', async () => {
    const s = new Serial();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = s.run(async () => {
      log.push('a start');
      await gate;
      log.push('a end');
    });
    const b = s.run(async () => {
      log.push('b');
      throw new Error('boom');
    });
    const c = s.run(async () => {
      log.push('c');
      return 42;
    });
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    release();
    await a;
    await expect(b).rejects.toThrow('boom');
    expect(await c).toBe(42);
    expect(log).toEqual(['a start', 'a end', 'b', 'c']);
  });
});
