/**
 * The built `matrix` as a shell pipeline uses it (in the lab project because it needs dist/,
 * which the lab's global set-up builds; it needs no lab).
 */
import { spawn } from 'node:child_process';
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
