/**
 * The CLI's typed client of the manager API: token auth, errors decoded to MatrixError, one
 * method per route, with the request and answer types the server uses (shared/api-types.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { ERROR_CODES, MatrixError, type ErrorCode } from '../core/errors.ts';
import type {
  AppDetail,
  AppRevisionEntry,
  AppSummary,
  ChangeResult,
  DeployRequest,
  NewToken,
  NodeView,
  ProjectView,
  RemoveAppsRequest,
  ReplicasView,
  RollbackResult,
  ScaleRequest,
  SecretSetResult,
  SecretView,
  StatusView,
  TokenRole,
  TokenView,
} from '../shared/api-types.ts';
import { homePaths, type HomePaths } from '../shared/home.ts';
import { readManagerConfig } from '../shared/manager-config.ts';

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

  deploy(req: DeployRequest): Promise<ChangeResult> {
    return this.request('POST', '/v1/deploy', req);
  }

  scale(app: string, replicas: number, dryRun: boolean): Promise<ChangeResult> {
    return this.request('POST', `/v1/apps/${enc(app)}/scale`, { replicas, dryRun } satisfies ScaleRequest);
  }

  removeApps(apps: string[], dryRun: boolean): Promise<ChangeResult> {
    return this.request('POST', '/v1/apps/remove', { apps, dryRun } satisfies RemoveAppsRequest);
  }

  rollback(app: string): Promise<RollbackResult> {
    return this.request('POST', `/v1/apps/${enc(app)}/rollback`);
  }

  async apps(): Promise<AppSummary[]> {
    return (await this.request<{ apps: AppSummary[] }>('GET', '/v1/apps')).apps;
  }

  app(name: string): Promise<AppDetail> {
    return this.request('GET', `/v1/apps/${enc(name)}`);
  }

  async history(app: string): Promise<AppRevisionEntry[]> {
    return (await this.request<{ history: AppRevisionEntry[] }>('GET', `/v1/apps/${enc(app)}/history`)).history;
  }

  replicas(): Promise<ReplicasView> {
    return this.request('GET', '/v1/replicas');
  }

  async nodes(): Promise<NodeView[]> {
    return (await this.request<{ nodes: NodeView[] }>('GET', '/v1/nodes')).nodes;
  }

  putNode(name: string, node: { address: string; enginePort: number; labels?: Record<string, string> }): Promise<{ node: NodeView | undefined }> {
    return this.request('PUT', `/v1/nodes/${enc(name)}`, node);
  }

  async projects(): Promise<ProjectView[]> {
    return (await this.request<{ projects: ProjectView[] }>('GET', '/v1/projects')).projects;
  }

  removeProject(name: string, dryRun: boolean): Promise<ChangeResult> {
    return this.request('POST', `/v1/projects/${enc(name)}/remove`, { dryRun });
  }

  status(): Promise<StatusView> {
    return this.request('GET', '/v1/status');
  }

  async tokens(): Promise<TokenView[]> {
    return (await this.request<{ tokens: TokenView[] }>('GET', '/v1/tokens')).tokens;
  }

  createToken(role: TokenRole, name?: string): Promise<NewToken> {
    return this.request('POST', '/v1/tokens', { role, ...(name !== undefined ? { name } : {}) });
  }

  revokeToken(id: string): Promise<{ revoked: string }> {
    return this.request('DELETE', `/v1/tokens/${enc(id)}`);
  }

  async secrets(): Promise<SecretView[]> {
    return (await this.request<{ secrets: SecretView[] }>('GET', '/v1/secrets')).secrets;
  }

  setSecret(name: string, value: Buffer): Promise<SecretSetResult> {
    return this.request('PUT', `/v1/secrets/${enc(name)}`, { value: value.toString('base64') });
  }

  removeSecret(name: string): Promise<{ removed: string }> {
    return this.request('DELETE', `/v1/secrets/${enc(name)}`);
  }

  async pushSampleImages(): Promise<string[]> {
    return (await this.request<{ images: string[] }>('POST', '/v1/images/sample')).images;
  }

  private async request<T>(method: string, path: string, body?: unknown, timeoutMs = 600_000): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw new MatrixError(
        'E_MANAGER_UNREACHABLE',
        `cannot reach the manager at ${this.baseUrl} (${(e as Error).cause ?? (e as Error).message}); is it running? try \`matrix lab up\` or \`matrix manager start\``,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new MatrixError('E_INTERNAL', `the manager answered ${res.status} with a non-JSON body`);
    }
    if (!res.ok) throw toMatrixError((json as { error?: ApiError }).error, res.status);
    return json as T;
  }
}

const enc = encodeURIComponent;

/** An answer in the API's error shape becomes that error; anything else (a proxy, a bug) is E_INTERNAL with the status. */
export function toMatrixError(e: ApiError | undefined, status: number): MatrixError {
  if (!e || typeof e !== 'object' || !(typeof e.code === 'string' && e.code in ERROR_CODES)) {
    const message = e && typeof e === 'object' && typeof e.message === 'string' ? e.message : 'no error details';
    return new MatrixError('E_INTERNAL', `the manager answered HTTP ${status}: ${message}`);
  }
  return new MatrixError(e.code, typeof e.message === 'string' ? e.message : '', {
    ...(e.path !== undefined ? { path: e.path } : {}),
    ...(Array.isArray(e.details) ? { details: e.details.map((d) => toMatrixError(d, status)) } : {}),
  });
}
