/**
 * The `.matrix` zone: which names containers can resolve, built from the cluster's nodes and
 * replicas. The manager publishes it as a JSON file; the DNS server (a separate process)
 * reads that file back with `parseZone` and answers from it with `lookup`.
 */
import { byCodeUnit } from '../compare.ts';
import { MatrixError } from '../errors.ts';

export const DNS_DOMAIN = 'matrix';
/** Short, so a client follows a rollout within a second instead of caching a stopped replica. */
export const DEFAULT_DNS_TTL = 1;
/** Far above any real cluster; a larger file is damage, not a zone. */
export const MAX_ZONE_BYTES = 8 * 1024 * 1024;
const MAX_TTL = 0x7fffffff; // RFC 2181 §8

export interface SrvTarget {
  target: string;
  port: number;
}

export interface DnsZone {
  /** Increases with every publication. */
  serial: number;
  /** Seconds. */
  ttl: number;
  /** Fully qualified lower-case name without the trailing dot -> IPv4 addresses (sorted). */
  a: Record<string, string[]>;
  srv: Record<string, SrvTarget[]>;
}

export interface ZoneReplica {
  app: string;
  /** `<app>.<slot>`, e.g. `web.0`. */
  id: string;
  /** The container's IPv4 address on the cluster network. */
  address: string;
  /** The container port. */
  port: number;
}

export interface ZoneNode {
  name: string;
  address: string;
}

/** RFC 1123 host label. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Dotted quad without leading zeros: `010.0.0.1` means octal to some resolvers' parsers. */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const SRV_NAME = /^_([1-9]\d{0,4})\._tcp\.(.+)$/;
const MAX_NAME = 253;

export function isDnsLabel(s: string): boolean {
  return LABEL.test(s);
}

export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** A host name under `.matrix`: one or more labels, then the domain. */
function isZoneHostName(name: string): boolean {
  if (name.length > MAX_NAME || !name.endsWith(`.${DNS_DOMAIN}`)) return false;
  return name
    .slice(0, -DNS_DOMAIN.length - 1)
    .split('.')
    .every(isDnsLabel);
}

function isZoneSrvName(name: string): boolean {
  const m = SRV_NAME.exec(name);
  return m !== null && isPort(Number(m[1])) && isZoneHostName(m[2]!);
}

/** Lower case, without the trailing dot: names are compared case-insensitively (RFC 4343). */
export function normalizeDnsName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Whether a (normalized) name is `matrix` itself or below it: those are answered from the zone, never forwarded. */
export function inDnsDomain(name: string): boolean {
  return name === DNS_DOMAIN || name.endsWith(`.${DNS_DOMAIN}`);
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function sortedRecord<T>(m: Map<string, T[]>, order: (a: T, b: T) => number): Record<string, T[]> {
  const out: Record<string, T[]> = {};
  for (const k of [...m.keys()].sort(byCodeUnit)) out[k] = [...m.get(k)!].sort(order);
  return out;
}

const bySrv = (x: SrvTarget, y: SrvTarget): number => byCodeUnit(x.target, y.target) || x.port - y.port;

/**
 * The zone for one publication. Bad names and addresses are skipped with a warning rather than
 * failing the whole zone: one odd replica must not take every other name out of DNS.
 */
export function dnsZone(input: { nodes: readonly ZoneNode[]; replicas: readonly ZoneReplica[]; serial: number; ttl?: number }): {
  zone: DnsZone;
  warnings: string[];
} {
  const ttl = input.ttl ?? DEFAULT_DNS_TTL;
  if (!Number.isSafeInteger(input.serial) || input.serial < 0)
    throw new MatrixError('E_BAD_REQUEST', `the zone serial is a non-negative integer, not ${show(input.serial)}`, { path: 'serial' });
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL)
    throw new MatrixError('E_BAD_REQUEST', `the DNS TTL is an integer in 0..${MAX_TTL} seconds, not ${show(ttl)}`, { path: 'ttl' });

  const warnings: string[] = [];
  const a = new Map<string, string[]>();
  const srv = new Map<string, SrvTarget[]>();
  const addA = (name: string, address: string): void => {
    const list = a.get(name) ?? [];
    if (!list.includes(address)) list.push(address);
    a.set(name, list);
  };
  const apps = new Set<string>();

  for (const r of input.replicas) {
    const app = r.app.toLowerCase();
    if (!isDnsLabel(app)) {
      warnings.push(`replica ${show(r.id)}: the app name ${show(r.app)} is not a DNS label; it has no DNS name`);
      continue;
    }
    apps.add(app);
    if (!isIPv4(r.address)) {
      warnings.push(`replica ${show(r.id)}: ${show(r.address)} is not an IPv4 address; it is left out of ${app}.${DNS_DOMAIN}`);
      continue;
    }
    addA(`${app}.${DNS_DOMAIN}`, r.address);
    const id = r.id.toLowerCase();
    const slot = id.startsWith(`${app}.`) ? id.slice(app.length + 1) : '';
    if (!isDnsLabel(slot)) {
      warnings.push(`replica ${show(r.id)}: its slot is not a DNS label; it has no name of its own`);
      continue;
    }
    const target = `${slot}.${app}.${DNS_DOMAIN}`;
    addA(target, r.address);
    if (!isPort(r.port)) {
      warnings.push(`replica ${show(r.id)}: port ${show(r.port)} is not in 1..65535; it has no SRV record`);
      continue;
    }
    const name = `_${r.port}._tcp.${app}.${DNS_DOMAIN}`;
    const list = srv.get(name) ?? [];
    if (!list.some((s) => s.target === target)) list.push({ target, port: r.port });
    srv.set(name, list);
  }

  for (const n of input.nodes) {
    const name = n.name.toLowerCase();
    if (!isDnsLabel(name)) {
      warnings.push(`node ${show(n.name)}: the name is not a DNS label; it has no DNS name`);
    } else if (apps.has(name)) {
      // Apps are what containers look up; a node is reached by its own address anyway.
      warnings.push(`node ${show(n.name)} and app ${show(name)} share the name ${name}.${DNS_DOMAIN}: it resolves to the app`);
    } else if (!isIPv4(n.address)) {
      warnings.push(`node ${show(n.name)}: ${show(n.address)} is not an IPv4 address; it has no DNS name`);
    } else {
      addA(`${name}.${DNS_DOMAIN}`, n.address);
    }
  }

  return { zone: { serial: input.serial, ttl, a: sortedRecord(a, byCodeUnit), srv: sortedRecord(srv, bySrv) }, warnings };
}

function bad(path: string, message: string): MatrixError {
  return new MatrixError('E_BAD_REQUEST', `zone file: ${path ? `${path} ` : ''}${message}`, path ? { path } : {});
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseRecords<T>(v: unknown, path: string, validName: (n: string) => boolean, item: (x: unknown, at: string) => T): Record<string, T[]> {
  if (!isObject(v)) throw bad(path, 'must be an object of name -> records');
  const out: Record<string, T[]> = {};
  for (const [name, list] of Object.entries(v)) {
    const at = `${path}[${show(name)}]`;
    if (!validName(name)) throw bad(at, `is not a lower-case name under .${DNS_DOMAIN}`);
    if (!Array.isArray(list)) throw bad(at, 'must be a list');
    out[name] = list.map((x: unknown, i) => item(x, `${at}[${i}]`));
  }
  return out;
}

/**
 * Reads a zone file back. The DNS server trusts nothing in it: a damaged file must be refused
 * as a whole (the server then keeps its last good zone), never half-applied or crash it.
 * Unknown top-level keys are ignored so a newer manager can add records while an older
 * server, which keeps running across manager upgrades, still serves the ones it knows.
 */
export function parseZone(json: string): DnsZone {
  if (json.length > MAX_ZONE_BYTES) throw bad('', `is larger than ${MAX_ZONE_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (e) {
    throw bad('', `is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(v)) throw bad('', 'must be a JSON object');
  const { serial, ttl } = v;
  if (typeof serial !== 'number' || !Number.isSafeInteger(serial) || serial < 0) throw bad('serial', `must be a non-negative integer, not ${show(serial)}`);
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) throw bad('ttl', `must be an integer in 0..${MAX_TTL}, not ${show(ttl)}`);
  const a = parseRecords(v.a, 'a', isZoneHostName, (x, at) => {
    if (typeof x !== 'string' || !isIPv4(x)) throw bad(at, `is not a dotted IPv4 address: ${show(x)}`);
    return x;
  });
  const srv = parseRecords(v.srv, 'srv', isZoneSrvName, (x, at) => {
    if (!isObject(x)) throw bad(at, 'must be an object {target, port}');
    if (typeof x.target !== 'string' || !isZoneHostName(x.target)) throw bad(`${at}.target`, `is not a name under .${DNS_DOMAIN}: ${show(x.target)}`);
    if (!isPort(x.port)) throw bad(`${at}.port`, `is not a port in 1..65535: ${show(x.port)}`);
    return { target: x.target, port: x.port };
  });
  return { serial, ttl, a, srv };
}

export interface Lookup<T> {
  /** The name asked, normalized. */
  name: string;
  /** Under `.matrix`: answered from the zone (never forwarded). */
  inZone: boolean;
  /** The name exists (it or a name below it has records): no records of the type is NOERROR, not NXDOMAIN. */
  exists: boolean;
  answers: T[];
}

/** What the zone answers for `name` (any case, trailing dot or not). The answers are copies. */
export function lookup(zone: DnsZone, name: string, type: 'A'): Lookup<string>;
export function lookup(zone: DnsZone, name: string, type: 'SRV'): Lookup<SrvTarget>;
export function lookup(zone: DnsZone, name: string, type: 'A' | 'SRV'): Lookup<string> | Lookup<SrvTarget> {
  const n = normalizeDnsName(name);
  const inZone = inDnsDomain(n);
  const below = `.${n}`;
  const has = (r: Record<string, unknown>): boolean => Object.hasOwn(r, n) || Object.keys(r).some((k) => k.endsWith(below));
  const exists = inZone && (n === DNS_DOMAIN || has(zone.a) || has(zone.srv));
  if (type === 'A') return { name: n, inZone, exists, answers: inZone && Object.hasOwn(zone.a, n) ? [...zone.a[n]!] : [] };
  return { name: n, inZone, exists, answers: inZone && Object.hasOwn(zone.srv, n) ? zone.srv[n]!.map((s) => ({ ...s })) : [] };
}

/** `list` started `by` positions later, wrapping: successive queries spread clients over the replicas. */
export function rotate<T>(list: readonly T[], by: number): T[] {
  if (list.length === 0) return [];
  const k = ((by % list.length) + list.length) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}
