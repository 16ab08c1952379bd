import { describe, expect, it } from 'vitest';
import { isMatrixError, MatrixError } from './errors.ts';

describe('isMatrixError', () => {
  it("knows a MatrixError made by another copy of this module (the bundled CLI running the manager's code)", async () => {
    const other = (await import(/* @vite-ignore */ `./errors.ts?copy=${Date.now()}`)) as typeof import('./errors.ts');
    expect(other.MatrixError).not.toBe(MatrixError); // a copy indeed: instanceof alone says no
    const e = new other.MatrixError('E_NOT_FOUND', 'no lab node named x');
    expect(e instanceof MatrixError).toBe(false);
    expect(isMatrixError(e)).toBe(true);
    expect(other.isMatrixError(new MatrixError('E_LAB', 'x'))).toBe(true);
  });

  it('is false for anything else', () => {
    for (const v of [new Error('x'), { code: 'E_LAB', message: 'x' }, null, undefined, 'E_LAB', 42]) expect(isMatrixError(v)).toBe(false);
  });

  it('the mark stays out of JSON', () => {
    expect(JSON.stringify(new MatrixError('E_LAB', 'x', { path: 'p' }))).not.toContain('cloudmatrix');
  });
});
