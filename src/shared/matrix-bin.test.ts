import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matrixBin } from './matrix-bin.ts';

describe('matrixBin', () => {
  it("finds this checkout's bin/matrix, the script the CLI starts the manager with", () => {
    const bin = matrixBin();
    expect(bin).toMatch(/\/bin\/matrix$/);
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });
});
