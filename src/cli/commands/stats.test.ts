import { describe, expect, it } from 'vitest';
import type { StatsView } from '../../shared/api-types.ts';
import { bytesText, statsText, watchInterval } from './stats.ts';

describe('matrix stats', () => {
  it('writes bytes in binary units, and a dash for unknown', () => {
    expect([0, 1023, 1024, 1536, 10 * 1024 * 1024, 3.5 * 1024 ** 3, null].map(bytesText)).toEqual([
      '0 B',
      '1023 B',
      '1 KiB',
      '1.5 KiB',
      '10 MiB',
      '3.5 GiB',
      '-',
    ]);
  });

  it('prints a table of nodes and one of apps, with a dash for what was not measured', () => {
    const s: StatsView = {
      at: '2026-11-27T10:00:00.000Z',
      nodes: [
        {
          name: 'node1',
          state: 'up',
          cpus: 2,
          cpuPercent: 12.34,
          memoryBytes: 150 * 1024 * 1024,
          memoryTotalBytes: 24 * 1024 ** 3,
          diskBytes: 1.2 * 1024 ** 3,
          containers: 2,
        },
        { name: 'node2', state: 'down', cpus: null, cpuPercent: null, memoryBytes: null, memoryTotalBytes: null, diskBytes: null, containers: 0 },
      ],
      apps: [{ name: 'web', desired: 3, running: 2, cpuPercent: 15.6, memoryBytes: 300 * 1024 * 1024, requestsPerSecond: 15, failedPerSecond: null }],
      errors: [],
    };
    expect(statsText(s).split('\n')).toEqual([
      'NODE   STATE  CPUS  CPU%   MEMORY            DISK     CONTAINERS',
      'node1  up     2     12.3%  150 MiB / 24 GiB  1.2 GiB  2',
      'node2  down   -     -      - / -             -        0',
      '',
      'APP  REPLICAS  CPU%   MEMORY   REQ/S  FAILED/S',
      'web  2/3       15.6%  300 MiB  15.0   -',
    ]);
    expect(statsText({ ...s, apps: [] }).endsWith('\n\nno apps deployed')).toBe(true);
  });

  it('checks the watch interval', () => {
    expect(watchInterval('2')).toBe(2);
    expect(watchInterval('1.5')).toBe(1.5);
    for (const bad of ['0', '0.5', 'x', '-1', '3601', ''])
      expect(() => watchInterval(bad)).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', path: '--interval' }));
  });
});
