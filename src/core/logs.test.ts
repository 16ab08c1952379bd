import { describe, expect, it } from 'vitest';
import { demuxLogs, demuxText, dockerSince, logLines, mergeLogs, normalizeLogTime } from './logs.ts';
import { logFrame as frame } from './testdata/log-frame.ts';

describe('reading an engine log answer', () => {
  it('splits multiplexed frames by stream', () => {
    const buf = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err one\n'), frame(1, 'out two\n')]);
    expect(demuxLogs(buf)).toEqual([
      { stream: 'stdout', text: 'out one\n' },
      { stream: 'stderr', text: 'err one\n' },
      { stream: 'stdout', text: 'out two\n' },
    ]);
    expect(demuxText(buf)).toBe('out one\nerr one\nout two\n');
  });

  it("takes a TTY container's raw text as stdout, and an empty answer as nothing", () => {
    expect(demuxLogs(Buffer.from('2026-11-27T10:00:00Z hello\n'))).toEqual([{ stream: 'stdout', text: '2026-11-27T10:00:00Z hello\n' }]);
    expect(demuxLogs(Buffer.alloc(0))).toEqual([]);
  });

  it('keeps a frame cut short at the end as far as it goes', () => {
    const whole = frame(1, 'abcdef');
    expect(demuxLogs(whole.subarray(0, whole.length - 2))).toEqual([{ stream: 'stdout', text: 'abcd' }]);
  });
});

describe('log times', () => {
  it('pads the fraction to 9 digits, so that times order as strings', () => {
    expect(normalizeLogTime('2026-11-27T10:00:00.5Z x')).toBe('2026-11-27T10:00:00.500000000Z');
    expect(normalizeLogTime('2026-11-27T10:00:00Z')).toBe('2026-11-27T10:00:00.000000000Z');
    expect(normalizeLogTime('2026-11-27T10:00:00.123456789Z')).toBe('2026-11-27T10:00:00.123456789Z');
    expect(normalizeLogTime('hello')).toBeNull();
    // Docker trims trailing zeros: as written, .5 would sort after .123; normalized it does not
    expect(normalizeLogTime('2026-11-27T10:00:00.5Z')! > normalizeLogTime('2026-11-27T10:00:00.123Z')!).toBe(true);
    expect(normalizeLogTime('2026-11-27T10:00:00.05Z')! < normalizeLogTime('2026-11-27T10:00:00.123Z')!).toBe(true);
  });

  it("gives Docker's since as Unix seconds with nanoseconds", () => {
    expect(dockerSince('2026-11-27T10:00:00.000000001Z')).toBe(`${Date.UTC(2026, 10, 27, 10) / 1000}.000000001`);
  });
});

describe("one replica's lines", () => {
  it('splits frames into lines with their time, stream, replica and node', () => {
    const lines = logLines(
      [
        { stream: 'stdout', text: '2026-11-27T10:00:00.1Z started\n2026-11-27T10:00:01Z listening on 8080\n' },
        { stream: 'stderr', text: '2026-11-27T10:00:02Z warning: x\n' },
      ],
      'web.0',
      'node1',
    );
    expect(lines).toEqual([
      { at: '2026-11-27T10:00:00.100000000Z', replica: 'web.0', node: 'node1', stream: 'stdout', text: 'started' },
      { at: '2026-11-27T10:00:01.000000000Z', replica: 'web.0', node: 'node1', stream: 'stdout', text: 'listening on 8080' },
      { at: '2026-11-27T10:00:02.000000000Z', replica: 'web.0', node: 'node1', stream: 'stderr', text: 'warning: x' },
    ]);
  });

  it('joins a line written across frames, per stream, and keeps a last line without a newline', () => {
    const lines = logLines(
      [
        { stream: 'stdout', text: '2026-11-27T10:00:00Z a long ' },
        { stream: 'stderr', text: '2026-11-27T10:00:00.5Z err\n' },
        { stream: 'stdout', text: 'line\n2026-11-27T10:00:01Z tail' },
      ],
      'web.1',
      'node2',
    );
    expect(lines.map((l) => [l.stream, l.text])).toEqual([
      ['stderr', 'err'],
      ['stdout', 'a long line'],
      ['stdout', 'tail'],
    ]);
  });

  it('gives a line without a time the time of the line before it', () => {
    const lines = logLines([{ stream: 'stdout', text: '2026-11-27T10:00:03Z first\nno stamp here\n' }], 'w.0', 'n');
    expect(lines[1]).toMatchObject({ at: '2026-11-27T10:00:03.000000000Z', text: 'no stamp here' });
  });
});

describe('merging replicas', () => {
  const line = (at: string, replica: string, text: string) => ({ at, replica, node: 'n', stream: 'stdout' as const, text });

  it('orders every line by time, keeping each replica in its own order on ties', () => {
    const a = [line('2026-01-01T00:00:01.000000000Z', 'w.0', 'a1'), line('2026-01-01T00:00:03.000000000Z', 'w.0', 'a2')];
    const b = [line('2026-01-01T00:00:02.000000000Z', 'w.1', 'b1'), line('2026-01-01T00:00:03.000000000Z', 'w.1', 'b2')];
    const c = [line('2026-01-01T00:00:03.000000000Z', 'w.0', 'a3')];
    expect(mergeLogs([[...a, ...c], b]).map((l) => l.text)).toEqual(['a1', 'b1', 'a2', 'a3', 'b2']);
  });

  it('keeps the last lines of the merge with a tail', () => {
    const a = [line('2026-01-01T00:00:01.000000000Z', 'w.0', 'a1'), line('2026-01-01T00:00:04.000000000Z', 'w.0', 'a2')];
    const b = [line('2026-01-01T00:00:02.000000000Z', 'w.1', 'b1'), line('2026-01-01T00:00:03.000000000Z', 'w.1', 'b2')];
    expect(mergeLogs([a, b], 3).map((l) => l.text)).toEqual(['b1', 'b2', 'a2']);
    expect(mergeLogs([a, b], 0)).toEqual([]);
    expect(mergeLogs([a, b], 10)).toHaveLength(4);
  });
});
