import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../core/errors.ts';
import { eventLine, eventsQueryString } from './events.ts';

describe('matrix events', () => {
  it('asks for what the options say; following asks only for what came after the last event seen', () => {
    expect(eventsQueryString({ output: 'text' })).toBe('');
    expect(eventsQueryString({ output: 'text', app: 'web', node: 'node2', kind: 'node-down', since: '10m', tail: '50' })).toBe(
      'app=web&node=node2&kind=node-down&since=10m&limit=50',
    );
    expect(eventsQueryString({ output: 'text', app: 'a b&c', tail: '50' }, 41)).toBe('app=a+b%26c&after=41&limit=1000');
    for (const tail of ['0', '1001', 'x', '-3', '1.5']) {
      expect(() => eventsQueryString({ output: 'text', tail })).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: '--tail' }) as MatrixError);
    }
  });

  it('prints one line per event: time to the second, kind, what happened and why', () => {
    expect(
      eventLine({
        id: 7,
        at: '2026-11-27T10:41:08.123Z',
        kind: 'replica-started',
        subject: 'web.2',
        message: 'web.2 started on node3: moved from node2: node2 down since 10:41:07',
      }),
    ).toBe('2026-11-27T10:41:08Z  replica-started     web.2 started on node3: moved from node2: node2 down since 10:41:07');
  });
});
