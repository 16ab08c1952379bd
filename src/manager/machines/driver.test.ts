import { describe, expect, it } from 'vitest';
import { homePaths } from '../../shared/home.ts';
import { DRIVER_INFO, LAB_DRIVER, SSH_DRIVER } from '../../shared/machine-drivers.ts';
import { DRIVERS } from './drivers.ts';
import { assertEngineFree, machineOf, type MachineDriver } from './driver.ts';

const fake = (name: string, nodes: string[]): MachineDriver => ({
  name,
  owns: (n) => nodes.includes(n),
  create: async () => ({ name: 'x', address: '10.0.0.1', enginePort: 2376 }),
  remove: async () => [],
  installCerts: async () => undefined,
  start: async () => undefined,
  stop: async () => '',
  shell: () => [],
});

describe('machineOf', () => {
  const paths = homePaths();
  const drivers = [
    { ...LAB_DRIVER, make: () => fake('lab', ['node1']) },
    { ...SSH_DRIVER, make: () => fake('ssh', ['db1']) },
  ];

  it('finds the driver that made the node', () => {
    expect(machineOf('node1', paths, drivers).name).toBe('lab');
    expect(machineOf('db1', paths, drivers).name).toBe('ssh');
  });

  it('a node no driver made is a coded error that says why', () => {
    expect(() => machineOf('hand-made', paths, drivers)).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND', path: 'node' }));
    expect(() => machineOf('hand-made', paths, drivers)).toThrow(/not created by a driver of this host/);
  });
});

describe('DRIVERS', () => {
  it('has a driver for every driver the CLI offers, in the same order', () => {
    expect(DRIVERS.map((d) => d.name)).toEqual(DRIVER_INFO.map((d) => d.name));
  });
});

describe('assertEngineFree', () => {
  const nodes = [
    { name: 'vm1', address: '10.0.0.11', enginePort: 2376 },
    { name: 'local', address: '127.0.0.1', enginePort: 2376, socket: '/var/run/docker.sock' },
  ];

  it('refuses an engine that is a node already, naming that node', () => {
    expect(() => assertEngineFree(nodes, { address: '10.0.0.11', enginePort: 2376 })).toThrow(
      expect.objectContaining({ code: 'E_NODE_EXISTS', path: 'address', message: expect.stringContaining('is the node vm1 already') }),
    );
    expect(() => assertEngineFree(nodes, { address: '127.0.0.2', enginePort: 2376, socket: '/var/run/docker.sock' })).toThrow(
      expect.objectContaining({ code: 'E_NODE_EXISTS', path: 'socket' }),
    );
  });

  it('lets through another address, another port, or another socket', () => {
    expect(() => assertEngineFree(nodes, { address: '10.0.0.12', enginePort: 2376 })).not.toThrow();
    expect(() => assertEngineFree(nodes, { address: '10.0.0.11', enginePort: 12376 })).not.toThrow();
    expect(() => assertEngineFree(nodes, { address: '127.0.0.1', enginePort: 2376 })).not.toThrow();
    expect(() => assertEngineFree(nodes, { address: '127.0.0.1', enginePort: 2376, socket: '/run/other.sock' })).not.toThrow();
  });
});
