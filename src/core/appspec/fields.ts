/**
 * Shared pieces of the YAML spec parsers (matrix.yaml and compose): reading YAML with line
 * numbers for syntax errors, a collector that gathers every problem (and warning) with its
 * dotted path, and the value parsers both formats use: integers, durations, memory, cpus,
 * env, key checks with "did you mean", dependency cycles.
 */
import { isMap as isYamlMap, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { MAX_REPLICAS } from '../defaults.ts';
import { MatrixError } from '../errors.ts';
import { checkSpecText, SPEC_LIMITS } from './limits.ts';
import { PROJECT_NAME } from '../projects.ts';
import { problemsError } from './plan.ts';
import { byCodeUnit } from '../compare.ts';

/** Something a spec said that cloudmatrix ignores: shown to the user, never fatal. */
export interface SpecWarning {
  path: string;
  message: string;
}

export type YamlMap = Record<string, unknown>;

/** Gathers problems (fatal, thrown at the end as one error) and warnings (returned). */
export class Collector {
  readonly problems: MatrixError[] = [];
  readonly warnings: SpecWarning[] = [];
  constructor(readonly file: string) {}

  error(path: string, message: string): void {
    this.problems.push(new MatrixError('E_SPEC_INVALID', message, { path }));
  }

  /** Input that asks for what the cluster's policy refuses (host access). */
  policy(path: string, message: string): void {
    this.problems.push(new MatrixError('E_POLICY_DENIED', message, { path }));
  }

  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }

  /** Throws one error listing every problem, as `problemsError` does for plan files. */
  throwIfAny(): void {
    if (this.problems.length > 0) throw problemsError(this.file, this.problems);
  }
}

/** `apps.web` + `replicas` -> `apps.web.replicas`; numbers become `[i]`. */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function isMap(v: unknown): v is YamlMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Human name of a YAML value's type, for "must be X, got Y" messages. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

/**
 * Parses one YAML document. Syntax errors become E_SPEC_INVALID at `<file>:<line>`, all of
 * them at once. Merge keys (`<<: *defaults`) are allowed: compose files use them a lot.
 */
export function readYaml(text: string, file: string): unknown {
  checkSpecText(text, file);
  const lineCounter = new LineCounter();
  // uniqueKeys off: the library compares every key with every other (quadratic); duplicateKeys is linear
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: false });
  const c = new Collector(file);
  for (const err of doc.errors) {
    const { line, col } = lineCounter.linePos(err.pos[0]);
    const message = err.code === 'MULTIPLE_DOCS' ? 'only one YAML document is allowed (found a second one after `---`)' : err.message;
    c.error(`${file}:${line}`, `YAML syntax: ${message} (column ${col})`);
  }
  c.throwIfAny();
  for (const d of duplicateKeys(doc, file))
    c.error(`${file}:${lineCounter.linePos(d.offset).line}`, `YAML syntax: map keys must be unique ("${d.key}" repeats)`);
  c.throwIfAny();
  try {
    // maxAliasCount guards against alias bombs ("billion laughs").
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    c.error(file, `YAML: ${e instanceof Error ? e.message : String(e)}`);
    c.throwIfAny();
    return undefined;
  }
}

/** Repeated scalar keys of each mapping, in one pass; more than SPEC_LIMITS.keys keys in all is E_INPUT_TOO_MANY_KEYS. */
function duplicateKeys(doc: Document, file: string): { key: string; offset: number }[] {
  const out: { key: string; offset: number }[] = [];
  let keys = 0;
  visit(doc, {
    Map(_, map) {
      if (!isYamlMap(map)) return;
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (++keys > SPEC_LIMITS.keys) throw new MatrixError('E_INPUT_TOO_MANY_KEYS', `more than ${SPEC_LIMITS.keys} keys`, { path: file });
        if (!isScalar(pair.key)) continue;
        const k = String(pair.key.value);
        if (k === '<<') continue; // merge keys may repeat
        if (seen.has(k)) out.push({ key: k, offset: pair.key.range?.[0] ?? 0 });
        seen.add(k);
      }
    },
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// Keys

function normalizeKey(k: string): string {
  return k.toLowerCase().replace(/[-_]/g, '');
}

/** Edit distance where swapping two neighbours counts as one edit (optimal string alignment). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The allowed key a typo most likely meant (`replica` -> `replicas`, `antiAffinity` -> `anti_affinity`). */
export function suggestKey(key: string, allowed: readonly string[]): string | undefined {
  const k = normalizeKey(key);
  let best: { key: string; d: number } | undefined;
  for (const a of allowed) {
    const d = distance(k, normalizeKey(a));
    if (d <= Math.max(1, Math.floor(a.length / 4)) && (!best || d < best.d)) best = { key: a, d };
  }
  return best?.key;
}

export function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const hint = suggestKey(key, allowed);
  return `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; allowed: ${allowed.join(', ')}`;
}

/** Every key of `obj` not in `allowed` is an error (matrix.yaml: typos must not pass silently). */
export function rejectUnknownKeys(obj: YamlMap, allowed: readonly string[], path: string, c: Collector): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) c.error(at(path, key), unknownKeyMessage(key, allowed));
  }
}

// ---------------------------------------------------------------------------------------
// Values. Each parser returns the value or a message; the caller adds the path.

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(message: string): Parsed<T> => ({ ok: false, message });

/** Reads one parsed value into the collector: the value, or undefined after recording the problem. */
export function take<T>(p: Parsed<T>, path: string, c: Collector): T | undefined {
  if (p.ok) return p.value;
  c.error(path, p.message);
  return undefined;
}

export function parseInteger(v: unknown, min: number, max: number): Parsed<number> {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return bad(`must be an integer in ${min}..${max}`);
  return ok(v);
}

export function parseReplicas(v: unknown): Parsed<number> {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return bad('must be an integer >= 0');
  if (v > MAX_REPLICAS) return bad(`must be <= ${MAX_REPLICAS}`);
  return ok(v);
}

export function parsePort(v: unknown): Parsed<number> {
  return parseInteger(v, 1, 65535);
}

export function parseString(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return bad(`must be a string, got ${typeName(v)}`);
  if (v.trim() === '') return bad('must not be empty');
  return ok(v);
}

export function parseEnum<T extends string>(v: unknown, values: readonly T[]): Parsed<T> {
  const found = values.find((x) => x === v);
  if (found !== undefined) return ok(found);
  return bad(`must be one of ${values.join(', ')}`);
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/**
 * A duration in seconds: a number of seconds (`2`, `0.5`) or a string of number+unit parts,
 * units ms, s, m, h (`500ms`, `1s`, `2m`, `1m30s`). Must be > 0.
 */
export function parseDuration(v: unknown): Parsed<number> {
  const msg = 'must be a duration > 0: a number of seconds or a string like 500ms, 1s, 2m, 1m30s';
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? ok(v) : bad(msg);
  if (typeof v !== 'string') return bad(msg);
  const s = v.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(s)) return bad(msg);
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  // Round away float noise: 0.1s + 0.2s is 0.3s.
  total = Math.round(total * 1e6) / 1e6;
  return total > 0 ? ok(total) : bad(msg);
}

const MIB = 1024 * 1024;
const BYTE_UNITS: Record<string, number> = { b: 1, k: 1024, m: MIB, g: 1024 * MIB, t: 1024 * 1024 * MIB };
/** 16 TiB, in MiB. */
export const MAX_MEMORY_MB = 16 * 1024 * 1024;

/**
 * Memory in MiB (rounded up). Units are binary and case-insensitive: `512K`, `64M`, `1G`, `1T`,
 * also `Ki/Mi/Gi/Ti`, `KB/MB/GB/TB`, `KiB/...`, and `B`. A bare number (or a numeric string) means
 * MiB in matrix.yaml (`bare: 'mb'`) and bytes in compose (`bare: 'b'`), as Compose reads it.
 */
export function parseMemoryMb(v: unknown, bare: 'mb' | 'b'): Parsed<number> {
  const msg = `must be a memory size > 0 like 64M, 512Mi, 1G (a plain number is ${bare === 'mb' ? 'MiB' : 'bytes'})`;
  let bytes: number;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) return bad(msg);
    bytes = bare === 'mb' ? v * MIB : v;
  } else if (typeof v === 'string') {
    const m = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b?)|(b))?$/i.exec(v.trim());
    if (!m) return bad(msg);
    const unit = (m[2] ?? m[3] ?? '').toLowerCase();
    bytes = Number(m[1]) * (unit === '' ? (bare === 'mb' ? MIB : 1) : BYTE_UNITS[unit]!);
    if (!(bytes > 0)) return bad(msg);
  } else {
    return bad(msg);
  }
  const mb = Math.ceil(bytes / MIB - 1e-9);
  if (mb > MAX_MEMORY_MB) return bad('must be <= 16T');
  return ok(mb);
}

export const MAX_CPUS = 1024;

/** CPUs as a number or numeric string (`0.25`, `"2"`): > 0 and <= 1024. */
export function parseCpus(v: unknown): Parsed<number> {
  const msg = `must be a number of CPUs > 0 and <= ${MAX_CPUS}`;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > MAX_CPUS) return bad(msg);
  return ok(n);
}

export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function envValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * Env as a mapping (`KEY: value`; numbers and booleans become strings) or a list of `KEY=value`.
 * A key without a value (`KEY` in a list, `KEY:` with no value) means "from the shell" in
 * Compose; cloudmatrix has no shell to take it from, so `onMissing` decides: error or warning.
 */
export function readEnv(v: unknown, path: string, c: Collector, onMissing: 'error' | 'warn'): Record<string, string> {
  const env: Record<string, string> = {};
  const missing = (p: string, key: string): void => {
    const msg = `"${key}" has no value: a value taken from the shell is not supported`;
    if (onMissing === 'error') c.error(p, msg);
    else c.warn(p, `${msg}; ignored`);
  };
  const put = (p: string, key: string, value: string): void => {
    if (!ENV_KEY.test(key)) c.error(p, `bad env key "${key}": must match ${ENV_KEY.source}`);
    else if (Object.hasOwn(env, key)) c.error(p, `env key "${key}" is set twice`);
    else env[key] = value;
  };
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const p = at(path, i);
      if (typeof item !== 'string') return c.error(p, 'must be a string "KEY=value"');
      const eq = item.indexOf('=');
      if (eq < 0) return ENV_KEY.test(item) ? missing(p, item) : c.error(p, `must be "KEY=value" with KEY matching ${ENV_KEY.source}`);
      put(p, item.slice(0, eq), item.slice(eq + 1));
    });
  } else if (isMap(v)) {
    for (const [key, raw] of Object.entries(v)) {
      const p = at(path, key);
      if (raw === null || raw === undefined) {
        missing(p, key);
        continue;
      }
      const value = envValue(raw);
      if (value === undefined) c.error(p, 'must be a string, number or boolean');
      else put(p, key, value);
    }
  } else {
    c.error(path, 'must be a mapping of KEY: value or a list of "KEY=value"');
  }
  return env;
}

/** Reads a list, reporting a non-list at `path`; returns [] then. */
export function readList(v: unknown, path: string, c: Collector, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  c.error(path, `must be a list of ${what}`);
  return [];
}

/**
 * Every cycle of the dependency graph once, each as a path `a -> b -> ... -> a` starting at its
 * smallest name, sorted. Self-loops are left out: callers report those on their own.
 */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'active');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (m === n || !graph.has(m)) continue;
      const s = state.get(m);
      if (s === 'active') {
        const cycle = stack.slice(stack.indexOf(m));
        const start = cycle.indexOf([...cycle].sort()[0]!);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(rotated.join(' '), [...rotated, rotated[0]!]);
      } else if (s === undefined) {
        visit(m);
      }
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return [...cycles.entries()].sort(([a], [b]) => byCodeUnit(a, b)).map(([, c]) => c);
}

/**
 * The `apps:` (matrix.yaml) or `services:` (Compose) mapping: each entry read by `readOne`,
 * then `depends_on` cycles reported, every problem collected. Apps come back sorted by name.
 */
export function readAppsMapping<T extends { name: string }>(
  root: YamlMap,
  key: 'apps' | 'services',
  readOne: (name: string, body: unknown, names: Set<string>, graph: Map<string, string[]>) => T | undefined,
  c: Collector,
): T[] {
  const what = key === 'apps' ? 'app name to app' : 'service name to service';
  const out: T[] = [];
  const map = root[key];
  if (map === undefined) c.error(key, `is required: a mapping of ${what}`);
  else if (!isMap(map)) c.error(key, `must be a mapping of ${what}, got ${typeName(map)}`);
  else {
    const names = new Set(Object.keys(map));
    // built from every entry, valid or not, so a cycle is reported along with other problems
    const graph = new Map<string, string[]>();
    for (const [name, body] of Object.entries(map)) {
      const app = readOne(name, body, names, graph);
      if (app) out.push(app);
    }
    for (const cycle of findCycles(graph)) c.error(at(at(key, cycle[0]!), 'depends_on'), `dependency cycle: ${cycle.join(' -> ')}`);
  }
  return out.sort((a, b) => byCodeUnit(a.name, b.name));
}

/** The top-level `name:` of a matrix.yaml or compose file: the project it deploys. */
export function readProjectName(root: YamlMap, c: Collector): string | undefined {
  const v = root.name;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !PROJECT_NAME.test(v)) {
    c.error('name', `must be a project name matching ${PROJECT_NAME.source} (lowercase letters, digits, "-" and "_", at most 63), got ${JSON.stringify(v)}`);
    return undefined;
  }
  return v;
}
