/**
 * `matrix.yaml`: cloudmatrix's own spec (documented in docs/matrix-yaml.md). Every problem is
 * found in one pass and thrown as one E_SPEC_INVALID error whose details carry a dotted path
 * each (`apps.web.replicas: must be an integer >= 0`). Unknown keys are errors, not ignored.
 */
import type { AppSpec, Constraint, Dependency, HealthCheck, HostAccess, Resources, RestartPolicy, SecretRef, Strategy, UpdatePolicy } from '../model.ts';
import { DEFAULT_HEALTH, DEFAULT_REPLICAS, DEFAULT_RESTART, UPDATE_DEFAULTS } from '../defaults.ts';
import {
  at,
  Collector,
  readAppsMapping,
  isMap,
  parseCpus,
  parseDuration,
  parseEnum,
  parseInteger,
  parseMemoryMb,
  parsePort,
  parseReplicas,
  parseString,
  readEnv,
  readList,
  readYaml,
  rejectUnknownKeys,
  unknownKeyMessage,
  readProjectName,
  take,
  typeName,
  type Parsed,
  type YamlMap,
} from './fields.ts';
import { PROBE_LIMITS, PROBE_PATH } from '../ingress/app-ingress.ts';
import { readArgv } from './argv.ts';
import { checkImage } from './image-ref.ts';
import { checkVolumeOwners, checkVolumeTargets, readAppVolumes } from './volumes.ts';
import { hostAccess, hostNetworkPublish, parseHostMode, parsePrivileged, readBinds, readCapAdd, readDevices, readShortBind } from './host-access.ts';
import { APP_NAME, APP_NAME_RULE, NODE_NAME } from './plan.ts';
import { parseSecretEnv, parseSecretFile, parseSecretName, readSecretRefs } from './secret-refs.ts';

export const STRATEGIES: readonly Strategy[] = ['spread', 'binpack'];
export const RESTART_POLICIES: readonly RestartPolicy[] = ['always', 'unless-stopped', 'on-failure', 'no'];

const TOP_KEYS = ['name', 'apps', 'strategy'] as const;
/** `ingress` (the default): routed at /<app>/; `internal`: reached only from inside the cluster, by name. */
const EXPOSE = ['ingress', 'internal'] as const;
const APP_KEYS = [
  'image',
  'replicas',
  'port',
  'publish',
  'health',
  'resources',
  'constraints',
  'affinity',
  'anti_affinity',
  'depends_on',
  'env',
  'command',
  'entrypoint',
  'expose',
  'volumes',
  'secrets',
  'host',
  'restart',
  'strategy',
  'rebalance',
  'update',
] as const;
const HEALTH_KEYS = ['path', 'interval', 'timeout', 'threshold', 'window'] as const;
const UPDATE_KEYS = ['parallelism', 'delay', 'order', 'drain', 'monitor'] as const;
export const UPDATE_ORDERS = ['start-first', 'stop-first'] as const;
const RESOURCE_KEYS = ['cpus', 'memory'] as const;
const DEPENDENCY_KEYS = ['app', 'colocate'] as const;
// no `version`: the manager stamps it from its store, a spec never picks one
const SECRET_KEYS = ['name', 'file', 'env'] as const;
const HOST_KEYS = ['privileged', 'cap_add', 'devices', 'pid', 'ipc', 'network', 'volumes'] as const;

const HEALTH_DEFAULTS = DEFAULT_HEALTH;

export interface MatrixSpec {
  /** The project this file deploys (`name:`). */
  name?: string;
  apps: AppSpec[];
  strategy?: Strategy;
}

// Constraint keys are node label keys (or `node`): letters, digits, `.`, `_`, `/`, `-`.
const CONSTRAINT = /^\s*([A-Za-z0-9][A-Za-z0-9._/-]*)\s*(==|!=)\s*([^\s=!]+)\s*$/;

/** Parses and validates a matrix.yaml; throws one E_SPEC_INVALID error listing every problem. */
export function parseMatrixYaml(text: string, file = 'matrix.yaml'): MatrixSpec {
  const root = readYaml(text, file);
  const c = new Collector(file);
  if (!isMap(root)) {
    c.error(file, `must be a mapping with an \`apps:\` key, got ${typeName(root)}`);
    c.throwIfAny();
    return { apps: [] };
  }
  rejectUnknownKeys(root, TOP_KEYS, '', c);
  const strategy = root.strategy === undefined ? undefined : take(parseEnum(root.strategy, STRATEGIES), 'strategy', c);
  const name = readProjectName(root, c);

  const apps = readAppsMapping(root, 'apps', (name, body, names, graph) => readApp(name, body, names, graph, file, c), c);
  checkVolumeOwners(apps, (app, i) => at(at(at('apps', app), 'volumes'), i), c);
  c.throwIfAny();
  return { apps, ...(strategy !== undefined ? { strategy } : {}), ...(name !== undefined ? { name } : {}) };
}

/** One app; undefined when it has any problem (all of them recorded). */
function readApp(name: string, body: unknown, names: Set<string>, graph: Map<string, string[]>, file: string, c: Collector): AppSpec | undefined {
  const path = at('apps', name);
  const before = c.problems.length;
  if (!APP_NAME.test(name)) {
    c.error(path, `bad app name "${name}": app names are used in URLs, DNS and VCL, so they must be a DNS label: ${APP_NAME_RULE}`);
  }
  if (!isMap(body)) {
    c.error(path, `must be a mapping (image, port, ...), got ${typeName(body)}`);
    return undefined;
  }
  const p = (k: string): string => at(path, k);
  rejectUnknownAppKeys(body, path, c);

  let image: string | undefined;
  if (body.image === undefined) c.error(p('image'), 'is required');
  else {
    image = take(parseString(body.image), p('image'), c);
    const problem = image === undefined ? undefined : checkImage(image);
    if (problem) c.error(p('image'), problem);
  }
  const replicas = body.replicas === undefined ? DEFAULT_REPLICAS : take(parseReplicas(body.replicas), p('replicas'), c);
  const port = body.port === undefined ? c.error(p('port'), 'is required: the container port the app listens on') : take(parsePort(body.port), p('port'), c);
  const givenPublish = body.publish === undefined ? undefined : take(parsePort(body.publish), p('publish'), c);
  const health = body.health === undefined ? undefined : readHealth(body.health, p('health'), c);
  const resources = body.resources === undefined ? { cpus: 0, memoryMb: 0 } : readResources(body.resources, p('resources'), c);
  const constraints = body.constraints === undefined ? [] : readConstraints(body.constraints, p('constraints'), c);
  const affinity = body.affinity === undefined ? [] : readAppRefs(body.affinity, p('affinity'), name, names, false, c);
  const antiAffinity = body.anti_affinity === undefined ? [] : readAppRefs(body.anti_affinity, p('anti_affinity'), name, names, true, c);
  const dependsOn = body.depends_on === undefined ? [] : readDependsOn(body.depends_on, p('depends_on'), name, names, c);
  graph.set(
    name,
    dependsOn.map((d) => d.app),
  );
  const env = body.env === undefined ? {} : readEnv(body.env, p('env'), c, 'error');
  const command = body.command === undefined ? undefined : readArgv(body.command, p('command'), c);
  const entrypoint = body.entrypoint === undefined ? undefined : readArgv(body.entrypoint, p('entrypoint'), c);
  const volumes = body.volumes === undefined ? [] : readAppVolumes(body.volumes, p('volumes'), c);
  const expose = body.expose === undefined ? undefined : take(parseEnum(body.expose, EXPOSE), p('expose'), c);
  if (expose === 'internal' && givenPublish !== undefined)
    c.error(p('publish'), 'an `expose: internal` app publishes no port: remove publish, or expose it through the ingress');
  const secrets =
    body.secrets === undefined
      ? []
      : readSecretRefs(body.secrets, p('secrets'), 'secret names or { name, file, env }', (item, ip) => readSecret(item, ip, c), c, env);
  const restart = body.restart === undefined ? DEFAULT_RESTART : take(parseEnum(body.restart, RESTART_POLICIES), p('restart'), c);
  const strategy = body.strategy === undefined ? undefined : take(parseEnum(body.strategy, STRATEGIES), p('strategy'), c);
  const rebalance = body.rebalance === undefined ? undefined : take(parseBoolean(body.rebalance), p('rebalance'), c);
  const update = body.update === undefined ? undefined : readUpdate(body.update, p('update'), c);
  const host = body.host === undefined ? undefined : readHost(body.host, p('host'), c);
  checkVolumeTargets(volumes, host?.binds ?? [], (i) => at(p('volumes'), i), c);
  const publish =
    host?.network === 'host' && port !== undefined && (body.publish === undefined || givenPublish !== undefined)
      ? take(hostNetworkPublish(port, givenPublish), p('publish'), c)
      : givenPublish;

  for (const other of affinity) {
    if (antiAffinity.includes(other)) c.error(p('anti_affinity'), `"${other}" is also in affinity: an app cannot both need and avoid it`);
  }
  for (const d of dependsOn) {
    if (d.colocate && antiAffinity.includes(d.app))
      c.error(p('depends_on'), `"${d.app}" is colocated but also in anti_affinity: an app cannot both need and avoid it`);
  }

  if (c.problems.length > before || image === undefined || replicas === undefined || port === undefined || !resources || restart === undefined)
    return undefined;
  return {
    name,
    image,
    replicas,
    port,
    ...(publish !== undefined ? { publish } : {}),
    ...(health ? { health } : {}),
    resources,
    constraints,
    affinity,
    antiAffinity,
    dependsOn,
    env,
    ...(command ? { command } : {}),
    ...(entrypoint ? { entrypoint } : {}),
    ...(expose === 'internal' ? { expose } : {}),
    // only when there are some, so apps without volumes look (and hash) as they did before
    ...(volumes.length > 0 ? { volumes } : {}),
    // only when there are some, so apps without secrets look (and hash) as they did before
    ...(secrets.length > 0 ? { secrets } : {}),
    // only when it asks for something, so apps without host access look (and hash) as they did before
    ...(host ? { host } : {}),
    restart,
    ...(strategy !== undefined ? { strategy } : {}),
    ...(rebalance !== undefined ? { rebalance } : {}),
    ...(update ? { update } : {}),
    source: `${file}#${path}`,
  };
}

/** Unknown app keys are errors; a host-access key (or Compose's `network_mode`) is told to go under `host:`. */
function rejectUnknownAppKeys(body: YamlMap, path: string, c: Collector): void {
  for (const key of Object.keys(body)) {
    if ((APP_KEYS as readonly string[]).includes(key)) continue;
    const hostKey = key === 'network_mode' ? 'network' : key;
    const hint = (HOST_KEYS as readonly string[]).includes(hostKey) ? `; host access goes under \`host:\` (host: { ${hostKey}: ... })` : '';
    c.error(at(path, key), `${unknownKeyMessage(key, APP_KEYS)}${hint}`);
  }
}

/** `health: /healthz` (defaults for the rest) or a mapping. */
function readHealth(v: unknown, path: string, c: Collector): HealthCheck | undefined {
  const body: YamlMap | undefined = typeof v === 'string' ? { path: v } : isMap(v) ? v : undefined;
  if (!body) {
    c.error(path, `must be an HTTP path like /healthz or a mapping (${HEALTH_KEYS.join(', ')})`);
    return undefined;
  }
  rejectUnknownKeys(body, HEALTH_KEYS, path, c);
  const p = (k: string): string => at(path, k);
  let probePath: string | undefined;
  if (body.path === undefined) c.error(p('path'), 'is required: the HTTP path to probe, like /healthz');
  else if (typeof body.path !== 'string' || !PROBE_PATH.test(body.path))
    c.error(p('path'), `must be an HTTP path starting with "/" matching ${PROBE_PATH.source}`);
  else probePath = body.path;
  // the ingress probes with the same check: its limits are the spec's (one notion of valid)
  const intervalS =
    body.interval === undefined ? HEALTH_DEFAULTS.intervalS : take(within(parseDuration(body.interval), PROBE_LIMITS.intervalS), p('interval'), c);
  const timeoutS = body.timeout === undefined ? HEALTH_DEFAULTS.timeoutS : take(within(parseDuration(body.timeout), PROBE_LIMITS.timeoutS), p('timeout'), c);
  const [, wmax] = PROBE_LIMITS.window;
  const threshold = body.threshold === undefined ? HEALTH_DEFAULTS.threshold : take(parseInteger(body.threshold, 1, wmax), p('threshold'), c);
  const window = body.window === undefined ? Math.max(HEALTH_DEFAULTS.window, threshold ?? 0) : take(parseInteger(body.window, 1, wmax), p('window'), c);
  if (threshold !== undefined && window !== undefined && threshold > window) c.error(p('threshold'), `must be <= window (${window})`);
  if (probePath === undefined || intervalS === undefined || timeoutS === undefined || threshold === undefined || window === undefined) return undefined;
  return { path: probePath, intervalS, timeoutS, threshold, window };
}

/** `update: { parallelism: 1, delay: 1s, order: start-first, drain: 2s, monitor: 30s }` */
function readUpdate(v: unknown, path: string, c: Collector): UpdatePolicy | undefined {
  if (!isMap(v)) {
    c.error(path, `must be a mapping (${UPDATE_KEYS.join(', ')})`);
    return undefined;
  }
  rejectUnknownKeys(v, UPDATE_KEYS, path, c);
  const p = (k: string): string => at(path, k);
  const parallelism = v.parallelism === undefined ? UPDATE_DEFAULTS.parallelism : take(parseInteger(v.parallelism, 1, 10000), p('parallelism'), c);
  const delayS = v.delay === undefined ? UPDATE_DEFAULTS.delayS : take(parseDuration(v.delay), p('delay'), c);
  const order = v.order === undefined ? UPDATE_DEFAULTS.order : take(parseEnum(v.order, UPDATE_ORDERS), p('order'), c);
  const drainS = v.drain === undefined ? UPDATE_DEFAULTS.drainS : take(parseDuration(v.drain), p('drain'), c);
  const monitorS = v.monitor === undefined ? UPDATE_DEFAULTS.monitorS : take(parseDuration(v.monitor), p('monitor'), c);
  if (parallelism === undefined || delayS === undefined || order === undefined || drainS === undefined || monitorS === undefined) return undefined;
  return { parallelism, delayS, order, drainS, monitorS };
}

function readResources(v: unknown, path: string, c: Collector): Resources | undefined {
  if (!isMap(v)) {
    c.error(path, `must be a mapping (${RESOURCE_KEYS.join(', ')})`);
    return undefined;
  }
  rejectUnknownKeys(v, RESOURCE_KEYS, path, c);
  const cpus = v.cpus === undefined ? 0 : take(parseCpus(v.cpus), at(path, 'cpus'), c);
  const memoryMb = v.memory === undefined ? 0 : take(parseMemoryMb(v.memory, 'mb'), at(path, 'memory'), c);
  return cpus === undefined || memoryMb === undefined ? undefined : { cpus, memoryMb };
}

/** `key==value` / `key!=value`; the key `node` is the node name, any other a node label. */
export function parseConstraint(s: string): Constraint | string {
  const m = CONSTRAINT.exec(s);
  if (!m) return `bad constraint "${s}": expected key==value or key!=value (key: node or a node label)`;
  const [, key, op, value] = m as unknown as [string, string, '==' | '!=', string];
  if (key === 'node' && !NODE_NAME.test(value)) return `bad node name "${value}": node names must match ${NODE_NAME.source}`;
  return { key, op, value };
}

function readConstraints(v: unknown, path: string, c: Collector): Constraint[] {
  const out: Constraint[] = [];
  readList(v, path, c, 'constraints like "zone==a" or "node!=node2"').forEach((item, i) => {
    if (typeof item !== 'string') return c.error(at(path, i), 'must be a string like "zone==a" or "node!=node2"');
    const r = parseConstraint(item);
    if (typeof r === 'string') c.error(at(path, i), r);
    else out.push(r);
  });
  return out;
}

function checkRef(ref: unknown, path: string, self: string, names: Set<string>, mayBeSelf: boolean, c: Collector): string | undefined {
  if (typeof ref !== 'string') {
    c.error(path, `must be an app name, got ${typeName(ref)}`);
    return undefined;
  }
  if (ref === self && !mayBeSelf) {
    c.error(path, `"${ref}" is the app itself`);
    return undefined;
  }
  if (!names.has(ref)) {
    c.error(path, `unknown app "${ref}": the file has ${[...names].sort().join(', ')}`);
    return undefined;
  }
  return ref;
}

function readAppRefs(v: unknown, path: string, self: string, names: Set<string>, mayBeSelf: boolean, c: Collector): string[] {
  const out: string[] = [];
  readList(v, path, c, 'app names').forEach((item, i) => {
    const ref = checkRef(item, at(path, i), self, names, mayBeSelf, c);
    if (ref !== undefined && !out.includes(ref)) out.push(ref);
  });
  return out;
}

function readDependsOn(v: unknown, path: string, self: string, names: Set<string>, c: Collector): Dependency[] {
  const out: Dependency[] = [];
  readList(v, path, c, 'app names or { app, colocate }').forEach((item, i) => {
    const p = at(path, i);
    let app: string | undefined;
    let colocate: boolean | undefined = false;
    if (isMap(item)) {
      rejectUnknownKeys(item, DEPENDENCY_KEYS, p, c);
      if (item.app === undefined) c.error(at(p, 'app'), 'is required');
      else app = checkRef(item.app, at(p, 'app'), self, names, false, c);
      if (item.colocate !== undefined && typeof item.colocate !== 'boolean') {
        c.error(at(p, 'colocate'), 'must be true or false');
        colocate = undefined;
      } else colocate = item.colocate === true;
    } else if (typeof item === 'string') {
      app = checkRef(item, p, self, names, false, c);
    } else {
      c.error(p, `must be an app name or { app, colocate }, got ${typeName(item)}`);
    }
    if (app === undefined || colocate === undefined) return;
    const dup = out.find((d) => d.app === app);
    if (dup) c.error(p, `"${app}" is listed twice`);
    else out.push({ app, colocate });
  });
  return out;
}

/**
 * `- db-password` (the file /run/secrets/db-password) or `{ name, file, env }`; with neither
 * `file` nor `env` the secret is a file named after it, as in the short form.
 */
function readSecret(item: unknown, path: string, c: Collector): SecretRef | undefined {
  if (typeof item === 'string') {
    const name = take(parseSecretName(item), path, c);
    return name === undefined ? undefined : { name, file: name };
  }
  if (!isMap(item)) {
    c.error(path, `must be a secret name or { name, file, env }, got ${typeName(item)}`);
    return undefined;
  }
  rejectUnknownKeys(item, SECRET_KEYS, path, c);
  const p = (k: string): string => at(path, k);
  const name =
    item.name === undefined
      ? c.error(p('name'), 'is required: the secret in the store (`matrix secret set <name>`)')
      : take(parseSecretName(item.name), p('name'), c);
  const file = item.file === undefined ? undefined : take(parseSecretFile(item.file), p('file'), c);
  const env = item.env === undefined ? undefined : take(parseSecretEnv(item.env), p('env'), c);
  if (name === undefined || (item.file !== undefined && file === undefined) || (item.env !== undefined && env === undefined)) return undefined;
  const asFile = file ?? (env === undefined ? name : undefined);
  return { name, ...(asFile !== undefined ? { file: asFile } : {}), ...(env !== undefined ? { env } : {}) };
}

/**
 * `host: { privileged, cap_add, devices, pid, ipc, network, volumes }`: what of its node the app
 * gets (each refused at deploy unless the cluster policy allows it). The values are read as in
 * Compose (host-access.ts); `pid`, `ipc` and `network` take only `host`, `volumes` only node paths.
 * What parsed is returned even when another field has a problem, so `network` still checks `publish`.
 */
function readHost(v: unknown, path: string, c: Collector): HostAccess | undefined {
  if (!isMap(v)) {
    c.error(path, `must be a mapping (${HOST_KEYS.join(', ')}), got ${typeName(v)}`);
    return undefined;
  }
  rejectUnknownKeys(v, HOST_KEYS, path, c);
  const p = (k: string): string => at(path, k);
  const mode = (k: 'pid' | 'ipc' | 'network'): 'host' | undefined => (v[k] === undefined ? undefined : take(parseHostMode(v[k], k), p(k), c));
  return hostAccess({
    privileged: v.privileged === undefined ? undefined : take(parsePrivileged(v.privileged), p('privileged'), c),
    capAdd: v.cap_add === undefined ? undefined : readCapAdd(v.cap_add, p('cap_add'), c),
    devices: v.devices === undefined ? undefined : readDevices(v.devices, p('devices'), c),
    pid: mode('pid'),
    ipc: mode('ipc'),
    network: mode('network'),
    binds:
      v.volumes === undefined
        ? undefined
        : readBinds(v.volumes, p('volumes'), 'node paths like "/srv/data:/data:ro"', (item, ip) => readShortBind(item, ip, c), c),
  });
}

/** YAML 1.2 booleans only: `yes`/`on` are strings, and a quoted "true" is not a boolean either. */
function parseBoolean(v: unknown): Parsed<boolean> {
  return typeof v === 'boolean' ? { ok: true, value: v } : { ok: false, message: `must be true or false, got ${typeName(v)}` };
}

/** A duration also inside [min, max] seconds. */
function within(p: Parsed<number>, [min, max]: readonly [number, number]): Parsed<number> {
  if (!p.ok || (p.value >= min && p.value <= max)) return p;
  return { ok: false, message: `must be between ${min}s and ${max}s` };
}
