/**
 * Host access (`AppSpec.host`), shared by matrix.yaml (the app key `host:`) and Compose (the
 * service keys `privileged`, `cap_add`, `devices`, `pid`, `ipc`, `network_mode: host` and
 * host-path `volumes`). Each format finds the values in its own place; what a valid value is
 * lives here, so both have one notion of it. Whether the cluster allows them is not decided
 * here: src/core/policy.ts refuses them at deploy unless manager.json's `policy` allows them.
 */
import type { HostAccess } from '../model.ts';
import { at, readList, take, typeName, type Collector, type Parsed } from './fields.ts';

export type Device = NonNullable<HostAccess['devices']>[number];
export type Bind = NonNullable<HostAccess['binds']>[number];

export const HOST_LIMITS = {
  /** Items of `cap_add`, `devices` and `volumes`, each. */
  perList: 64,
  /** Characters of a device path (host or container). */
  devicePath: 255,
  /** Characters of a bind's source or target (PATH_MAX). */
  path: 4096,
} as const;

/** A capability name without its `CAP_` prefix (`NET_ADMIN`); `ALL` matches too, the policy decides. */
export const CAPABILITY = /^[A-Z][A-Z0-9_]{1,31}$/;
/** Device cgroup permissions: read, write, mknod. */
export const DEVICE_PERMISSIONS = 'rwm';
const DEVICE_DIR = '/dev/';

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(message: string): Parsed<T> => ({ ok: false, message });
const quote = (s: string): string => JSON.stringify(s);
/** A problem with one part of a value, said with the part's name: `source "./x" is relative: ...`. */
const part = <T>(name: string, p: Parsed<T>): Parsed<T> => (p.ok ? p : bad(`${name} ${p.message}`));

// ---------------------------------------------------------------------------------------
// Scalars

/** `privileged: true`; `false` asks for nothing. */
export function parsePrivileged(v: unknown): Parsed<boolean> {
  return typeof v === 'boolean' ? ok(v) : bad(`must be true or false, got ${typeName(v)}`);
}

/** What sharing each of the node's namespaces means, for messages. */
export const HOST_NAMESPACES = {
  pid: "the node's PID namespace",
  ipc: "the node's IPC namespace",
  network: "the node's network",
} as const;

/** matrix.yaml `pid`, `ipc`, `network`: `host` is the only value (leaving the key out is the container's own). */
export function parseHostMode(v: unknown, which: keyof typeof HOST_NAMESPACES): Parsed<'host'> {
  if (v === 'host') return ok('host');
  return bad(`must be host (to share ${HOST_NAMESPACES[which]}), got ${shown(v)}: leave the key out for the container's own`);
}

/**
 * With the host network there is no port mapping: the app listens on the node's `port`, so that
 * is its `publish` (what the scheduler and the ingress go by). Another `publish` cannot be had.
 */
export function hostNetworkPublish(port: number, publish: number | undefined): Parsed<number> {
  if (publish === undefined || publish === port) return ok(port);
  return bad(`with the host network the app listens on the node's port ${port} itself: publish must equal port (or be left out)`);
}

// ---------------------------------------------------------------------------------------
// Capabilities

/** `NET_ADMIN`, `CAP_NET_ADMIN`, `net_admin` -> `NET_ADMIN` (Docker's own normalisation). */
export function parseCapability(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return bad(`must be a capability name like NET_ADMIN, got ${typeName(v)}`);
  const upper = /^[A-Za-z0-9_]+$/.test(v) ? v.toUpperCase() : '';
  const name = upper.startsWith('CAP_') ? upper.slice('CAP_'.length) : upper;
  if (!CAPABILITY.test(name))
    return bad(`bad capability ${quote(v)}: must be a kernel capability like NET_ADMIN or CAP_NET_ADMIN (without CAP_, matching ${CAPABILITY.source})`);
  return ok(name);
}

/** The `cap_add` list: each name read, repeats (also `X` and `CAP_X`) kept once, in order. */
export function readCapAdd(v: unknown, path: string, c: Collector): string[] {
  const list = readList(v, path, c, 'capability names like NET_ADMIN');
  if (!checkLength(list, path, 'capabilities', c)) return [];
  const out: string[] = [];
  list.forEach((item, i) => {
    const cap = take(parseCapability(item), at(path, i), c);
    if (cap !== undefined && !out.includes(cap)) out.push(cap);
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// Devices

const DEVICE_USAGE = 'must be "HOST[:CONTAINER[:PERMS]]" like "/dev/fuse" or "/dev/ttyUSB0:/dev/ttyS0:rw"';

/**
 * `HOST[:CONTAINER[:PERMS]]`: HOST and CONTAINER device paths under /dev/ (CONTAINER defaults
 * to HOST), PERMS letters of `rwm` (default all three, stored in that order). `HOST:PERMS` is
 * also read, as Docker reads it (a container path starts with `/`, permissions never do).
 */
export function parseDevice(v: unknown): Parsed<Device> {
  if (typeof v !== 'string') return bad(`${DEVICE_USAGE}, got ${typeName(v)}`);
  const parts = v.split(':');
  if (parts.length > 3) return bad(`bad device ${quote(v)}: ${DEVICE_USAGE}`);
  const [hostPart, second, third] = parts as [string, string | undefined, string | undefined];
  const hostPermsOnly = parts.length === 2 && !second!.startsWith('/');
  const containerPart = hostPermsOnly || second === undefined ? hostPart : second;
  const permsPart = hostPermsOnly ? second! : (third ?? DEVICE_PERMISSIONS);
  const host = part('host path', parseDevicePath(hostPart));
  if (!host.ok) return host;
  const container = part('container path', parseDevicePath(containerPart));
  if (!container.ok) return container;
  const permissions = part('permissions', parseDevicePermissions(permsPart));
  if (!permissions.ok) return permissions;
  return ok({ host: host.value, container: container.value, permissions: permissions.value });
}

function parseDevicePath(s: string): Parsed<string> {
  if (!s.startsWith(DEVICE_DIR) || s.length === DEVICE_DIR.length) return bad(`${quote(s)} must be a device path under ${DEVICE_DIR}, like /dev/fuse`);
  const problem = checkPath(s, HOST_LIMITS.devicePath);
  return problem === undefined ? ok(s) : bad(problem);
}

/** A non-empty subset of `rwm`, each letter once; stored in the order r, w, m. */
function parseDevicePermissions(s: string): Parsed<string> {
  const letters = [...s];
  const valid = letters.length > 0 && letters.every((l, i) => DEVICE_PERMISSIONS.includes(l) && letters.indexOf(l) === i);
  if (!valid) return bad(`${quote(s)} must be a non-empty subset of ${DEVICE_PERMISSIONS} (r read, w write, m mknod), each letter once`);
  return ok([...DEVICE_PERMISSIONS].filter((l) => letters.includes(l)).join(''));
}

/** The `devices` list; a container path given twice is an error at the later item. */
export function readDevices(v: unknown, path: string, c: Collector): Device[] {
  const list = readList(v, path, c, 'devices like "/dev/fuse" or "HOST:CONTAINER:PERMS"');
  if (!checkLength(list, path, 'devices', c)) return [];
  const out: Device[] = [];
  list.forEach((item, i) => {
    const p = at(path, i);
    const d = take(parseDevice(item), p, c);
    if (d === undefined) return;
    if (out.some((o) => o.container === d.container)) return c.error(p, `container path ${quote(d.container)} is given twice`);
    out.push(d);
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// Binds (node paths mounted into the container)

const BIND_USAGE = 'must be "/node/path:/container/path" with an optional ":ro" or ":rw"';

/**
 * What Compose reads as a path on the deploying machine rather than a volume name: `/x`,
 * `./x`, `../x`, `.`, `..`, `~`, `~/x`. Only absolute ones mean anything on a node.
 */
export function isHostPath(s: string): boolean {
  return /^(?:\/|~|\.\.?(?:\/|$))/.test(s);
}

/** An absolute path on the node. Relative ones are relative to a machine the node knows nothing of. */
export function parseBindSource(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return bad(`must be an absolute path on the node, got ${typeName(v)}`);
  if (isHostPath(v) && !v.startsWith('/'))
    return bad(
      `${quote(v)} is relative: a node has no notion of the deploying machine's directory (or home), so give an absolute path on the node, like /srv/data`,
    );
  if (!v.startsWith('/')) return bad(`${quote(v)} must be an absolute path on the node, like /srv/data (named volumes are not supported)`);
  const problem = checkPath(v, HOST_LIMITS.path);
  return problem === undefined ? ok(v) : bad(problem);
}

/** An absolute path in the container, not `/` itself. */
export function parseBindTarget(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return bad(`must be an absolute path in the container, got ${typeName(v)}`);
  if (!v.startsWith('/')) return bad(`${quote(v)} must be an absolute path in the container, like /data`);
  if (/^\/+$/.test(v)) return bad(`must not be "/": it would hide the container's whole filesystem`);
  const problem = checkPath(v, HOST_LIMITS.path);
  return problem === undefined ? ok(v) : bad(problem);
}

/** `SRC:DST[:ro|rw]` (matrix.yaml's `host.volumes`, Compose's short syntax); each problem at `path`. */
export function readShortBind(v: unknown, path: string, c: Collector): Bind | undefined {
  if (typeof v !== 'string') return void c.error(path, `${BIND_USAGE}, got ${typeName(v)}`);
  const parts = v.split(':');
  if (parts.length < 2 || parts.length > 3) return void c.error(path, `bad volume ${quote(v)}: ${BIND_USAGE}`);
  const [src, dst, mode] = parts as [string, string, string | undefined];
  const source = take(part('source', parseBindSource(src)), path, c);
  const target = take(part('target', parseBindTarget(dst)), path, c);
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw')
    return void c.error(path, `mode ${quote(mode)} must be ro (read-only) or rw (read-write, the default)`);
  if (source === undefined || target === undefined) return undefined;
  return { source, target, readOnly: mode === 'ro' };
}

/** Reads one item of a volumes list; undefined when it is not a bind or has a problem (recorded). */
export type BindItemReader = (item: unknown, path: string) => Bind | undefined;

/** A volumes list: at most HOST_LIMITS.perList items, each read by `readItem`; a target given twice is an error at the later item. */
export function readBinds(v: unknown, path: string, what: string, readItem: BindItemReader, c: Collector): Bind[] {
  const list = readList(v, path, c, what);
  if (!checkLength(list, path, 'volumes', c)) return [];
  const out: Bind[] = [];
  list.forEach((item, i) => {
    const p = at(path, i);
    const b = readItem(item, p);
    if (b === undefined) return;
    if (out.some((o) => o.target === b.target)) return c.error(p, `target ${quote(b.target)} is given twice`);
    out.push(b);
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// Assembly

/** What a spec said, field by field (undefined: not said, or said wrong and reported). */
export interface HostParts {
  privileged?: boolean | undefined;
  capAdd?: string[] | undefined;
  devices?: Device[] | undefined;
  pid?: 'host' | undefined;
  ipc?: 'host' | undefined;
  network?: 'host' | undefined;
  binds?: Bind[] | undefined;
}

/**
 * The app's `host`, with only the fields that ask for something (`privileged: false` and empty
 * lists ask for nothing); undefined when none does, so such apps look and hash as before.
 */
export function hostAccess(p: HostParts): HostAccess | undefined {
  const h: HostAccess = {
    ...(p.privileged === true ? { privileged: true as const } : {}),
    ...(p.capAdd?.length ? { capAdd: p.capAdd } : {}),
    ...(p.devices?.length ? { devices: p.devices } : {}),
    ...(p.pid ? { pid: p.pid } : {}),
    ...(p.ipc ? { ipc: p.ipc } : {}),
    ...(p.network ? { network: p.network } : {}),
    ...(p.binds?.length ? { binds: p.binds } : {}),
  };
  return Object.keys(h).length > 0 ? h : undefined;
}

// ---------------------------------------------------------------------------------------

/** Length, control characters, `..` segments of an absolute path; a message, or undefined when fine. */
function checkPath(s: string, max: number): string | undefined {
  if (s.length > max) return `must be at most ${max} characters, got ${s.length}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) return `${quote(s)} must not contain control characters`;
  if (s.split('/').includes('..')) return `${quote(s)} must not contain ".." segments`;
  return undefined;
}

function checkLength(list: unknown[], path: string, what: string, c: Collector): boolean {
  if (list.length <= HOST_LIMITS.perList) return true;
  c.error(path, `must have at most ${HOST_LIMITS.perList} ${what}, got ${list.length}`);
  return false;
}

/** A value in a message: strings quoted, anything else by its type. */
function shown(v: unknown): string {
  return typeof v === 'string' ? quote(v) : typeName(v);
}
