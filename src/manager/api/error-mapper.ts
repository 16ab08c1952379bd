/** The one mapping from error codes to HTTP statuses. */
import { MatrixError, isMatrixError, type ErrorCode } from '../../core/errors.ts';

const STATUS: Record<ErrorCode, number> = {
  E_PLAN_SYNTAX: 422,
  E_SPEC_INVALID: 422,
  E_PORT_RANGE: 422,
  E_PORT_CONFLICT: 422,
  E_UNKNOWN_NODE: 422,
  E_IMAGE_NOT_FOUND: 422,
  E_INPUT_TOO_LARGE: 413,
  E_INPUT_TOO_MANY_LINES: 413,
  E_INPUT_TOO_DEEP: 422,
  E_INPUT_TOO_MANY_KEYS: 413,
  E_INPUT_TOO_COMPLEX: 422,
  E_POLICY_DENIED: 403,
  E_SPEC_EMPTY: 422,
  E_APP_OWNED: 409,
  E_SECRET_IN_USE: 409,
  E_VOLUME_IN_USE: 409,
  E_SECRET_KEY: 500,
  E_BAD_REQUEST: 400,
  E_AUTH: 401,
  E_FORBIDDEN: 403,
  E_NOT_FOUND: 404,
  E_NODE_DOWN: 503,
  E_NODE_BUSY: 409,
  E_DEPLOY_FAILED: 502,
  E_MANAGER_UNREACHABLE: 503,
  E_NODE_EXISTS: 409,
  E_SSH_UNREACHABLE: 502,
  E_SSH_AUTH: 502,
  E_SSH_HOST_KEY: 502,
  E_MACHINE: 502,
  E_LAB: 500,
  E_REGISTRY: 502,
  E_INGRESS: 502,
  E_PKI: 500,
  E_INTERNAL: 500,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** Anything thrown becomes `{ error: { code, message, path?, details? } }`; unknown errors are E_INTERNAL. */
export function toErrorBody(e: unknown): { status: number; body: { error: ReturnType<MatrixError['toJSON']> } } {
  const err = isMatrixError(e) ? e : new MatrixError('E_INTERNAL', e instanceof Error ? e.message : String(e));
  return { status: statusOf(err.code), body: { error: err.toJSON() } };
}
