/**
 * The built `matrix` as a shell pipeline uses it (in the lab project because it needs dist/,
 * which the lab's global set-up builds; it needs no lab).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MATRIX } from './lab-harness.ts';

describe('matrix in a pipeline', () => {
  it('ends quietly when the reader has gone (`matrix node create --help | head -1`)', async () => {
    const child = spawn(MATRIX, ['node', 'create', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // the reader goes before the first line is written: the write meets a closed pipe
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});

describe('matrix in a home without a lab', () => {
  it('lab commands other than `up` say there is none and leave the home as it was (no CA made)', () => {
    const home = mkdtempSync(join(tmpdir(), 'mx-nolab-'));
    try {
      const env = { ...process.env, MATRIX_HOME: home };
      for (const args of [
        ['lab', 'poweroff', 'node1'],
        ['lab', 'heal', 'node1'],
        ['lab', 'host', 'rm', 'host1'],
      ]) {
        const r = spawnSync(MATRIX, args, { env, encoding: 'utf8' });
        expect(r.stderr).toMatch(/^error\[E_LAB\]: no lab in \S+: create one with `matrix lab up` first/m);
        expect(r.status).toBe(1);
      }
      expect(spawnSync(MATRIX, ['lab', 'status'], { env, encoding: 'utf8' }).stdout).toBe('no lab (create one with `matrix lab up`)\n');
      expect(existsSync(join(home, 'pki'))).toBe(false);
      expect(readdirSync(home)).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
