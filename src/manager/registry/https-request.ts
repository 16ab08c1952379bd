/**
 * The one place that talks HTTPS to the registry. Plain node:https with the cluster CA: the
 * registry's certificate is always verified, never `rejectUnauthorized: false`.
 */
import { request } from 'node:https';
import type { Agent } from 'node:https';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface HttpRequest {
  method: string;
  /** Absolute https URL. */
  url: string;
  headers?: Record<string, string | number>;
  body?: Buffer | string;
  agent: Agent;
  timeoutMs?: number;
}

export function httpsRequest(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const r = request(req.url, { method: req.method, headers: req.headers ?? {}, agent: req.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.setTimeout(req.timeoutMs ?? 30_000, () => r.destroy(new Error(`timed out after ${req.timeoutMs ?? 30_000} ms`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
