import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../shared/api-types.ts';
import { logLineText, logsQueryString, newErrors } from './logs.ts';

const line = (replica: string, node: string, text: string, stream: LogLine['stream'] = 'stdout'): LogLine => ({
  at: '2026-11-27T10:00:00.000000000Z',
  replica,
  node,
  stream,
  text,
});

describe('matrix logs', () => {
  it('asks for the tail and since it was given, and checks the tail', () => {
    expect(logsQueryString({ output: 'text' })).toBe('');
    expect(logsQueryString({ output: 'text', tail: '50', since: '10m' })).toBe('tail=50&since=10m');
    for (const tail of ['0', '10001', 'x', '-1', '1e3'])
      expect(() => logsQueryString({ output: 'text', tail })).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: '--tail' }));
  });

  it('when following, asks for everything after the last line seen', () => {
    expect(logsQueryString({ output: 'text', tail: '5', since: '1h' }, '2026-11-27T10:00:00.000000001Z')).toBe(
      'after=2026-11-27T10%3A00%3A00.000000001Z&tail=10000',
    );
  });

  it('prefixes each line with its replica and node, aligned, marks stderr, and adds the time when asked', () => {
    expect(logLineText(line('web.0', 'node1', 'GET / 200'), 14)).toBe('web.0 node1    | GET / 200');
    expect(logLineText(line('web.10', 'node3', 'boom', 'stderr'), 14)).toBe('web.10 node3   | [err] boom');
    expect(logLineText(line('web.0', 'node1', 'x'), 0, true)).toBe('2026-11-27T10:00:00.000000000Z web.0 node1 | x');
  });

  it('says each unreadable replica once, however often it is polled', () => {
    const said = new Set<string>();
    const view = { lines: [], errors: [{ replica: 'web.1', node: 'node2', message: 'cannot read its logs from node2: timeout' }] };
    expect(newErrors(view, said)).toEqual(['web.1: cannot read its logs from node2: timeout']);
    expect(newErrors(view, said)).toEqual([]);
  });
});
