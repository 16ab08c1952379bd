import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MatrixError } from '../../core/errors.ts';
import { homePaths } from '../../shared/home.ts';
import type { CreateContext } from './driver.ts';
import { simAddress, simCapacity, simDriver } from './sim-driver.ts';

const root = mkdtempSync(join(tmpdir(), 'mx-sim-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const paths = homePaths(root);
const logged: string[] = [];
const ctx: CreateContext = { registry: '10.0.0.1:5000', nodes: [], log: (m) => void logged.push(m) };

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e instanceof MatrixError ? `${e.code} ${e.path ?? ''}`.trim() : 'not a MatrixError';
  }
  return undefined;
}

describe('simAddress', () => {
  it('takes the first free address of 127.255.0.0/16, never a .0 or .255', () => {
    expect(simAddress([])).toBe('127.255.0.1');
    expect(simAddress(['127.255.0.1', '127.255.0.2'])).toBe('127.255.0.3');
    expect(simAddress(['127.255.0.1', '127.255.0.3'])).toBe('127.255.0.2');
    const first254 = Array.from({ length: 254 }, (_, i) => `127.255.0.${i + 1}`);
    expect(simAddress(first254)).toBe('127.255.1.1');
  });

  it('says so when every address is taken', async () => {
    const all: string[] = [];
    for (let x = 0; x < 256; x++) for (let y = 1; y < 255; y++) all.push(`127.255.${x}.${y}`);
    expect(await codeOf(() => simAddress(all))).toBe('E_MACHINE');
  });
});

describe('simCapacity', () => {
  it('defaults to 4 CPUs and 4096 MB, and takes whole numbers in range', () => {
    expect(simCapacity({})).toEqual({ cpus: 4, memoryMb: 4096 });
    expect(simCapacity({ cpus: '64', memory: '262144' })).toEqual({ cpus: 64, memoryMb: 262144 });
    expect(simCapacity({ memory: '16g' })).toEqual({ cpus: 4, memoryMb: 16384 });
    expect(simCapacity({ memory: '512Mi' })).toEqual({ cpus: 4, memoryMb: 512 });
  });

  it.each([
    [{ cpus: '0' }, 'E_BAD_REQUEST cpus'],
    [{ cpus: '1.5' }, 'E_BAD_REQUEST cpus'],
    [{ cpus: 'many' }, 'E_BAD_REQUEST cpus'],
    [{ cpus: '2000' }, 'E_BAD_REQUEST cpus'],
    [{ memory: '0' }, 'E_BAD_REQUEST memory'],
    [{ memory: '-1' }, 'E_BAD_REQUEST memory'],
    [{ memory: 'lots' }, 'E_BAD_REQUEST memory'],
    [{ memory: '32T' }, 'E_BAD_REQUEST memory'],
    [{ memory: true }, 'E_BAD_REQUEST memory'],
  ])('refuses %j naming the flag', async (o, code) => {
    expect(await codeOf(() => simCapacity(o))).toBe(code);
  });
});

describe('the sim driver', () => {
  const d = simDriver(paths);
  const record = (name: string) => JSON.parse(readFileSync(join(paths.machines, `${name}.json`), 'utf8'));

  it('records a node with what it offers, at a free address, switched on', async () => {
    const m = await d.create('sim1', { cpus: '8', memory: '16384' }, ctx);
    expect(m).toEqual({ name: 'sim1', address: '127.255.0.1', enginePort: 2376 });
    expect(record('sim1')).toMatchObject({ name: 'sim1', driver: 'sim', address: '127.255.0.1', sim: { cpus: 8, memoryMb: 16384, off: false } });
    expect(logged.at(-1)).toMatch(/sim1 is simulated by the manager: 8 CPUs, 16384 MB; its replicas are never routed/);
    expect(d.owns('sim1')).toBe(true);
    // an address a node of the cluster has is not handed out again
    const m2 = await d.create('sim2', {}, { ...ctx, nodes: [{ name: 'x', address: '127.255.0.2', enginePort: 2376 }] });
    expect(m2.address).toBe('127.255.0.3');
  });

  it('refuses no name, a bad name, a taken name and bad capacity, recording nothing', async () => {
    expect(await codeOf(d.create(undefined, {}, ctx))).toBe('E_BAD_REQUEST name');
    expect(await codeOf(d.create('Bad_Name', {}, ctx))).toMatch(/^E_BAD_REQUEST/);
    expect(await codeOf(d.create('sim1', {}, ctx))).toBe('E_NODE_EXISTS name');
    expect(await codeOf(d.create('sim9', { cpus: 'x' }, ctx))).toBe('E_BAD_REQUEST cpus');
    expect(d.owns('sim9')).toBe(false);
  });

  it('stop and start switch it off and on in its record; it has no shell and no certificates', async () => {
    expect(await d.stop('sim1')).toMatch(/stops answering/);
    expect(record('sim1').sim.off).toBe(true);
    await d.start('sim1');
    expect(record('sim1').sim.off).toBe(false);
    expect(await codeOf(() => d.shell('sim1', []))).toBe('E_BAD_REQUEST node');
    await d.installCerts('sim1', { renew: true });
    expect(await codeOf(d.stop('nosuch'))).toBe('E_NOT_FOUND node');
  });

  it('remove forgets it; a record it did not write is a coded error, not a crash', async () => {
    expect(await d.remove('sim2')).toEqual(["sim2's record (its replicas lived in the manager only)"]);
    expect(d.owns('sim2')).toBe(false);
    writeFileSync(join(paths.machines, 'broken.json'), '{not json');
    expect(await codeOf(() => d.owns('broken'))).toBe('E_MACHINE');
  });
});
