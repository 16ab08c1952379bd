/** Request-body checks: each failure is E_BAD_REQUEST with the path of the bad field. */
import { assertNodeName } from '../../core/node-name.ts';
import { isIP } from 'node:net';
import { MatrixError } from '../../core/errors.ts';
import { NODE_AVAILABILITIES, type NodeAvailability } from '../../core/model.ts';
import type { NodeUpdate } from '../store/store.ts';
import type { DeployRequest, RemoveAppsRequest, ScaleRequest } from '../../shared/api-types.ts';
import { SPEC_LIMITS } from '../../core/appspec/limits.ts';
import { checkProjectName } from '../../core/projects.ts';
import { checkSecretName, SECRET_LIMITS } from '../../core/secrets.ts';
import { ROLES, type Role } from './roles.ts';
import { parseDuration } from '../../core/appspec/fields.ts';
import { normalizeLogTime } from '../../core/logs.ts';
import { EVENT_KINDS, type EventKind } from '../../shared/api-types.ts';
import type { EventQuery } from '../store/store.ts';

function obj(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new MatrixError('E_BAD_REQUEST', 'the request body must be a JSON object', { path: 'body' });
  }
  return body as Record<string, unknown>;
}

// the spec limit, checked here too so an oversized body is refused before it is parsed at all
const MAX_PLAN_BYTES = SPEC_LIMITS.bytes;

export function deployRequest(body: unknown): DeployRequest {
  const b = obj(body);
  if (typeof b.source !== 'string') throw new MatrixError('E_BAD_REQUEST', 'must be the plan text (a string)', { path: 'source' });
  if (Buffer.byteLength(b.source, 'utf8') > MAX_PLAN_BYTES)
    throw new MatrixError('E_BAD_REQUEST', `must be at most ${MAX_PLAN_BYTES} bytes`, { path: 'source' });
  if (b.file !== undefined && (typeof b.file !== 'string' || b.file.length > 255)) {
    throw new MatrixError('E_BAD_REQUEST', 'must be a file name of at most 255 characters', { path: 'file' });
  }
  const dryRun = flag(b, 'dryRun');
  const prune = flag(b, 'prune');
  if (b.project !== undefined && typeof b.project !== 'string')
    throw new MatrixError('E_BAD_REQUEST', 'must be a project name (a string)', { path: 'project' });
  const project = b.project === undefined ? undefined : checkProjectName(b.project as string, 'project');
  return { source: b.source, file: (b.file as string | undefined) || 'applications.plan', dryRun, prune, ...(project !== undefined ? { project } : {}) };
}

function flag(b: Record<string, unknown>, key: string): boolean {
  if (b[key] !== undefined && typeof b[key] !== 'boolean') throw new MatrixError('E_BAD_REQUEST', 'must be true or false', { path: key });
  return b[key] === true;
}

const APP_REF = /^[a-z][a-z0-9-]{0,62}$/;

export function removeAppsRequest(body: unknown): RemoveAppsRequest {
  const b = obj(body);
  if (!Array.isArray(b.apps) || b.apps.length === 0 || b.apps.length > 1000)
    throw new MatrixError('E_BAD_REQUEST', 'must be a list of 1..1000 app names', { path: 'apps' });
  b.apps.forEach((a, i) => {
    if (typeof a !== 'string' || !APP_REF.test(a)) throw new MatrixError('E_BAD_REQUEST', 'must be an app name', { path: `apps[${i}]` });
  });
  return { apps: [...new Set(b.apps as string[])], dryRun: flag(b, 'dryRun') };
}

const LABEL_KEY = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

function labels(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MatrixError('E_BAD_REQUEST', 'must be an object of string labels', { path: 'labels' });
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (!LABEL_KEY.test(k) || k === 'node')
      throw new MatrixError('E_BAD_REQUEST', 'label keys are 1-63 of [A-Za-z0-9._-] and not "node"', { path: `labels.${k}` });
    if (typeof val !== 'string' || val.length > 63 || /[\s=]/.test(val))
      throw new MatrixError('E_BAD_REQUEST', 'must be a string of at most 63 characters without spaces or "="', { path: `labels.${k}` });
    out[k] = val;
  }
  return out;
}

export function scaleRequest(body: unknown): ScaleRequest {
  const b = obj(body);
  if (typeof b.replicas !== 'number' || !Number.isInteger(b.replicas) || b.replicas < 0) {
    throw new MatrixError('E_BAD_REQUEST', 'must be an integer >= 0', { path: 'replicas' });
  }
  return { replicas: b.replicas, dryRun: flag(b, 'dryRun') };
}

export function nodeRequest(name: string, body: unknown): NodeUpdate {
  assertNodeName(name);
  const b = obj(body);
  if (typeof b.address !== 'string' || isIP(b.address) === 0) throw new MatrixError('E_BAD_REQUEST', 'must be an IP address', { path: 'address' });
  const port = b.enginePort ?? 2376;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MatrixError('E_BAD_REQUEST', 'must be an integer in 1..65535', { path: 'enginePort' });
  }
  const availability = b.availability;
  if (availability !== undefined && (typeof availability !== 'string' || !(NODE_AVAILABILITIES as readonly string[]).includes(availability))) {
    throw new MatrixError('E_BAD_REQUEST', `must be one of ${NODE_AVAILABILITIES.join(', ')}`, { path: 'availability' });
  }
  const socket = b.socket;
  // a path on the manager's host: absolute, printable, short (unix sockets allow 107 bytes)
  if (socket !== undefined && (typeof socket !== 'string' || !/^\/[\x21-\x7e]{1,106}$/.test(socket))) {
    throw new MatrixError('E_BAD_REQUEST', "must be the absolute path of the engine's unix socket on the manager's host", { path: 'socket' });
  }
  const driver = b.driver;
  if (driver !== undefined && (typeof driver !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(driver))) {
    throw new MatrixError('E_BAD_REQUEST', 'must be the name of a machine driver (1-32 of [a-z0-9-], starting with a letter)', { path: 'driver' });
  }
  return {
    name,
    address: b.address,
    enginePort: port,
    ...(socket !== undefined ? { socket } : {}),
    ...(b.labels !== undefined ? { labels: labels(b.labels) } : {}),
    ...(availability !== undefined ? { availability: availability as NodeAvailability } : {}),
    ...(driver !== undefined ? { driver } : {}),
  };
}

/** A body with nothing but an optional `dryRun` (an absent body is `{}`). */
export function dryRunRequest(body: unknown): boolean {
  return flag(obj(body ?? {}), 'dryRun');
}

export function tokenRequest(body: unknown): { name: string; role: Role } {
  const b = obj(body);
  if (typeof b.role !== 'string' || !(ROLES as readonly string[]).includes(b.role))
    throw new MatrixError('E_BAD_REQUEST', `must be one of ${ROLES.join(', ')}`, { path: 'role' });
  const name = b.name ?? b.role;
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(name))
    throw new MatrixError('E_BAD_REQUEST', 'must be 1-63 of [a-z0-9_-]', { path: 'name' });
  return { name, role: b.role as Role };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `PUT /v1/secrets/:name`: `{ value: <base64> }` (any bytes, so not a JSON string of text). */
export function secretRequest(name: string, body: unknown): { name: string; value: Buffer } {
  const bad = checkSecretName(name);
  if (bad) throw new MatrixError('E_BAD_REQUEST', bad, { path: 'name' });
  const b = obj(body);
  const max = Math.ceil(SECRET_LIMITS.valueBytes / 3) * 4;
  if (typeof b.value !== 'string' || b.value.length > max || !BASE64.test(b.value)) {
    throw new MatrixError('E_BAD_REQUEST', `must be the value in base64, at most ${SECRET_LIMITS.valueBytes} bytes decoded`, { path: 'value' });
  }
  const extra = Object.keys(b).filter((k) => k !== 'value');
  if (extra.length) throw new MatrixError('E_BAD_REQUEST', `unknown field "${extra[0]!.slice(0, 40)}"`, { path: extra[0]!.slice(0, 40) });
  return { name, value: Buffer.from(b.value, 'base64') };
}

/** Reads a query string's parameters: each once, non-empty, bounded; integers in a range. */
function queryReader(query: unknown): { one: (key: string) => string | undefined; int: (key: string, min: number, max: number) => number | undefined } {
  const q = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  const one = (key: string): string | undefined => {
    const v = q[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '' || v.length > 256) throw new MatrixError('E_BAD_REQUEST', 'must be given once, as a non-empty value', { path: key });
    return v;
  };
  const int = (key: string, min: number, max: number): number | undefined => {
    const v = one(key);
    if (v === undefined) return undefined;
    if (!/^\d{1,15}$/.test(v) || Number(v) < min || Number(v) > max)
      throw new MatrixError('E_BAD_REQUEST', `must be an integer in ${min}..${max}`, { path: key });
    return Number(v);
  };
  return { one, int };
}

/** `since`: a duration back from now (`10m`) or an ISO time, as an ISO time. */
function sinceParam(since: string | undefined, now: number): string | undefined {
  if (since === undefined) return undefined;
  const back = parseDuration(since);
  const at = back.ok ? now - back.value * 1000 : /^\d{4}-\d\d-\d\dT/.test(since) ? Date.parse(since) : NaN;
  if (!Number.isFinite(at))
    throw new MatrixError('E_BAD_REQUEST', `must be a duration back from now like 10m or 2h, or an ISO time, got "${since}"`, { path: 'since' });
  return new Date(at).toISOString();
}

/** At most this many events per answer: `matrix events` pages with `after`. */
export const EVENTS_PAGE = 1000;

/**
 * `GET /v1/events` query: `since` (a duration back from now, `10m`, or an ISO time), `app`,
 * `node`, `kind`, `after` (an event id), `limit` (1..EVENTS_PAGE, default 200).
 */
export function eventsQuery(query: unknown, now: number): EventQuery {
  const { one, int } = queryReader(query);
  const out: EventQuery = { limit: 200 };
  const since = sinceParam(one('since'), now);
  if (since !== undefined) out.since = since;
  const app = one('app');
  if (app !== undefined) out.app = app;
  const node = one('node');
  if (node !== undefined) out.node = node;
  const kind = one('kind');
  if (kind !== undefined) {
    if (!(EVENT_KINDS as readonly string[]).includes(kind))
      throw new MatrixError('E_BAD_REQUEST', `must be one of ${EVENT_KINDS.join(', ')}`, { path: 'kind' });
    out.kind = kind as EventKind;
  }
  const after = int('after', 0, Number.MAX_SAFE_INTEGER);
  if (after !== undefined) out.afterId = after;
  out.limit = int('limit', 1, EVENTS_PAGE) ?? out.limit;
  return out;
}

/** At most this many lines per logs answer (and per replica asked). */
export const LOGS_TAIL_MAX = 10_000;

export interface LogsQuery {
  /** The last this many merged lines (default 200). */
  tail: number;
  /** Lines from then on (an ISO time). */
  since?: string;
  /** Lines strictly after this time (a line's `at`, when following). */
  after?: string;
}

/** `GET /v1/apps/:name/logs` query: `tail` (1..LOGS_TAIL_MAX), `since` (as for events), `after` (a line's `at`). */
export function logsQuery(query: unknown, now: number): LogsQuery {
  const { one, int } = queryReader(query);
  const out: LogsQuery = { tail: int('tail', 1, LOGS_TAIL_MAX) ?? 200 };
  const since = sinceParam(one('since'), now);
  if (since !== undefined) out.since = since;
  const after = one('after');
  if (after !== undefined) {
    const at = normalizeLogTime(after);
    if (at === null || at.length !== after.length || Number.isNaN(Date.parse(after)))
      throw new MatrixError('E_BAD_REQUEST', `must be the time of a log line, like 2026-11-27T10:00:00.000000000Z, got "${after.slice(0, 60)}"`, {
        path: 'after',
      });
    out.after = at;
  }
  return out;
}
