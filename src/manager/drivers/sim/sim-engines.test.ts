import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH } from '../../../core/defaults.ts';
import { homePaths } from '../../../shared/home.ts';
import { simDriver } from '../../machines/sim-driver.ts';
import type { HealthProbe } from '../../nodes/health-probe.ts';
import { SimEngines } from './sim-engines.ts';

const root = mkdtempSync(join(tmpdir(), 'mx-sim-engines-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const paths = homePaths(root);
const driver = simDriver(paths);
const ctx = { registry: '10.0.0.1:5000', nodes: [], log: () => undefined };
const check = DEFAULT_HEALTH;

describe('SimEngines: the manager side of the sim driver', () => {
  it('gives a recorded sim node an engine with its capacity; any other node none', async () => {
    const m = await driver.create('s1', { cpus: '2', memory: '2048' }, ctx);
    const sims = new SimEngines(paths.machines);
    const e = sims.engine(m)!;
    expect(await e.info()).toEqual({ capacity: { cpus: 2, memoryMb: 2048 }, labels: { 'matrix.sim': 'true' }, version: 'sim' });
    expect(await e.ping(1000)).toBe(true);
    expect(sims.engine({ name: 'node1', address: '10.0.0.11', enginePort: 2376 })).toBeNull();
    // a node of that name at another address is not the recorded one
    expect(sims.engine({ ...m, address: '10.0.0.12' })).toBeNull();
    writeFileSync(join(paths.machines, 'broken.json'), '{');
    expect(sims.engine({ name: 'broken', address: '127.255.0.9', enginePort: 2376 })).toBeNull();
  });

  it('runs replicas, answers their health checks itself, and sends every other check to the real probe', async () => {
    const m = await driver.create('s2', {}, ctx);
    const sims = new SimEngines(paths.machines);
    const e = sims.engine(m)!;
    await e.pull('reg:5000/cloud/web');
    await e.start({ app: 'web', node: 's2', image: 'reg:5000/cloud/web', hostPort: null, containerPort: 8080, id: 'web.0', revision: 'r1' });
    const [r] = await e.listManaged();
    expect(r).toMatchObject({ app: 'web', node: 's2', state: 'running' });
    const asked: string[] = [];
    const real: HealthProbe = async (address) => (asked.push(address), false);
    const probe = sims.probe(real);
    expect(await probe(m.address, r!.hostPort!, check)).toBe(true);
    expect(await probe(m.address, 1, check)).toBe(false); // no replica there
    expect(asked).toEqual([]);
    expect(await probe('10.0.0.11', 30001, check)).toBe(false);
    expect(asked).toEqual(['10.0.0.11']);
  });

  it('follows `node stop|start` through its record at each ping', async () => {
    const m = await driver.create('s3', {}, ctx);
    const sims = new SimEngines(paths.machines);
    const e = sims.engine(m)!;
    expect(await e.ping(1000)).toBe(true);
    await driver.stop('s3');
    expect(await e.ping(1000)).toBe(false);
    await expect(e.listManaged()).rejects.toThrow(/sim node s3 is down/);
    await driver.start('s3');
    expect(await e.ping(1000)).toBe(true);
    expect(await e.listManaged()).toEqual([]);
  });
});
