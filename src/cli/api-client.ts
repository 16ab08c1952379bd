/** The CLI's HTTP client for the manager API: token auth, errors decoded to MatrixError. */
import { existsSync, readFileSync } from 'node:fs';
import { MatrixError, type ErrorCode } from '../core/errors.ts';
import { homePaths, type HomePaths } from '../manager/home.ts';
import { readManagerConfig } from '../manager/manager-config.ts';

export interface ApiError {
  code: ErrorCode;
  message: string;
  path?: string;
  details?: ApiError[];
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static fromEnv(paths: HomePaths = homePaths(), env: NodeJS.ProcessEnv = process.env): ApiClient {
    const base = env.MATRIX_API || `http://${readManagerConfig(paths).api}`;
    const token = env.MATRIX_TOKEN || (existsSync(paths.token) ? readFileSync(paths.token, 'utf8').trim() : '');
    return new ApiClient(base.replace(/\/$/, ''), token);
  }

  async request<T>(method: string, path: string, body?: unknown, timeoutMs = 600_000): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw new MatrixError('E_MANAGER_UNREACHABLE', `cannot reach the manager at ${this.baseUrl} (${(e as Error).cause ?? (e as Error).message}); is it running? try \`matrix lab up\` or \`matrix manager start\``);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new MatrixError('E_INTERNAL', `the manager answered ${res.status} with a non-JSON body`);
    }
    if (!res.ok) throw toMatrixError((json as { error?: ApiError }).error ?? { code: 'E_INTERNAL', message: `HTTP ${res.status}` });
    return json as T;
  }
}

function toMatrixError(e: ApiError): MatrixError {
  return new MatrixError(e.code, e.message, {
    ...(e.path !== undefined ? { path: e.path } : {}),
    ...(e.details ? { details: e.details.map(toMatrixError) } : {}),
  });
}
