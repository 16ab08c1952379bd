/**
 * Subject alternative names for cluster certificates. Pure: the Pki class and the lab both
 * call these, so the names a node is reached by are decided in exactly one place.
 */
import { isIP } from 'node:net';
import { MatrixError } from '../../core/errors.ts';

export interface Sans {
  dns: string[];
  ips: string[];
}

// RFC 1123 labels; a leading `*.` is not allowed because the cluster never issues wildcards.
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function assertIp(ip: string, path = 'address'): void {
  if (isIP(ip) === 0) throw new MatrixError('E_BAD_REQUEST', `not an IP address: ${JSON.stringify(ip)}`, { path });
}

export function assertHostname(name: string, path = 'name'): void {
  if (!HOSTNAME.test(name)) throw new MatrixError('E_BAD_REQUEST', `not a valid host name: ${JSON.stringify(name)}`, { path });
}

/** IPv6 has many spellings; certificates and Node print them differently, so compare canonical forms. */
export function canonicalIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** Validates and de-duplicates (dns lower-cased, IPs canonical); order is kept. */
export function normalizeSans(sans: Sans): Sans {
  sans.dns.forEach((d, i) => assertHostname(d, `sans.dns[${i}]`));
  sans.ips.forEach((ip, i) => assertIp(ip, `sans.ips[${i}]`));
  return { dns: unique(sans.dns.map((d) => d.toLowerCase())), ips: unique(sans.ips.map(canonicalIp)) };
}

export function sameSans(a: Sans, b: Sans): boolean {
  const key = (s: Sans): string => {
    const n = normalizeSans(s);
    return JSON.stringify([[...n.dns].sort(), [...n.ips].sort()]);
  };
  return key(a) === key(b);
}

/** A node engine is dialled by IP, but `docker -H node1.matrix` must verify too. */
export function nodeSans(node: { name: string; address: string }, domain = 'matrix'): Sans {
  assertHostname(node.name, 'node.name');
  assertIp(node.address, 'node.address');
  assertHostname(domain, 'domain');
  return normalizeSans({ dns: [node.name, `${node.name}.${domain}`], ips: [node.address] });
}

/** Nodes pull from the manager address; the manager itself and tests reach it on loopback. */
export function registrySans(address: string, domain = 'matrix'): Sans {
  assertIp(address, 'registry.address');
  assertHostname(domain, 'domain');
  return normalizeSans({ dns: ['localhost', `registry.${domain}`], ips: [address, '127.0.0.1'] });
}

/**
 * The manager API when it serves HTTPS: the CLI on the manager host dials loopback; others
 * dial the address it listens on, or, bound to every address, any of the host's (`hostAddrs`).
 */
export function apiSans(bindHost: string, hostAddrs: readonly string[], domain = 'matrix', hostname?: string): Sans {
  const host = bindHost.replace(/^\[|\]$/g, '');
  const everywhere = host === '' || host === '0.0.0.0' || host === '::';
  const ips = ['127.0.0.1', '::1', ...(everywhere ? hostAddrs.filter((a) => isIP(a) !== 0) : isIP(host) ? [host] : [])];
  const dns = ['localhost', `manager.${domain}`, ...(!everywhere && !isIP(host) ? [host] : []), ...(hostname && HOSTNAME.test(hostname) ? [hostname] : [])];
  return normalizeSans({ dns, ips });
}

/** Parses `X509Certificate.subjectAltName` ("DNS:a, IP Address:1.2.3.4") back into Sans. */
export function parseSubjectAltName(text: string | undefined): Sans {
  const out: Sans = { dns: [], ips: [] };
  for (const part of (text ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    if (part.startsWith('DNS:')) out.dns.push(part.slice(4));
    else if (part.startsWith('IP Address:')) out.ips.push(canonicalIp(part.slice(11)));
  }
  return out;
}
