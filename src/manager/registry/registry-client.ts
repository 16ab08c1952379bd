/**
 * A minimal Docker Registry HTTP API v2 client: exactly what pushing sample images and
 * checking `E_IMAGE_NOT_FOUND` before a deploy need, without an extra HTTP dependency.
 */
import { createHash } from 'node:crypto';
import { Agent } from 'node:https';
import { MatrixError } from '../../core/errors.ts';
import { type HttpResponse, header, sendRequest } from '../../util/http-request.ts';

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

const MANIFEST_ACCEPT = [MEDIA.dockerManifest, MEDIA.dockerManifestList, MEDIA.ociManifest, MEDIA.ociIndex].join(', ');

// distribution's reference grammar; checking here keeps user input out of URL paths.
const REPO = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface RegistryClientOptions {
  /** host:port as nodes see it, e.g. '10.210.0.1:5000'; also the prefix of image references. */
  addr: string;
  /** Cluster CA PEM the registry's certificate is verified against. */
  ca: string;
  /** The client certificate (from the cluster CA) the registry requires. */
  cert: string;
  key: string;
  timeoutMs?: number;
}

export interface FetchedManifest {
  mediaType: string;
  digest: string;
  body: Buffer;
}

export class RegistryClient {
  readonly addr: string;
  private readonly agent: Agent;
  private readonly timeoutMs: number;

  constructor(opts: RegistryClientOptions) {
    this.addr = opts.addr;
    this.agent = new Agent({ ca: opts.ca, cert: opts.cert, key: opts.key, keepAlive: true });
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Full reference a node pulls: `<addr>/<repo>:<tag>`. */
  reference(repo: string, tag = 'latest'): string {
    return `${this.addr}/${repo}:${tag}`;
  }

  async ping(): Promise<void> {
    const res = await this.call('GET', '/v2/');
    if (res.status !== 200) throw this.fail('GET /v2/', res);
  }

  async manifestExists(repo: string, tag: string): Promise<boolean> {
    const path = `/v2/${checkRepo(repo)}/manifests/${checkRef(tag)}`;
    const res = await this.call('HEAD', path, { headers: { Accept: MANIFEST_ACCEPT } });
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.fail(`HEAD ${path}`, res);
  }

  async blobExists(repo: string, digest: string): Promise<boolean> {
    const path = `/v2/${checkRepo(repo)}/blobs/${checkDigest(digest)}`;
    const res = await this.call('HEAD', path);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.fail(`HEAD ${path}`, res);
  }

  /** Monolithic upload; a blob the registry already has for this repo is not sent again. */
  async pushBlob(repo: string, data: Buffer): Promise<string> {
    const digest = sha256Digest(data);
    if (await this.blobExists(repo, digest)) return digest;
    const start = `/v2/${checkRepo(repo)}/blobs/uploads/`;
    const res = await this.call('POST', start, { headers: { 'Content-Length': 0 } });
    const location = header(res, 'location');
    if (res.status !== 202 || !location) throw this.fail(`POST ${start}`, res);
    // Location may be absolute or relative, and already carries the upload state query.
    const url = new URL(location, this.base());
    url.searchParams.set('digest', digest);
    const put = await this.call('PUT', url.toString(), {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length },
      body: data,
    });
    if (put.status !== 201) throw this.fail(`PUT ${url.pathname}`, put);
    return digest;
  }

  /** Returns the manifest digest (what `docker pull <ref>@<digest>` would use). */
  async pushManifest(repo: string, tag: string, manifest: object | Buffer | string, mediaType: string = MEDIA.dockerManifest): Promise<string> {
    const body = Buffer.isBuffer(manifest) ? manifest : Buffer.from(typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
    const path = `/v2/${checkRepo(repo)}/manifests/${checkRef(tag)}`;
    const res = await this.call('PUT', path, { headers: { 'Content-Type': mediaType, 'Content-Length': body.length }, body });
    if (res.status !== 201) throw this.fail(`PUT ${path}`, res);
    return header(res, 'docker-content-digest') ?? sha256Digest(body);
  }

  async getManifest(repo: string, ref: string): Promise<FetchedManifest> {
    const path = `/v2/${checkRepo(repo)}/manifests/${checkRef(ref)}`;
    const res = await this.call('GET', path, { headers: { Accept: MANIFEST_ACCEPT } });
    if (res.status === 404) throw new MatrixError('E_IMAGE_NOT_FOUND', `${this.reference(repo, ref)} is not in the cluster registry`);
    if (res.status !== 200) throw this.fail(`GET ${path}`, res);
    return {
      mediaType: header(res, 'content-type') ?? MEDIA.dockerManifest,
      digest: header(res, 'docker-content-digest') ?? sha256Digest(res.body),
      body: res.body,
    };
  }

  async getBlob(repo: string, digest: string): Promise<Buffer> {
    const path = `/v2/${checkRepo(repo)}/blobs/${checkDigest(digest)}`;
    const res = await this.call('GET', path);
    if (res.status !== 200) throw this.fail(`GET ${path}`, res);
    return res.body;
  }

  /** Tags of a repository; an unknown repository has none. */
  async listTags(repo: string): Promise<string[]> {
    const path = `/v2/${checkRepo(repo)}/tags/list`;
    const res = await this.call('GET', path);
    if (res.status === 404) return [];
    if (res.status !== 200) throw this.fail(`GET ${path}`, res);
    const parsed = JSON.parse(res.body.toString('utf8')) as { tags?: string[] | null };
    return [...(parsed.tags ?? [])].sort();
  }

  close(): void {
    this.agent.destroy();
  }

  private base(): string {
    return `https://${this.addr}`;
  }

  private async call(method: string, pathOrUrl: string, opts: { headers?: Record<string, string | number>; body?: Buffer } = {}): Promise<HttpResponse> {
    const url = pathOrUrl.startsWith('https://') ? pathOrUrl : `${this.base()}${pathOrUrl}`;
    try {
      return await sendRequest({ method, url, agent: this.agent, timeoutMs: this.timeoutMs, ...opts });
    } catch (e) {
      throw new MatrixError('E_REGISTRY', `registry ${this.addr}: ${method} ${new URL(url).pathname} failed: ${(e as Error).message}`);
    }
  }

  private fail(what: string, res: HttpResponse): MatrixError {
    const text = res.body.toString('utf8').trim().slice(0, 500);
    return new MatrixError('E_REGISTRY', `registry ${this.addr}: ${what} answered ${res.status}${text ? `: ${text}` : ''}`);
  }
}

function checkRepo(repo: string): string {
  if (!REPO.test(repo) || repo.length > 255) throw new MatrixError('E_BAD_REQUEST', `not a valid repository name: ${JSON.stringify(repo)}`);
  return repo;
}

function checkRef(ref: string): string {
  if (!TAG.test(ref) && !DIGEST.test(ref)) throw new MatrixError('E_BAD_REQUEST', `not a valid tag or digest: ${JSON.stringify(ref)}`);
  return ref;
}

function checkDigest(digest: string): string {
  if (!DIGEST.test(digest)) throw new MatrixError('E_BAD_REQUEST', `not a sha256 digest: ${JSON.stringify(digest)}`);
  return digest;
}
