/**
 * The one HTTP(S) client for our own services (the registry, the manager API): plain
 * node:http/node:https, so TLS trusts exactly the CA it is given (the cluster's), never the
 * system store by accident and never `rejectUnauthorized: false`.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequestFn, type Agent } from 'node:https';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface HttpRequest {
  method: string;
  /** Absolute http or https URL. */
  url: string;
  headers?: Record<string, string | number>;
  body?: Buffer | string;
  /** For https: the agent carrying the CA (and client certificate) to use. */
  agent?: Agent;
  timeoutMs?: number;
}

export function sendRequest(req: HttpRequest): Promise<HttpResponse> {
  const https = req.url.startsWith('https:');
  const send = https ? httpsRequestFn : httpRequest;
  return new Promise((resolve, reject) => {
    const r = send(req.url, { method: req.method, headers: req.headers ?? {}, ...(https && req.agent ? { agent: req.agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    const timeoutMs = req.timeoutMs ?? 30_000;
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
