/**
 * The dashboard's client of the manager API (same origin): every call carries the token as
 * `Authorization: Bearer`, and an answer in the API's error shape becomes an ApiError. The
 * bodies are the server's own types (src/shared/api-types.ts, imported as types only).
 */
import type {
  AppDetail,
  AppRevisionEntry,
  AppSpec,
  AppSummary,
  ChangeResult,
  ClusterEvent,
  DeployRequest,
  EventsView,
  NodeView,
  ReplicasView,
  RollbackResult,
  StatsView,
  StatusView,
} from '../../src/shared/api-types.ts';

export interface ErrorBody {
  code: string;
  message: string;
  path?: string;
  details?: ErrorBody[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
  get code(): string {
    return this.body.code;
  }
}

/** One line of `GET /v1/apps/:name/logs`. */
export interface LogLine {
  at: string;
  replica: string;
  node: string;
  stream: string;
  text: string;
}

/** `GET /v1/apps/:name/logs?tail=N`: the lines, and the replicas whose logs could not be read. */
export interface AppLogs {
  lines: LogLine[];
  errors?: { replica: string; node: string; message: string }[];
}

const enc = encodeURIComponent;

export class Api {
  constructor(readonly token: string) {}

  private async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(signal ? { signal } : {}) });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ApiError(0, { code: 'E_MANAGER_UNREACHABLE', message: `cannot reach the manager (${(e as Error).message})` });
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: /metrics, or something in between
    }
    if (!res.ok) {
      const err = (json as { error?: ErrorBody } | null)?.error;
      throw new ApiError(res.status, err && typeof err.code === 'string' ? err : { code: 'E_INTERNAL', message: `the manager answered HTTP ${res.status}` });
    }
    return (json ?? text) as T;
  }

  status(signal?: AbortSignal): Promise<StatusView> {
    return this.call('GET', '/v1/status', undefined, signal);
  }
  async nodes(signal?: AbortSignal): Promise<NodeView[]> {
    return (await this.call<{ nodes: NodeView[] }>('GET', '/v1/nodes', undefined, signal)).nodes;
  }
  async apps(signal?: AbortSignal): Promise<AppSummary[]> {
    return (await this.call<{ apps: AppSummary[] }>('GET', '/v1/apps', undefined, signal)).apps;
  }
  replicas(signal?: AbortSignal): Promise<ReplicasView> {
    return this.call('GET', '/v1/replicas', undefined, signal);
  }
  /** `query`: `since=10m`, `after=<id>`, `app=web`, `limit=200`. */
  async events(query: Record<string, string | number>, signal?: AbortSignal): Promise<ClusterEvent[]> {
    const q = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
    return (await this.call<EventsView>('GET', `/v1/events?${q}`, undefined, signal)).events;
  }
  /** Prometheus text. */
  metrics(signal?: AbortSignal): Promise<string> {
    return this.call('GET', '/metrics', undefined, signal);
  }
  /** Usage per node and app: costs the manager about a second and every engine a stats call per container (the poller reads it every 15 s at most). */
  stats(signal?: AbortSignal): Promise<StatsView> {
    return this.call('GET', '/v1/stats', undefined, signal);
  }
  /** Every app's spec (for the resources each replica reserves). */
  async deployment(signal?: AbortSignal): Promise<{ apps: AppSpec[]; generation: number } | null> {
    return (await this.call<{ deployment: { apps: AppSpec[]; generation: number } | null }>('GET', '/v1/deployment', undefined, signal)).deployment;
  }
  app(name: string, signal?: AbortSignal): Promise<AppDetail> {
    return this.call('GET', `/v1/apps/${enc(name)}`, undefined, signal);
  }
  async history(name: string, signal?: AbortSignal): Promise<AppRevisionEntry[]> {
    return (await this.call<{ history: AppRevisionEntry[] }>('GET', `/v1/apps/${enc(name)}/history`, undefined, signal)).history;
  }
  logs(name: string, tail: number, signal?: AbortSignal): Promise<AppLogs> {
    return this.call('GET', `/v1/apps/${enc(name)}/logs?tail=${tail}`, undefined, signal);
  }
  deploy(req: DeployRequest): Promise<ChangeResult> {
    return this.call('POST', '/v1/deploy', req);
  }
  scale(name: string, replicas: number, dryRun: boolean): Promise<ChangeResult> {
    return this.call('POST', `/v1/apps/${enc(name)}/scale`, { replicas, dryRun });
  }
  rollback(name: string): Promise<RollbackResult> {
    return this.call('POST', `/v1/apps/${enc(name)}/rollback`);
  }
  /** Drain or activate a node: PUT /v1/nodes/:name takes its address and engine port with the change, as `matrix node drain` sends. */
  setAvailability(n: NodeView, availability: 'drain' | 'active'): Promise<{ node: NodeView | undefined }> {
    return this.call('PUT', `/v1/nodes/${enc(n.name)}`, {
      address: n.address,
      enginePort: n.enginePort,
      ...(n.socket !== undefined ? { socket: n.socket } : {}),
      availability,
    });
  }
}
