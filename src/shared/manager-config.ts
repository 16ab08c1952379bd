/**
 * The manager's settings, kept in <MATRIX_HOME>/manager.json so the CLI, the lab and a
 * restarted manager agree on addresses. Flags to `matrix manager start` override and persist.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MatrixError } from '../core/errors.ts';
import type { HomePaths } from './home.ts';
import { DEFAULT_POLICY, POLICY_KEYS, type HostPolicy } from '../core/policy.ts';
import { DEFAULT_CLUSTER_RANGE, parseClusterRange } from '../core/network/cluster-network.ts';
import { NETWORK_SETTINGS, type NetworkSetting } from '../core/network/vxlan.ts';

export interface ManagerConfig {
  /** host:port of the API (loopback by default: the token is the only guard). */
  api: string;
  /** Serve the API over HTTPS with a certificate from the cluster CA (required off loopback). */
  apiTls: boolean;
  /** host:port the registry listens on and nodes pull from. */
  registry: string;
  /** address:port Varnish listens on. */
  ingress: string;
  /** host:port of Varnish's admin CLI (secret-protected; keep it on loopback). */
  ingressAdmin: string;
  /** Apps also answer at `<app>.<domain>` on the ingress (point a wildcard DNS name at it). */
  domain: string;
  /** Registries besides the cluster's that app images may come from (`host[:port]`); none by default. */
  allowedRegistries: string[];
  /** Which kinds of host access apps may ask for (core/policy.ts); none by default. */
  policy: HostPolicy;
  /** The cluster network's IPv4 range; each node's containers get a /24 of it. */
  network: string;
  /** How nodes reach each other's shares: `host-gw` (plain routes, one L2 network), `vxlan` (across routed networks) or `auto` (the default: host-gw when every node is on a network the manager's host reaches directly). */
  networkMode: NetworkSetting;
  /** address:port of the `.matrix` DNS server nodes' containers ask; empty: the registry's address, port 53. */
  dns: string;
}

export const DEFAULT_MANAGER_CONFIG: ManagerConfig = {
  api: '127.0.0.1:7070',
  apiTls: false,
  registry: '127.0.0.1:5000',
  ingress: ':6081',
  ingressAdmin: '127.0.0.1:6082',
  domain: 'matrix',
  allowedRegistries: [],
  policy: DEFAULT_POLICY,
  network: DEFAULT_CLUSTER_RANGE,
  networkMode: 'auto',
  dns: '',
};

const HOSTPORT = /^(?:[0-9.]*|\[[0-9a-f:]+\]|[a-z0-9.-]+):(\d{1,5})$/i;

export function validateManagerConfig(c: Partial<ManagerConfig>): ManagerConfig {
  const out = { ...DEFAULT_MANAGER_CONFIG, ...c };
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(out.domain)) {
    throw new MatrixError('E_BAD_REQUEST', `must be a lowercase DNS domain like matrix or apps.example.com, got "${out.domain}"`, { path: 'domain' });
  }
  parseClusterRange(String(out.network), 'network');
  if (!NETWORK_SETTINGS.includes(out.networkMode))
    throw new MatrixError('E_BAD_REQUEST', `must be ${NETWORK_SETTINGS.join(', ')}, got "${String(out.networkMode)}"`, { path: 'networkMode' });
  for (const key of ['api', 'registry', 'ingress', 'ingressAdmin', ...(out.dns === '' ? [] : (['dns'] as const))] as const) {
    const m = HOSTPORT.exec(out[key]);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) {
      throw new MatrixError('E_BAD_REQUEST', `must be host:port (e.g. ${DEFAULT_MANAGER_CONFIG[key]}), got "${out[key]}"`, { path: key });
    }
  }
  if (!Array.isArray(out.allowedRegistries) || out.allowedRegistries.some((r) => typeof r !== 'string' || !/^[a-z0-9.-]+(:\d{1,5})?$/i.test(r))) {
    throw new MatrixError('E_BAD_REQUEST', 'must be a list of registry hosts like registry.example.com or 10.0.0.5:5000', { path: 'allowedRegistries' });
  }
  out.policy = validatePolicy(c.policy);
  if (typeof out.apiTls !== 'boolean') throw new MatrixError('E_BAD_REQUEST', 'must be true or false', { path: 'apiTls' });
  const apiHost = out.api.slice(0, out.api.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  if (!isLoopback(apiHost) && !out.apiTls) {
    throw new MatrixError(
      'E_BAD_REQUEST',
      `plain HTTP would send the API token across the network in clear: bind the API to loopback (e.g. 127.0.0.1:7070), or serve HTTPS with the cluster CA (\`--api-tls\`), got "${out.api}"`,
      { path: 'api' },
    );
  }
  return out;
}

/** `policy`: a mapping of the known keys to true/false; keys left out stay refused. */
function validatePolicy(v: unknown): HostPolicy {
  if (v === undefined) return { ...DEFAULT_POLICY };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new MatrixError('E_BAD_REQUEST', `must be a mapping of ${POLICY_KEYS.join(', ')} to true or false`, { path: 'policy' });
  }
  const out = { ...DEFAULT_POLICY };
  for (const [k, x] of Object.entries(v)) {
    if (!(POLICY_KEYS as string[]).includes(k))
      throw new MatrixError('E_BAD_REQUEST', `unknown policy key; known: ${POLICY_KEYS.join(', ')}`, { path: `policy.${k}` });
    if (typeof x !== 'boolean') throw new MatrixError('E_BAD_REQUEST', 'must be true or false', { path: `policy.${k}` });
    out[k as keyof HostPolicy] = x;
  }
  return out;
}

/** 127.0.0.0/8, ::1 and localhost: the only addresses the plain-HTTP API may listen on. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function readManagerConfig(p: HomePaths): ManagerConfig {
  if (!existsSync(p.managerConfig)) return { ...DEFAULT_MANAGER_CONFIG };
  return validateManagerConfig(JSON.parse(readFileSync(p.managerConfig, 'utf8')) as Partial<ManagerConfig>);
}

export function writeManagerConfig(p: HomePaths, c: ManagerConfig): void {
  mkdirSync(dirname(p.managerConfig), { recursive: true, mode: 0o700 });
  writeFileSync(p.managerConfig, JSON.stringify(c, null, 2) + '\n', { mode: 0o600 });
}

/** Where a client on the manager host dials the API: loopback when it listens on every address. */
export function apiUrl(c: Pick<ManagerConfig, 'api' | 'apiTls'>): string {
  const at = c.api.lastIndexOf(':');
  const host = c.api.slice(0, at);
  const dial = ['', '0.0.0.0'].includes(host) ? '127.0.0.1' : host === '[::]' ? '[::1]' : host;
  return `${c.apiTls ? 'https' : 'http'}://${dial}:${c.api.slice(at + 1)}`;
}

/**
 * Where the `.matrix` DNS listens and nodes' containers ask: `dns`, else the registry's host
 * (the address nodes reach the manager at), port 53. Null when neither is set and the
 * registry is on loopback: no node could ask it, and port 53 there is often the host's own resolver.
 */
export function dnsListen(c: Pick<ManagerConfig, 'dns' | 'registry'>): { address: string; port: number } | null {
  const registryHost = c.registry.slice(0, c.registry.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  if (!c.dns && (isLoopback(registryHost) || registryHost === '' || registryHost === '0.0.0.0')) return null;
  const hp = c.dns || `${registryHost}:53`;
  const at = hp.lastIndexOf(':');
  return { address: hp.slice(0, at).replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(hp.slice(at + 1)) };
}
