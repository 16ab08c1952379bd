/**
 * Named volumes (`volumes: ["data:/var/lib/app"]` in matrix.yaml, a service's named volumes in
 * Compose): state that survives a redeploy, a rolling update and a manager restart. A volume
 * is node-local: each replica slot has its own on the node it runs on, and stays there with
 * it (the scheduler's volume filter). So a volume belongs to one app: two apps naming the same
 * volume, which Compose reads as shared data, could not share it across nodes and is an error.
 * Node paths are host access and go under `host.volumes` (matrix.yaml), which the policy gates.
 */
import type { VolumeMount } from '../model.ts';
import { at, isMap, readList, typeName, type Collector } from './fields.ts';
import { isHostPath, parseBindTarget } from './host-access.ts';
import { SECRETS_DIR } from '../secrets.ts';

export const VOLUME_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const MAX_VOLUMES = 16;
const USAGE = 'must be "name:/container/path" with an optional ":ro"';

function quote(s: string): string {
  return JSON.stringify(s);
}

function readName(v: unknown, path: string, c: Collector): string | undefined {
  if (typeof v !== 'string' || !VOLUME_NAME.test(v))
    return void c.error(path, `bad volume name ${typeof v === 'string' ? quote(v) : typeName(v)}: lowercase letters, digits, "_" and "-", at most 63`);
  return v;
}

function readTarget(v: unknown, path: string, c: Collector): string | undefined {
  const t = parseBindTarget(v);
  if (!t.ok) return void c.error(path, t.message);
  return t.value;
}

/** `name:/path[:ro|rw]`; a node path as the source is told where it belongs (`nodePaths`: how the format names that place). */
export function readShortVolume(v: string, path: string, c: Collector, nodePaths: string): VolumeMount | undefined {
  const parts = v.split(':');
  if (isHostPath(parts[0]!)) return void c.error(path, `${quote(parts[0]!)} is a node path: ${nodePaths}`);
  if (parts.length < 2 || parts.length > 3) return void c.error(path, `bad volume ${quote(v)}: ${USAGE}`);
  const [src, dst, mode] = parts as [string, string, string | undefined];
  const name = readName(src, path, c);
  const target = readTarget(dst, path, c);
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw')
    return void c.error(path, `mode ${quote(mode)} must be ro (read-only) or rw (read-write, the default)`);
  if (name === undefined || target === undefined) return undefined;
  return { name, target, readOnly: mode === 'ro' };
}

/** Compose's long syntax `{ type: volume, source, target, read_only }`. */
export function readLongVolume(v: Record<string, unknown>, path: string, c: Collector): VolumeMount | undefined {
  const name = v.source === undefined ? c.error(at(path, 'source'), 'is required: the volume name') : readName(v.source, at(path, 'source'), c);
  const target =
    v.target === undefined ? c.error(at(path, 'target'), 'is required: an absolute path in the container') : readTarget(v.target, at(path, 'target'), c);
  if (v.read_only !== undefined && typeof v.read_only !== 'boolean') c.error(at(path, 'read_only'), `must be true or false, got ${typeName(v.read_only)}`);
  if (name === undefined || target === undefined) return undefined;
  return { name, target, readOnly: v.read_only === true };
}

/**
 * A list of volumes read by `readItem` (undefined: not a named volume, or a problem already
 * recorded); a name or a target given twice is an error at the later item.
 */
export function readVolumeList(v: unknown, path: string, c: Collector, readItem: (item: unknown, path: string) => VolumeMount | undefined): VolumeMount[] {
  const list = readList(v, path, c, 'volumes like "data:/var/lib/app"');
  if (list.length > MAX_VOLUMES) {
    c.error(path, `at most ${MAX_VOLUMES} volumes per app, got ${list.length}`);
    return [];
  }
  const out: VolumeMount[] = [];
  list.forEach((item, i) => {
    const p = at(path, i);
    const m = readItem(item, p);
    if (m === undefined) return;
    if (out.some((o) => o.name === m.name)) return c.error(p, `volume ${quote(m.name)} is mounted twice: mount it once, or use two volumes`);
    if (out.some((o) => o.target === m.target)) return c.error(p, `target ${quote(m.target)} is given twice`);
    out.push(m);
  });
  return out;
}

/** matrix.yaml's `volumes`: short syntax only. */
export function readAppVolumes(v: unknown, path: string, c: Collector): VolumeMount[] {
  return readVolumeList(v, path, c, (item, p) =>
    typeof item === 'string'
      ? readShortVolume(item, p, c, 'node paths are host access and go under `host: { volumes: [...] }`')
      : isMap(item)
        ? void c.error(p, `${USAGE}, got a mapping`)
        : void c.error(p, `${USAGE}, got ${typeName(item)}`),
  );
}

/**
 * A volume name mounted by two apps (at `pathOf(app, index)` of the later one): the volumes are
 * node-local and per replica, so the two could never see the same data.
 */
export function checkVolumeOwners(
  apps: readonly { name: string; volumes?: VolumeMount[] }[],
  pathOf: (app: string, index: number) => string,
  c: Collector,
): void {
  const owner = new Map<string, string>();
  for (const a of apps) {
    (a.volumes ?? []).forEach((m, i) => {
      const first = owner.get(m.name);
      if (first === undefined) owner.set(m.name, a.name);
      else if (first !== a.name)
        c.error(
          pathOf(a.name, i),
          `volume ${quote(m.name)} is already mounted by ${first}: a volume belongs to one app (each replica's data stays on its node), so give each app its own name`,
        );
    });
  }
}

/**
 * A volume's target must not be a node path's target too, nor the secrets' directory: the
 * engine refuses two mounts on one path, and only at the create, on the node.
 */
export function checkVolumeTargets(
  volumes: readonly VolumeMount[],
  binds: readonly { target: string }[],
  pathOf: (index: number) => string,
  c: Collector,
): void {
  volumes.forEach((v, i) => {
    const target = v.target.replace(/\/+$/, '');
    if (binds.some((b) => b.target.replace(/\/+$/, '') === target)) c.error(pathOf(i), `target ${quote(v.target)} is a node path's target too`);
    else if (target === SECRETS_DIR) c.error(pathOf(i), `target ${quote(v.target)} is where the app's secret files are mounted`);
  });
}
