/**
 * An app's `secrets:` list, shared by matrix.yaml and Compose. Each format reads its own item
 * syntax (matrix.yaml: `name`/`file`/`env`, Compose: `source`/`target`); the value checks and
 * the rules across items live here, so both formats have one notion of a valid reference.
 * `version` is never read from a spec: the manager stamps it from its store.
 */
import type { SecretRef } from '../model.ts';
import { checkSecretName, SECRET_FILE, SECRET_LIMITS, SECRETS_DIR } from '../secrets.ts';
import { at, ENV_KEY, readList, typeName, type Collector, type Parsed } from './fields.ts';

export function parseSecretName(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return { ok: false, message: `must be a secret name, got ${typeName(v)}` };
  const problem = checkSecretName(v);
  return problem === undefined ? { ok: true, value: v } : { ok: false, message: problem };
}

/** A file name under SECRETS_DIR: one path segment, so a spec can never point outside it. */
export function parseSecretFile(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return { ok: false, message: `must be a file name, got ${typeName(v)}` };
  if (!SECRET_FILE.test(v)) return { ok: false, message: `bad file name "${v}": must be one file under ${SECRETS_DIR} matching ${SECRET_FILE.source}` };
  return { ok: true, value: v };
}

export function parseSecretEnv(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return { ok: false, message: `must be an environment variable name, got ${typeName(v)}` };
  if (!ENV_KEY.test(v)) return { ok: false, message: `bad env name "${v}": must match ${ENV_KEY.source}` };
  return { ok: true, value: v };
}

/** Reads one item of the list at `path`; undefined when it has a problem (already recorded). */
export type SecretItemReader = (item: unknown, path: string) => SecretRef | undefined;

/**
 * The list at `path`, each item read by `readItem`, then what holds across items: at most
 * SECRET_LIMITS.perApp of them, no file and no variable given twice (one would hide the other),
 * and no variable the app's own `env` (matrix.yaml) also sets. The same secret may appear twice,
 * e.g. once as a file and once as a variable. Duplicates are reported at the later item.
 */
export function readSecretRefs(
  v: unknown,
  path: string,
  what: string,
  readItem: SecretItemReader,
  c: Collector,
  appEnv: Record<string, string> = {},
): SecretRef[] {
  const list = readList(v, path, c, what);
  if (list.length > SECRET_LIMITS.perApp) {
    c.error(path, `must have at most ${SECRET_LIMITS.perApp} secrets, got ${list.length}`);
    return [];
  }
  const out: SecretRef[] = [];
  const files = new Set<string>();
  const envs = new Set<string>();
  list.forEach((item, i) => {
    const p = at(path, i);
    const ref = readItem(item, p);
    if (!ref) return;
    const before = c.problems.length;
    if (ref.file !== undefined && files.has(ref.file)) c.error(p, `file "${ref.file}" is given twice`);
    if (ref.env !== undefined && envs.has(ref.env)) c.error(p, `env "${ref.env}" is given twice`);
    if (ref.env !== undefined && Object.hasOwn(appEnv, ref.env))
      c.error(p, `env "${ref.env}" is also set in the app's env: a variable has one value, remove one of them`);
    if (c.problems.length > before) return;
    if (ref.file !== undefined) files.add(ref.file);
    if (ref.env !== undefined) envs.add(ref.env);
    out.push(ref);
  });
  return out;
}
