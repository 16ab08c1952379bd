import { describe, expect, it } from 'vitest';
import { toMatrixError } from './api-client.ts';

describe('API errors in the CLI', () => {
  it('keeps the code, path and details of an answer in the API shape', () => {
    const e = toMatrixError({ code: 'E_SPEC_INVALID', message: '2 problems', details: [{ code: 'E_SPEC_INVALID', message: 'bad', path: 'apps.web' }] }, 422);
    expect(e).toMatchObject({ code: 'E_SPEC_INVALID', message: '2 problems', details: [{ code: 'E_SPEC_INVALID', path: 'apps.web' }] });
  });

  it('never prints error[undefined]: any other answer is E_INTERNAL with the status', () => {
    for (const body of [undefined, {}, { code: 42 }, { code: 'FST_ERR_BAD_URL', message: 'bad url' }, 'text'] as never[]) {
      const e = toMatrixError(body, 502);
      expect(e.code).toBe('E_INTERNAL');
      expect(e.message).toMatch(/^the manager answered HTTP 502: /);
    }
  });
});
