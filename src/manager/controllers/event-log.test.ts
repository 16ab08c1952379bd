import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/sqlite-store.ts';
import { EventLog } from './event-log.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the event log', () => {
  it('keeps events in the store, so a restarted manager still knows them (and their ids go on)', () => {
    const d = mkdtempSync(join(tmpdir(), 'mx-events-'));
    dirs.push(d);
    const store = new SqliteStore(join(d, 'state.db'));
    const log = new EventLog(2, () => Date.UTC(2026, 10, 27), store);
    log.add({ kind: 'node-down', subject: 'node2', node: 'node2', message: 'node node2 is down' });
    log.add({ kind: 'rollback', subject: 'web', app: 'web', message: 'rolled web back' });
    log.add({ kind: 'node-up', subject: 'node2', node: 'node2', message: 'node node2 is up' });
    // in memory: the newest `limit`; in the store: all of them
    expect(log.list().map((e) => e.kind)).toEqual(['rollback', 'node-up']);
    expect(store.listEvents({ limit: 10 }).map((e) => e.id)).toEqual([1, 2, 3]);
    const restarted = new EventLog(2, Date.now, store);
    expect(restarted.list({ kind: 'rollback', subject: 'web' })).toHaveLength(1);
    expect(restarted.add({ kind: 'node-down', subject: 'node1', message: 'x' }).id).toBe(4);
    store.close();
  });

  it('tells an event the store cannot take in memory all the same, and reports the store error', () => {
    const errors: unknown[] = [];
    const broken = {
      addEvent: () => {
        throw new Error('disk full');
      },
      listEvents: () => [],
    };
    const log = new EventLog(10, Date.now, broken, (e) => errors.push(e));
    const e = log.add({ kind: 'node-down', subject: 'node2', message: 'node node2 is down' });
    expect(e.id).toBeUndefined();
    expect(log.list()).toEqual([e]);
    expect(String(errors[0])).toContain('disk full');
  });
});
