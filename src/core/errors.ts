/**
 * Every failure a user can cause or meet has a stable code. The API maps codes to HTTP
 * statuses in one place (src/manager/api/error-mapper.ts); the CLI prints
 * `error[E_CODE]: message` and exits non-zero. docs/errors.md documents each code.
 */
export const ERROR_CODES = {
  E_PLAN_SYNTAX: 'a plan line is not `app node extport intport`',
  E_SPEC_INVALID: 'a matrix.yaml or compose file is invalid',
  E_PORT_RANGE: 'a port is not an integer in 1..65535',
  E_PORT_CONFLICT: 'two replicas publish the same host port on one node',
  E_UNKNOWN_NODE: 'the plan names a node the cluster does not have',
  E_IMAGE_NOT_FOUND: 'the image is not in the cluster registry',
  E_INPUT_TOO_LARGE: 'an input is larger than its limit',
  E_INPUT_TOO_MANY_LINES: 'an input has more lines than its limit',
  E_INPUT_TOO_DEEP: 'an input nests deeper than its limit',
  E_INPUT_TOO_MANY_KEYS: 'an input has more keys than its limit',
  E_INPUT_TOO_COMPLEX: 'parsing an input took more time or memory than its limit',
  E_POLICY_DENIED: 'the spec asks for host access the cluster policy does not allow, or an image from another registry',
  E_SPEC_EMPTY: 'the deployed file has no apps (removing apps is explicit: `matrix rm`, `matrix project rm`)',
  E_APP_OWNED: 'the app belongs to another project',
  E_SECRET_IN_USE: 'the secret is given to apps: remove it from their specs first',
  E_VOLUME_IN_USE: 'the volume is mounted by a container: remove the app (or scale it down) first',
  E_SECRET_KEY: "the secret key cannot open the store's secrets (missing, replaced or damaged key file)",
  E_BAD_REQUEST: 'the request body or arguments are invalid',
  E_AUTH: 'missing or wrong API token',
  E_FORBIDDEN: "the API token's role does not allow the request",
  E_NOT_FOUND: 'no such resource',
  E_NODE_DOWN: 'a node needed for the operation does not answer',
  E_NODE_BUSY: 'a node to remove still runs replicas that cannot move (pinned by a plan file) or did not move in time',
  E_DEPLOY_FAILED: 'an action on a node failed while deploying',
  E_MANAGER_UNREACHABLE: 'the CLI cannot reach the manager API',
  E_NODE_EXISTS: 'a node or machine of that name already exists',
  E_SSH_UNREACHABLE: 'the SSH host does not answer (wrong address or port, host down, firewall)',
  E_SSH_AUTH: 'the SSH host refused the user or key',
  E_SSH_HOST_KEY: "the SSH host's key is unknown or differs from the one recorded for it",
  E_MACHINE: 'a machine could not be created or provisioned (no Docker, or its engine did not answer once configured)',
  E_LAB: 'the lab could not be created, inspected or removed',
  E_REGISTRY: 'the cluster registry refused or failed an operation',
  E_PKI: 'the cluster certificates could not be created, read or matched to their keys',
  E_INGRESS: 'Varnish refused a generated configuration',
  E_INTERNAL: 'an unexpected failure (a bug)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Marks a MatrixError whichever copy of this module made it: the CLI runs bundled, with its
 * own copy, and loads manager code (lab, machines) from dist/ with another, so `instanceof`
 * alone would turn the manager's coded errors into internal ones.
 */
const BRAND = Symbol.for('cloudmatrix.MatrixError');

export class MatrixError extends Error {
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  /** Where the bad input is: `applications.plan:3` or `apps.web.replicas`. */
  readonly path?: string;
  /** Further problems found in the same input, so a user fixes them all at once. */
  readonly details?: MatrixError[];

  constructor(code: ErrorCode, message: string, opts: { path?: string; details?: MatrixError[] } = {}) {
    super(message);
    this.name = 'MatrixError';
    this.code = code;
    if (opts.path !== undefined) this.path = opts.path;
    if (opts.details !== undefined) this.details = opts.details;
  }

  /** The inverse of toJSON, for errors that crossed a thread (a trusted source: codes are not checked). */
  static fromJSON(j: { code: ErrorCode; message: string; path?: string; details?: unknown[] }): MatrixError {
    return new MatrixError(j.code, j.message, {
      ...(j.path !== undefined ? { path: j.path } : {}),
      ...(j.details ? { details: j.details.map((d) => MatrixError.fromJSON(d as Parameters<typeof MatrixError.fromJSON>[0])) } : {}),
    });
  }

  toJSON(): { code: ErrorCode; message: string; path?: string; details?: unknown[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.path !== undefined ? { path: this.path } : {}),
      ...(this.details ? { details: this.details.map((d) => d.toJSON()) } : {}),
    };
  }
}

export function isMatrixError(e: unknown): e is MatrixError {
  return e instanceof MatrixError || (typeof e === 'object' && e !== null && (e as { [BRAND]?: unknown })[BRAND] === true);
}

/** One line per problem, as the CLI prints it. */
export function formatError(e: { code: string; message: string; path?: string }): string {
  return `error[${e.code}]: ${e.path ? `${e.path}: ` : ''}${e.message}`;
}
