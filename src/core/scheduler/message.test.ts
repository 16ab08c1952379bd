import { describe, expect, it } from 'vitest';
import { formatUnavailable, orderedReasons } from './message.ts';

describe('unplaced message', () => {
  it('orders reasons by count, then by text', () => {
    expect(orderedReasons({ 'node down': 1, 'insufficient memory': 2, 'insufficient cpu': 1 })).toEqual([
      ['insufficient memory', 2],
      ['insufficient cpu', 1],
      ['node down', 1],
    ]);
  });

  it('reads like Swarm and kube-scheduler', () => {
    expect(formatUnavailable(0, 3, { 'node down': 1, 'insufficient memory': 2 })).toBe('0/3 nodes available: 2 insufficient memory, 1 node down');
    expect(formatUnavailable(0, 0, {})).toBe('0/0 nodes available');
  });
});
