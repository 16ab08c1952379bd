import { describe, expect, it } from 'vitest';
import { ERROR_CODES, MatrixError, type ErrorCode } from '../../core/errors.ts';
import { statusOf, toErrorBody } from './error-mapper.ts';

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

describe('error mapper', () => {
  it.each(CODES)('maps %s to an HTTP error status', (code) => {
    const status = statusOf(code);
    expect(Number.isInteger(status)).toBe(true);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThanOrEqual(599);
    const { status: s, body } = toErrorBody(new MatrixError(code, 'boom'));
    expect(s).toBe(status);
    expect(body).toEqual({ error: { code, message: 'boom' } });
  });

  it('keeps the documented statuses of the codes clients rely on', () => {
    expect(statusOf('E_BAD_REQUEST')).toBe(400);
    expect(statusOf('E_AUTH')).toBe(401);
    expect(statusOf('E_NOT_FOUND')).toBe(404);
    expect(statusOf('E_PLAN_SYNTAX')).toBe(422);
    expect(statusOf('E_IMAGE_NOT_FOUND')).toBe(422);
    expect(statusOf('E_NODE_DOWN')).toBe(503);
    expect(statusOf('E_INTERNAL')).toBe(500);
  });

  it('turns anything that is not a MatrixError into E_INTERNAL 500', () => {
    expect(toErrorBody(new Error('kaput'))).toEqual({ status: 500, body: { error: { code: 'E_INTERNAL', message: 'kaput' } } });
    expect(toErrorBody(new TypeError('x is undefined'))).toMatchObject({ status: 500, body: { error: { code: 'E_INTERNAL', message: 'x is undefined' } } });
    expect(toErrorBody('a string')).toEqual({ status: 500, body: { error: { code: 'E_INTERNAL', message: 'a string' } } });
    expect(toErrorBody(42)).toMatchObject({ status: 500, body: { error: { code: 'E_INTERNAL', message: '42' } } });
    expect(toErrorBody(undefined)).toMatchObject({ status: 500, body: { error: { code: 'E_INTERNAL' } } });
    expect(toErrorBody(null)).toMatchObject({ status: 500, body: { error: { code: 'E_INTERNAL' } } });
    // an object that merely looks like a MatrixError is not trusted
    expect(toErrorBody({ code: 'E_AUTH', message: 'fake' })).toMatchObject({ status: 500, body: { error: { code: 'E_INTERNAL' } } });
  });

  it('carries the path and every detail (with their own paths) into the body', () => {
    const e = new MatrixError('E_PORT_RANGE', '2 problems in x.plan', {
      details: [
        new MatrixError('E_PORT_RANGE', 'ext. port "0" is not an integer in 1..65535', { path: 'x.plan:1' }),
        new MatrixError('E_PLAN_SYNTAX', 'expected `app node extport intport`, got 1 field', { path: 'x.plan:3' }),
      ],
    });
    const { status, body } = toErrorBody(e);
    expect(status).toBe(422);
    expect(body).toEqual({
      error: {
        code: 'E_PORT_RANGE',
        message: '2 problems in x.plan',
        details: [
          { code: 'E_PORT_RANGE', message: 'ext. port "0" is not an integer in 1..65535', path: 'x.plan:1' },
          { code: 'E_PLAN_SYNTAX', message: 'expected `app node extport intport`, got 1 field', path: 'x.plan:3' },
        ],
      },
    });
    expect(toErrorBody(new MatrixError('E_BAD_REQUEST', 'must be an IP address', { path: 'address' })).body.error).toEqual({
      code: 'E_BAD_REQUEST',
      message: 'must be an IP address',
      path: 'address',
    });
    // the body survives a JSON round trip unchanged (it is what the API sends)
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });
});
