/**
 * Imports a useful subset of the Compose file format (docs/matrix-yaml.md, "Compose"):
 * `services.<name>` with image, command, entrypoint, one port, environment, replicas, cpus/memory, Swarm placement
 * constraints, depends_on, restart, secrets (from cloudmatrix's store) and host access
 * (privileged, cap_add, devices, host pid/ipc/network, node-path volumes: `AppSpec.host`, which
 * the cluster policy allows or refuses at deploy). What cloudmatrix does not use (named
 * volumes, networks, build, healthcheck tests, ...) becomes a warning,
 * so the user sees what was ignored; what it uses but cannot read is an error with its path
 * (`services.web.ports[0]`).
 */
import type { AppSpec, Constraint, Dependency, HostAccess, Resources, RestartPolicy, SecretRef, VolumeMount } from '../model.ts';
import {
  at,
  Collector,
  readAppsMapping,
  isMap,
  parseCpus,
  parseMemoryMb,
  parsePort,
  parseReplicas,
  parseString,
  readEnv,
  readProjectName,
  readList,
  readYaml,
  take,
  typeName,
  type Parsed,
  type SpecWarning,
  type YamlMap,
} from './fields.ts';
import { DEFAULT_RESTART } from '../defaults.ts';
import {
  hostAccess,
  hostNetworkPublish,
  isHostPath,
  parseBindSource,
  parseBindTarget,
  parsePrivileged,
  readBinds,
  readCapAdd,
  readDevices,
  readShortBind,
  type Bind,
} from './host-access.ts';
import { readArgv } from './argv.ts';
import { checkImage } from './image-ref.ts';
import { RESTART_POLICIES } from './matrix-yaml.ts';
import { APP_NAME, APP_NAME_RULE, NODE_NAME } from './plan.ts';
import { checkVolumeOwners, checkVolumeTargets, readLongVolume, readShortVolume, readVolumeList } from './volumes.ts';
import { parseSecretFile, parseSecretName, readSecretRefs } from './secret-refs.ts';
import { checkSecretName, SECRETS_DIR } from '../secrets.ts';

export interface ComposeSpec {
  /** Compose's own top-level `name:` (the project name). */
  name?: string;
  apps: AppSpec[];
  warnings: SpecWarning[];
}

/** Top-level keys read without a warning (`version` is obsolete in Compose itself). */
// top-level `volumes` declares names (driver options are the engine's own): the services' mounts are what counts
const QUIET_TOP_KEYS = ['name', 'services', 'version', 'secrets', 'volumes'];
/** Service keys cloudmatrix reads; any other is warned about and ignored. */
const SERVICE_KEYS = [
  'image',
  'command',
  'entrypoint',
  'ports',
  'expose',
  'environment',
  'deploy',
  'depends_on',
  'restart',
  'healthcheck',
  'mem_limit',
  'mem_reservation',
  'cpus',
  'scale',
  'secrets',
  'privileged',
  'cap_add',
  'devices',
];
const DEPLOY_KEYS = ['replicas', 'resources', 'placement', 'restart_policy'];

/**
 * Host access (host-access.ts): read into `AppSpec.host`, which the cluster policy then allows
 * or refuses at deploy. `pid`, `ipc` and `network_mode` are host access only as `host`; any
 * other value is ignored with a warning, as an unsupported key.
 */
const HOST_MODES = ['pid', 'ipc', 'network_mode'] as const;

/**
 * Keys HostAccess has no field for: the node's user namespace, and changed security options
 * (`seccomp:unconfined`, `apparmor:unconfined`, ...). Ignoring them would run the service
 * without what it asked for; no policy key turns them on: they are always refused.
 */
const NEVER_ALLOWED: Record<string, string> = {
  userns_mode: "userns_mode: host (the node's user namespace)",
  security_opt: 'security_opt (changed security options)',
};

function refuseNeverAllowed(body: YamlMap, path: string, c: Collector): void {
  for (const [key, what] of Object.entries(NEVER_ALLOWED)) {
    const v = body[key];
    if (v === undefined || v === false || v === null || (Array.isArray(v) && v.length === 0)) continue;
    if (key === 'userns_mode' && v !== 'host') continue; // another mode is only ignored, with a warning
    c.policy(at(path, key), `${what} is refused: cloudmatrix never allows it (there is no cluster policy key for it)`);
  }
}

/** A `volumes` entry that mounts a node path: short syntax `SRC:DST[:MODE]` with SRC a path, or long syntax `type: bind`. */
function isBindEntry(item: unknown): boolean {
  if (typeof item === 'string') {
    const parts = item.split(':');
    return parts.length >= 2 && isHostPath(parts[0]!);
  }
  if (!isMap(item)) return false;
  return item.type === 'bind' || (item.type === undefined && typeof item.source === 'string' && isHostPath(item.source));
}

/** A `volumes` entry that mounts a named volume: `NAME:DST[:MODE]`, or long syntax with a `source` name. */
function isNamedEntry(item: unknown): boolean {
  if (typeof item === 'string') {
    const parts = item.split(':');
    return parts.length >= 2 && !isHostPath(parts[0]!);
  }
  return isMap(item) && (item.type === 'volume' || item.type === undefined) && typeof item.source === 'string' && !isHostPath(item.source);
}

/**
 * `volumes` is read when it mounts a node path or a named volume; anything else (a list of
 * anonymous volumes, not a list) is ignored as a whole with the unsupported-key warning, as before.
 */
function readsVolumes(v: unknown): boolean {
  return Array.isArray(v) && v.some((i) => isBindEntry(i) || isNamedEntry(i));
}

/** The service's named volumes (its node paths are host access: readServiceHost). */
function readNamedVolumes(v: unknown, path: string, c: Collector): VolumeMount[] {
  if (!Array.isArray(v) || !v.some(isNamedEntry)) return [];
  return readVolumeList(v, path, c, (item, p) => {
    if (!isNamedEntry(item)) return undefined;
    if (typeof item === 'string') return readShortVolume(item, p, c, 'node paths are read as binds');
    const m = item as YamlMap;
    ignoreOthers(m, [...BIND_KEYS, 'volume'], p, c);
    return readLongVolume(m, p, c);
  });
}

const BIND_KEYS = ['type', 'source', 'target', 'read_only'];

/** The service's host access; what parsed is returned even when another key has a problem. */
function readServiceHost(body: YamlMap, path: string, c: Collector): HostAccess | undefined {
  const p = (k: string): string => at(path, k);
  const mode = (k: (typeof HOST_MODES)[number]): 'host' | undefined => (body[k] === 'host' ? 'host' : undefined);
  return hostAccess({
    privileged: body.privileged === undefined ? undefined : take(parsePrivileged(body.privileged), p('privileged'), c),
    capAdd: body.cap_add === undefined ? undefined : readCapAdd(body.cap_add, p('cap_add'), c),
    devices: body.devices === undefined ? undefined : readDevices(body.devices, p('devices'), c),
    pid: mode('pid'),
    ipc: mode('ipc'),
    network: mode('network_mode'),
    binds: readsVolumes(body.volumes) ? readBinds(body.volumes, p('volumes'), 'volumes', (item, ip) => readVolume(item, ip, c), c) : undefined,
  });
}

/**
 * One entry of a `volumes` list that mounts node paths. A node path (see isBindEntry) becomes a
 * bind; named and anonymous volumes, tmpfs and the other types are ignored, each with a warning.
 */
function readVolume(item: unknown, path: string, c: Collector): Bind | undefined {
  if (isNamedEntry(item)) return undefined; // readNamedVolumes
  if (typeof item === 'string') {
    if (isBindEntry(item)) return readShortBind(item, path, c);
    c.warn(
      path,
      `${JSON.stringify(item)} is an anonymous volume: not supported by cloudmatrix (named volumes "name:/path" and node paths "/node/path:/path" are); ignored`,
    );
    return undefined;
  }
  if (!isMap(item))
    return void c.error(path, `must be a string "/node/path:/container/path[:ro|rw]" or a mapping (type, source, target, read_only), got ${typeName(item)}`);
  const type = item.type;
  if (!isBindEntry(item)) {
    const what = type === undefined || type === 'volume' ? 'anonymous volumes are' : `volumes of type ${JSON.stringify(type)} are`;
    c.warn(path, `${what} not supported by cloudmatrix (only named volumes and type bind, a node path); ignored`);
    return undefined;
  }
  ignoreOthers(item, BIND_KEYS, path, c);
  const source =
    item.source === undefined
      ? c.error(at(path, 'source'), 'is required: an absolute path on the node')
      : take(parseBindSource(item.source), at(path, 'source'), c);
  const target =
    item.target === undefined
      ? c.error(at(path, 'target'), 'is required: an absolute path in the container')
      : take(parseBindTarget(item.target), at(path, 'target'), c);
  const readOnly =
    item.read_only === undefined || typeof item.read_only === 'boolean' ? item.read_only === true : c.error(at(path, 'read_only'), 'must be true or false');
  if (source === undefined || target === undefined || readOnly === undefined) return undefined;
  return { source, target, readOnly };
}

interface PortSpec {
  port: number;
  publish?: number;
}

/** Parses a compose file; throws one E_SPEC_INVALID error listing every problem. */
export function parseCompose(text: string, file = 'compose.yaml'): ComposeSpec {
  const root = readYaml(text, file);
  const c = new Collector(file);
  if (!isMap(root)) {
    c.error(file, `must be a mapping with a \`services:\` key, got ${typeName(root)}`);
    c.throwIfAny();
    return { apps: [], warnings: [] };
  }
  ignoreOthers(root, QUIET_TOP_KEYS, '', c);
  warnInterpolation(root, '', c);
  const name = readProjectName(root, c);
  const secrets = readSecretDecls(root.secrets, c);
  const apps = readAppsMapping(root, 'services', (name, body, names, graph) => readService(name, body, names, graph, secrets, file, c), c);
  // the named volumes' own indexes are not the list's (node paths and anonymous ones sit in it too)
  checkVolumeOwners(apps, (app) => at(at('services', app), 'volumes'), c);
  c.throwIfAny();
  return { apps, warnings: c.warnings, ...(name !== undefined ? { name } : {}) };
}

/** Keys outside `known` are warned about; `x-` extension keys are Compose's own "ignore me". */
function ignoreOthers(obj: YamlMap, known: readonly string[], path: string, c: Collector): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key) && !key.startsWith('x-')) c.warn(at(path, key), `"${key}" is not supported by cloudmatrix; ignored`);
  }
}

/** Compose substitutes `${VAR}` from the shell; cloudmatrix does not, so such values are used as written. */
function warnInterpolation(v: unknown, path: string, c: Collector): void {
  if (typeof v === 'string') {
    if (/\$[{A-Za-z_$]/.test(v)) c.warn(path, 'variable substitution ($VAR, ${VAR}, $$) is not supported; the value is used as written');
  } else if (Array.isArray(v)) v.forEach((x, i) => warnInterpolation(x, at(path, i), c));
  else if (isMap(v)) for (const [k, x] of Object.entries(v)) warnInterpolation(x, at(path, k), c);
}

function readService(
  name: string,
  body: unknown,
  names: Set<string>,
  graph: Map<string, string[]>,
  decls: SecretDecls | undefined,
  file: string,
  c: Collector,
): AppSpec | undefined {
  const path = at('services', name);
  const p = (k: string): string => at(path, k);
  const before = c.problems.length;
  if (!APP_NAME.test(name)) {
    c.error(path, `bad service name "${name}": cloudmatrix app names are used in URLs, DNS and VCL, so they must be a DNS label: ${APP_NAME_RULE}`);
  }
  if (!isMap(body)) {
    c.error(path, `must be a mapping (image, ports, ...), got ${typeName(body)}`);
    return undefined;
  }
  refuseNeverAllowed(body, path, c);
  // pid, ipc and network_mode are read only as `host`, volumes only with node paths: otherwise warned about, as before
  const read = [...HOST_MODES.filter((k) => body[k] === 'host'), ...(readsVolumes(body.volumes) ? ['volumes'] : [])];
  ignoreOthers(body, [...SERVICE_KEYS, ...read], path, c);

  let image: string | undefined;
  if (body.image === undefined) c.error(p('image'), 'is required (building images is not supported: push the image to the cluster registry)');
  else {
    image = take(parseString(body.image), p('image'), c);
    const problem = image === undefined ? undefined : checkImage(image);
    if (problem) c.error(p('image'), problem);
  }
  const ports = readPorts(body, path, c);
  const deploy = isMap(body.deploy) ? body.deploy : {};
  if (body.deploy !== undefined && !isMap(body.deploy)) c.error(p('deploy'), 'must be a mapping');
  ignoreOthers(deploy, DEPLOY_KEYS, p('deploy'), c);
  const replicas = readReplicas(body, deploy, path, c);
  const resources = readResources(body, deploy, path, c);
  const constraints = readPlacement(deploy.placement, at(p('deploy'), 'placement'), c);
  const dependsOn = body.depends_on === undefined ? [] : readDependsOn(body.depends_on, p('depends_on'), name, names, c);
  graph.set(
    name,
    dependsOn.map((d) => d.app),
  );
  const env = body.environment === undefined ? {} : readEnv(body.environment, p('environment'), c, 'warn');
  const command = body.command === undefined || body.command === null ? undefined : readArgv(body.command, p('command'), c);
  const entrypoint = body.entrypoint === undefined || body.entrypoint === null ? undefined : readArgv(body.entrypoint, p('entrypoint'), c);
  const restart = readRestart(body.restart, deploy.restart_policy, path, c);
  const secrets =
    body.secrets === undefined
      ? []
      : readSecretRefs(body.secrets, p('secrets'), 'secret names or { source, target }', (item, ip) => readServiceSecret(item, ip, name, decls, c), c);
  const host = readServiceHost(body, path, c);
  const volumes = readNamedVolumes(body.volumes, p('volumes'), c);
  // the named volumes' own indexes are not the list's: the list is named
  checkVolumeTargets(volumes, host?.binds ?? [], () => p('volumes'), c);
  let publish = ports?.publish;
  if (host?.network === 'host' && ports) publish = take(hostNetworkPublish(ports.port, ports.publish), at(at(path, 'ports'), 0), c);
  if (body.healthcheck !== undefined) {
    c.warn(p('healthcheck'), 'health check commands are not run; cloudmatrix probes HTTP: use `health:` in a matrix.yaml to get one');
  }

  if (c.problems.length > before || image === undefined || !ports || replicas === undefined || !resources || !restart) return undefined;
  return {
    name,
    image,
    replicas,
    port: ports.port,
    ...(publish !== undefined ? { publish } : {}),
    resources,
    constraints,
    affinity: [],
    antiAffinity: [],
    dependsOn,
    env,
    ...(command ? { command } : {}),
    ...(entrypoint ? { entrypoint } : {}),
    ...(volumes.length > 0 ? { volumes } : {}),
    // only when there are some, so services without secrets look (and hash) as they did before
    ...(secrets.length > 0 ? { secrets } : {}),
    // only when it asks for something, so services without host access look (and hash) as they did before
    ...(host ? { host } : {}),
    restart,
    source: `${file}#${path}`,
  };
}

/** Exactly one port: from `ports` (short or long syntax), else from `expose`. */
function readPorts(body: YamlMap, path: string, c: Collector): PortSpec | undefined {
  const key = body.ports !== undefined ? 'ports' : body.expose !== undefined ? 'expose' : undefined;
  if (key === undefined) {
    c.error(at(path, 'ports'), 'exactly one port is needed (the container port the app listens on), e.g. ports: ["5050:8080"] or ["8080"]');
    return undefined;
  }
  if (key === 'ports' && body.expose !== undefined) c.warn(at(path, 'expose'), '"expose" is ignored when "ports" is given');
  const list = readList(body[key], at(path, key), c, 'ports');
  if (!Array.isArray(body[key])) return undefined;
  if (list.length !== 1) {
    c.error(at(path, key), `exactly one port is needed, got ${list.length}: cloudmatrix routes one container port per app`);
    return undefined;
  }
  const p = at(at(path, key), 0);
  const item = list[0];
  if (key === 'expose') {
    const r = parseShortPort(item);
    if (typeof r === 'string') return void c.error(p, r);
    if (r.publish !== undefined) return void c.error(p, 'must be a container port (expose publishes nothing)');
    return r;
  }
  const r = isMap(item) ? parseLongPort(item, p, c) : parseShortPort(item);
  if (typeof r === 'string') return void c.error(p, r);
  return r;
}

const SHORT_PORT = /^(?:(?:(\[[0-9a-fA-F:]+\]|[0-9.]+):)?(\d+)?:)?(\d+)(?:\/(tcp|udp|sctp))?$/;

/** `8080`, `"8080"`, `"5050:8080"`, `"127.0.0.1:5050:8080"`, `"5050:8080/tcp"`. */
function parseShortPort(v: unknown): PortSpec | string {
  const usage = 'must be "container", "host:container" or a long-syntax mapping (target, published)';
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : undefined;
  if (s === undefined) return usage;
  if (/\d-\d/.test(s)) return 'port ranges are not supported: exactly one port is needed';
  const m = SHORT_PORT.exec(s);
  if (!m) return usage;
  const [, ip, published, target, proto] = m;
  if (proto !== undefined && proto !== 'tcp') return `protocol ${proto} is not supported: cloudmatrix routes HTTP over tcp`;
  if (ip !== undefined && ip !== '0.0.0.0') return `binding to host address ${ip} is not supported: published ports listen on every address of the node`;
  const port = parsePort(Number(target));
  if (!port.ok) return `container port ${port.message}`;
  if (published === undefined) return { port: port.value };
  const publish = parsePort(Number(published));
  if (!publish.ok) return `host port ${publish.message}`;
  return { port: port.value, publish: publish.value };
}

const LONG_PORT_KEYS = ['target', 'published', 'protocol', 'mode', 'host_ip', 'name', 'app_protocol'];

function parseLongPort(v: YamlMap, path: string, c: Collector): PortSpec | string {
  ignoreOthers(v, LONG_PORT_KEYS, path, c);
  for (const k of ['mode', 'name', 'app_protocol']) if (v[k] !== undefined) c.warn(at(path, k), `"${k}" is not used by cloudmatrix; ignored`);
  if (v.protocol !== undefined && v.protocol !== 'tcp') return `protocol ${String(v.protocol)} is not supported: cloudmatrix routes HTTP over tcp`;
  if (v.host_ip !== undefined && v.host_ip !== '0.0.0.0') return `binding to host address ${String(v.host_ip)} is not supported`;
  if (v.target === undefined) return 'target (the container port) is required';
  const port = parsePort(typeof v.target === 'string' && /^\d+$/.test(v.target) ? Number(v.target) : v.target);
  if (!port.ok) return `target ${port.message}`;
  if (v.published === undefined) return { port: port.value };
  if (typeof v.published === 'string' && /\d-\d/.test(v.published)) return 'port ranges are not supported: exactly one port is needed';
  const publish = parsePort(typeof v.published === 'string' && /^\d+$/.test(v.published) ? Number(v.published) : v.published);
  if (!publish.ok) return `published ${publish.message}`;
  return { port: port.value, publish: publish.value };
}

/** `deploy.replicas`, else `scale` (v2), else 1. */
function readReplicas(body: YamlMap, deploy: YamlMap, path: string, c: Collector): number | undefined {
  const fromDeploy = deploy.replicas === undefined ? undefined : take(parseReplicas(deploy.replicas), at(at(path, 'deploy'), 'replicas'), c);
  const fromScale = body.scale === undefined ? undefined : take(parseReplicas(body.scale), at(path, 'scale'), c);
  if (fromDeploy !== undefined && fromScale !== undefined && fromDeploy !== fromScale) {
    c.error(at(path, 'scale'), `${fromScale} contradicts deploy.replicas (${fromDeploy})`);
  }
  if ((deploy.replicas !== undefined && fromDeploy === undefined) || (body.scale !== undefined && fromScale === undefined)) return undefined;
  return fromDeploy ?? fromScale ?? 1;
}

/**
 * Reservations are what the scheduler counts, so the first found wins:
 * cpus: deploy.resources.reservations.cpus, deploy.resources.limits.cpus, cpus;
 * memory: reservations.memory, mem_reservation, limits.memory, mem_limit.
 */
function readResources(body: YamlMap, deploy: YamlMap, path: string, c: Collector): Resources | undefined {
  const rPath = at(at(path, 'deploy'), 'resources');
  const res = deploy.resources;
  if (res !== undefined && !isMap(res)) c.error(rPath, 'must be a mapping (reservations, limits)');
  const resMap = isMap(res) ? res : {};
  ignoreOthers(resMap, ['reservations', 'limits'], rPath, c);
  const part = (k: 'reservations' | 'limits'): YamlMap => {
    const v = resMap[k];
    if (v === undefined) return {};
    if (!isMap(v)) {
      c.error(at(rPath, k), 'must be a mapping (cpus, memory)');
      return {};
    }
    ignoreOthers(v, ['cpus', 'memory'], at(rPath, k), c);
    return v;
  };
  const reservations = part('reservations');
  const limits = part('limits');
  let ok = true;
  const first = (candidates: [unknown, string][], parse: (v: unknown) => ReturnType<typeof parseCpus>): number => {
    const found = candidates.find(([v]) => v !== undefined);
    if (!found) return 0;
    const r = take(parse(found[0]), found[1], c);
    if (r === undefined) ok = false;
    return r ?? 0;
  };
  const cpus = first(
    [
      [reservations.cpus, at(at(rPath, 'reservations'), 'cpus')],
      [limits.cpus, at(at(rPath, 'limits'), 'cpus')],
      [body.cpus, at(path, 'cpus')],
    ],
    parseCpus,
  );
  const memoryMb = first(
    [
      [reservations.memory, at(at(rPath, 'reservations'), 'memory')],
      [body.mem_reservation, at(path, 'mem_reservation')],
      [limits.memory, at(at(rPath, 'limits'), 'memory')],
      [body.mem_limit, at(path, 'mem_limit')],
    ],
    (v) => parseMemoryMb(v, 'b'),
  );
  return ok ? { cpus, memoryMb } : undefined;
}

const SWARM_CONSTRAINT = /^\s*([A-Za-z0-9_.\-/]+)\s*(==|!=)\s*(\S+)\s*$/;

/** Swarm's `node.hostname == n1`, `node.labels.zone != a` -> our `node==n1`, `zone!=a`. */
export function translateSwarmConstraint(s: string): Constraint | string {
  const m = SWARM_CONSTRAINT.exec(s);
  if (!m) return `bad constraint "${s}": expected "node.hostname == <node>" or "node.labels.<key> == <value>" (or !=)`;
  const [, attr, op, value] = m as unknown as [string, string, '==' | '!=', string];
  if (attr === 'node.hostname') {
    if (!NODE_NAME.test(value)) return `bad node name "${value}": node names must match ${NODE_NAME.source}`;
    return { key: 'node', op, value };
  }
  if (attr.startsWith('node.labels.') && attr.length > 'node.labels.'.length) return { key: attr.slice('node.labels.'.length), op, value };
  return `unsupported constraint "${attr}": only node.hostname and node.labels.<key> are supported`;
}

function readPlacement(v: unknown, path: string, c: Collector): Constraint[] {
  if (v === undefined) return [];
  if (!isMap(v)) {
    c.error(path, 'must be a mapping (constraints)');
    return [];
  }
  ignoreOthers(v, ['constraints'], path, c);
  if (v.constraints === undefined) return [];
  const out: Constraint[] = [];
  const cPath = at(path, 'constraints');
  readList(v.constraints, cPath, c, 'constraints like "node.labels.zone == a"').forEach((item, i) => {
    const r = typeof item === 'string' ? translateSwarmConstraint(item) : `must be a string like "node.labels.zone == a", got ${typeName(item)}`;
    if (typeof r === 'string') c.error(at(cPath, i), r);
    else out.push(r);
  });
  return out;
}

/** `[db, cache]` or `{ db: { condition: service_started } }`; every dependency is a plain one. */
function readDependsOn(v: unknown, path: string, self: string, names: Set<string>, c: Collector): Dependency[] {
  const refs: [string, unknown][] = [];
  if (Array.isArray(v)) v.forEach((x, i) => refs.push([at(path, i), x]));
  else if (isMap(v)) {
    for (const [name, opts] of Object.entries(v)) {
      const p = at(path, name);
      refs.push([p, name]);
      if (opts === null) continue;
      if (!isMap(opts)) {
        c.error(p, 'must be a mapping (condition, ...)');
        continue;
      }
      for (const k of Object.keys(opts)) {
        if (k === 'condition' && opts[k] === 'service_started') continue;
        c.warn(
          at(p, k),
          k === 'condition' ? `condition ${String(opts[k])} is not supported; treated as service_started` : `"${k}" is not supported by cloudmatrix; ignored`,
        );
      }
    }
  } else {
    c.error(path, `must be a list of service names or a mapping, got ${typeName(v)}`);
  }
  const out: Dependency[] = [];
  for (const [p, ref] of refs) {
    if (typeof ref !== 'string') c.error(p, `must be a service name, got ${typeName(ref)}`);
    else if (ref === self) c.error(p, `"${ref}" is the service itself`);
    else if (!names.has(ref)) c.error(p, `unknown service "${ref}": the file has ${[...names].sort().join(', ')}`);
    else if (out.some((d) => d.app === ref)) c.error(p, `"${ref}" is listed twice`);
    else out.push({ app: ref, colocate: false });
  }
  return out;
}

const SWARM_CONDITIONS: Record<string, RestartPolicy> = { none: 'no', 'on-failure': 'on-failure', any: 'always' };

/** `restart`, else `deploy.restart_policy.condition`, else cloudmatrix's default `unless-stopped`. */
function readRestart(restart: unknown, policy: unknown, path: string, c: Collector): RestartPolicy | undefined {
  const pPath = at(at(path, 'deploy'), 'restart_policy');
  if (restart !== undefined) {
    if (policy !== undefined) c.warn(pPath, '"restart" is given, so deploy.restart_policy is ignored');
    const s = typeof restart === 'string' ? restart : '';
    const retries = /^on-failure:\d+$/.test(s);
    if (retries) c.warn(at(path, 'restart'), 'the retry count of on-failure is not supported; retries are unlimited');
    const found = RESTART_POLICIES.find((r) => r === (retries ? 'on-failure' : s));
    if (!found) c.error(at(path, 'restart'), `must be one of ${RESTART_POLICIES.join(', ')} (or on-failure:N)`);
    return found;
  }
  if (policy === undefined) return DEFAULT_RESTART;
  if (!isMap(policy)) {
    c.error(pPath, 'must be a mapping (condition)');
    return undefined;
  }
  for (const k of Object.keys(policy)) if (k !== 'condition') c.warn(at(pPath, k), `"${k}" is not supported by cloudmatrix; ignored`);
  if (policy.condition === undefined) return 'always'; // Swarm's default condition is `any`
  const found = typeof policy.condition === 'string' ? SWARM_CONDITIONS[policy.condition] : undefined;
  if (!found) c.error(at(pPath, 'condition'), `must be one of ${Object.keys(SWARM_CONDITIONS).join(', ')}`);
  return found;
}

/** Top-level `secrets:` key -> the store's name for it; undefined for an entry with a problem (reported). */
type SecretDecls = Map<string, string | undefined>;

const SECRET_DECL_KEYS = ['external', 'name', 'file', 'environment'];

/**
 * Top-level `secrets:`. Values live only in cloudmatrix's encrypted store, so an entry must be
 * `external: true` (the store's secret of the same name) and/or `name: <store name>`; `file:`
 * and `environment:` would read the value from the deploying machine: errors, with the command
 * that puts it in the store instead. Undefined when the mapping itself is broken (reported), so
 * services are not also told that each of their secrets is undefined.
 */
function readSecretDecls(v: unknown, c: Collector): SecretDecls | undefined {
  const decls: SecretDecls = new Map();
  if (v === undefined) return decls;
  if (!isMap(v)) {
    c.error('secrets', `must be a mapping of secret name to { external: true } or { name: <store name> }, got ${typeName(v)}`);
    return undefined;
  }
  for (const [key, body] of Object.entries(v)) {
    const path = at('secrets', key);
    const problem = checkSecretName(key);
    if (problem) c.error(path, problem);
    if (!isMap(body)) {
      c.error(path, `must be a mapping: { external: true } or { name: <store name> }, got ${typeName(body)}`);
      decls.set(key, undefined);
      continue;
    }
    ignoreOthers(body, SECRET_DECL_KEYS, path, c);
    const storeName = body.name === undefined ? key : take(parseSecretName(body.name), at(path, 'name'), c);
    const shown = storeName ?? key;
    for (const k of ['file', 'environment']) {
      if (body[k] === undefined) continue;
      const from = k === 'file' && typeof body.file === 'string' ? body.file : '<file>';
      c.error(
        at(path, k),
        `cloudmatrix keeps secret values in its encrypted store, not in ${k === 'file' ? 'files' : 'environment variables'}: run \`matrix secret set ${shown} < ${from}\` and declare it \`external: true\``,
      );
    }
    if (body.external !== undefined && typeof body.external !== 'boolean')
      c.error(at(path, 'external'), 'must be true or false (the store name goes in `name:`)');
    else if (body.external !== true && body.name === undefined && body.file === undefined && body.environment === undefined)
      c.error(path, `must say which secret of the store it is: \`external: true\` (the secret "${key}") or \`name: <store name>\``);
    decls.set(key, problem ? undefined : storeName);
  }
  return decls;
}

const SERVICE_SECRET_KEYS = ['source', 'target', 'uid', 'gid', 'mode'];

/**
 * `- db_password` (the file /run/secrets/db_password) or `{ source, target }`: `source` is a
 * key of the top-level `secrets:`, `target` the file name (also accepted as /run/secrets/<file>,
 * as Compose allows an absolute path). Compose has no variable form, so neither does this.
 */
function readServiceSecret(item: unknown, path: string, service: string, decls: SecretDecls | undefined, c: Collector): SecretRef | undefined {
  let source: unknown = item;
  let target: unknown;
  let sourcePath = path;
  if (isMap(item)) {
    ignoreOthers(item, SERVICE_SECRET_KEYS, path, c);
    for (const k of ['uid', 'gid', 'mode']) if (item[k] !== undefined) c.warn(at(path, k), `"${k}" is not supported; files are root-owned, mode 0444`);
    if (item.source === undefined) return void c.error(at(path, 'source'), 'is required: a secret declared under the top-level `secrets:`');
    source = item.source;
    target = item.target;
    sourcePath = at(path, 'source');
  } else if (typeof item !== 'string') {
    return void c.error(path, `must be a secret name or { source, target }, got ${typeName(item)}`);
  }
  if (typeof source !== 'string') return void c.error(sourcePath, `must be a secret name, got ${typeName(source)}`);
  // no target: the file is the key, which passed checkSecretName (file names follow the same rule)
  const file = target === undefined ? source : take(parseTarget(target), at(path, 'target'), c);
  if (decls === undefined) return undefined; // the top-level `secrets:` is broken, already reported
  if (!decls.has(source)) {
    c.error(
      sourcePath,
      `service "${service}" refers to undefined secret ${source}: declare it under the top-level \`secrets:\`, e.g. ${source}: { external: true }`,
    );
    return undefined;
  }
  const name = decls.get(source);
  return name === undefined || file === undefined ? undefined : { name, file };
}

/** `key.pem` or `/run/secrets/key.pem` -> `key.pem`; any other absolute path is an error. */
function parseTarget(v: unknown): Parsed<string> {
  const prefix = `${SECRETS_DIR}/`;
  if (typeof v === 'string' && v.startsWith('/')) {
    if (v.startsWith(prefix)) return parseSecretFile(v.slice(prefix.length));
    return { ok: false, message: `"${v}" is outside ${SECRETS_DIR}: cloudmatrix mounts secrets only there, so give a file name or ${prefix}<file>` };
  }
  return parseSecretFile(v);
}
