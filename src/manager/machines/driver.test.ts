import { describe, expect, it } from 'vitest';
import { homePaths } from '../../shared/home.ts';
import { machineOf, type MachineDriver } from './driver.ts';

const fake = (name: string, nodes: string[]): MachineDriver => ({
  name,
  owns: (n) => nodes.includes(n),
  start: async () => undefined,
  stop: async () => '',
  shell: () => [],
});

describe('machineOf', () => {
  const paths = homePaths();
  const drivers = [() => fake('lab', ['node1']), () => fake('ssh', ['db1'])];

  it('finds the driver that made the node', () => {
    expect(machineOf('node1', paths, drivers).name).toBe('lab');
    expect(machineOf('db1', paths, drivers).name).toBe('ssh');
  });

  it('a node no driver made is a coded error that says why', () => {
    expect(() => machineOf('hand-made', paths, drivers)).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND', path: 'node' }));
    expect(() => machineOf('hand-made', paths, drivers)).toThrow(/not created by a driver of this host/);
  });
});
