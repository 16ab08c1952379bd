/**
 * The CLI's typed client of the manager API: token auth, errors decoded to MatrixError, one
 * method per route, with the request and answer types the server uses (shared/api-types.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { ERROR_CODES, MatrixError, type ErrorCode } from '../core/errors.ts';
import type { NodeAvailability } from '../core/model.ts';
import type {
  ClusterEvent,
  EventsView,
  LogsView,
  StatsView,
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
  DnsView,
  VolumesView,
  TokenRole,
  TokenView,
} from '../shared/api-types.ts';
import { homePaths, trustFile, type HomePaths } from '../shared/home.ts';
import { apiUrl, readManagerConfig } from '../shared/manager-config.ts';
import { sendRequest, type HttpResponse } from '../util/http-request.ts';

export interface ApiError {
  code: ErrorCode;
  message: string;
  path?: string;
  details?: ApiError[];
}

export interface ClientTls {
  /** The CA that signed the API's certificate (the cluster CA); without it an https API is not trusted. */
  ca?: string;
}

export class ApiClient {
  private readonly agent: Agent | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    tls: ClientTls = {},
  ) {
    // only this CA, not the system's: the API's certificate comes from the cluster CA
    this.agent = baseUrl.startsWith('https:') && tls.ca ? new Agent({ ca: tls.ca, keepAlive: false }) : undefined;
  }

  /**
   * The manager named by the environment (`MATRIX_API`, `MATRIX_TOKEN`, `MATRIX_CA`: a path to
   * the cluster's ca.pem), else by the home: manager.json's address, the token file, pki/ca.pem.
   */
  static fromEnv(paths: HomePaths = homePaths(), env: NodeJS.ProcessEnv = process.env): ApiClient {
    const base = env.MATRIX_API || apiUrl(readManagerConfig(paths));
    const token = env.MATRIX_TOKEN || (existsSync(paths.token) ? readFileSync(paths.token, 'utf8').trim() : '');
    const caFile = env.MATRIX_CA || trustFile(paths.pki);
    return new ApiClient(base.replace(/\/$/, ''), token, existsSync(caFile) ? { ca: readFileSync(caFile, 'utf8') } : {});
  }

  /** `GET /v1/health` (no token needed): throws unless the manager answers within the timeout. */
  async health(timeoutMs: number): Promise<void> {
    await this.request('GET', '/v1/health', undefined, timeoutMs);
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

  putNode(
    name: string,
    node: { address: string; enginePort: number; socket?: string; labels?: Record<string, string>; availability?: NodeAvailability; driver?: string },
  ): Promise<{ node: NodeView | undefined }> {
    return this.request('PUT', `/v1/nodes/${enc(name)}`, node);
  }

  removeNode(name: string): Promise<{ removed: string }> {
    return this.request('DELETE', `/v1/nodes/${enc(name)}`);
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

  volumes(): Promise<VolumesView> {
    return this.request('GET', '/v1/volumes');
  }

  removeVolume(node: string, name: string): Promise<{ removed: string; node: string }> {
    return this.request('DELETE', `/v1/volumes/${enc(node)}/${enc(name)}`);
  }

  dns(): Promise<DnsView> {
    return this.request('GET', '/v1/dns');
  }

  /** `query`: the URL query of `GET /v1/events` (commands/events.ts builds it). */
  async events(query: string): Promise<ClusterEvent[]> {
    return (await this.request<EventsView>('GET', `/v1/events${query ? `?${query}` : ''}`)).events;
  }

  stats(): Promise<StatsView> {
    return this.request<StatsView>('GET', '/v1/stats');
  }

  logs(app: string, query: string): Promise<LogsView> {
    return this.request<LogsView>('GET', `/v1/apps/${encodeURIComponent(app)}/logs${query ? `?${query}` : ''}`);
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
    let res: HttpResponse;
    try {
      const payload = body !== undefined ? JSON.stringify(body) : undefined;
      res = await sendRequest({
        method,
        url: this.baseUrl + path,
        headers: { authorization: `Bearer ${this.token}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(payload !== undefined ? { body: payload } : {}),
        ...(this.agent ? { agent: this.agent } : {}),
        timeoutMs,
      });
    } catch (e) {
      throw unreachable(this.baseUrl, e as NodeJS.ErrnoException);
    }
    const text = res.body.toString('utf8');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new MatrixError('E_INTERNAL', `the manager answered ${res.status} with a non-JSON body`);
    }
    if (res.status < 200 || res.status >= 300) throw toMatrixError((json as { error?: ApiError }).error, res.status);
    return json as T;
  }
}

function unreachable(base: string, e: NodeJS.ErrnoException): MatrixError {
  const tls = /certificate|self.signed|CERT_|UNABLE_TO_VERIFY/i.test(`${e.code ?? ''} ${e.message}`);
  const hint = tls
    ? 'the API certificate is not trusted: point MATRIX_CA at the cluster CA (<MATRIX_HOME>/pki/ca.pem on the manager host)'
    : 'is it running? try `matrix lab up` or `matrix manager start`';
  return new MatrixError('E_MANAGER_UNREACHABLE', `cannot reach the manager at ${base} (${e.code ?? e.message}); ${hint}`);
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
