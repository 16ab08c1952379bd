/**
 * Pure: what a secret may be called and hold, and how apps refer to it. Values never pass
 * through here; an app spec carries only names, file names, env names and the store's version
 * (so that rotating a secret is a new revision, rolled out like any other change).
 */
import type { AppSpec, SecretRef } from './model.ts';
import { MatrixError } from './errors.ts';
import { hostFieldPath } from './policy.ts';

/** Docker's own rule for secret names: letters, digits, `-`, `_`, `.`, alphanumeric at both ends, at most 64. */
export const SECRET_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?$/;
/** A file under SECRETS_DIR: one path segment with the same characters (no `/`, never `.` or `..`). */
export const SECRET_FILE = SECRET_NAME;
/** Where file secrets appear in a container: a read-only tmpfs, never a disk. */
export const SECRETS_DIR = '/run/secrets';

export const SECRET_LIMITS = {
  /** Swarm's limit is 500 KB: a secret is a password or a key, not a file store. */
  valueBytes: 512 * 1024,
  /** Secrets one app may receive. */
  perApp: 64,
  /** Secrets the cluster may hold. */
  total: 1000,
} as const;

/** Why a secret name is bad, or undefined when it is fine. */
export function checkSecretName(name: string): string | undefined {
  if (SECRET_NAME.test(name)) return undefined;
  return `bad secret name "${name.length > 80 ? `${name.slice(0, 80)}…` : name}": must match ${SECRET_NAME.source} (letters, digits, "-", "_", ".", at most 64, alphanumeric at both ends)`;
}

/** Why a secret value is bad, or undefined when it is fine. */
export function checkSecretValue(bytes: number): string | undefined {
  if (bytes === 0) return 'the secret is empty';
  if (bytes > SECRET_LIMITS.valueBytes) return `the secret is ${bytes} bytes; the limit is ${SECRET_LIMITS.valueBytes}`;
  return undefined;
}

/** Names of the apps that receive the secret, sorted. */
export function appsUsingSecret(apps: readonly AppSpec[], name: string): string[] {
  return apps
    .filter((a) => a.secrets?.some((s) => s.name === name))
    .map((a) => a.name)
    .sort();
}

export interface MissingSecret {
  app: string;
  /** Index in the app's `secrets:` list, for the path of the error. */
  index: number;
  name: string;
}

/**
 * Stamps each secret reference with the store's current version. References to secrets the
 * store does not have come back in `missing` (the deploy is refused: nothing to give the app).
 */
export function stampSecretVersions(apps: readonly AppSpec[], versionOf: (name: string) => number | undefined): { apps: AppSpec[]; missing: MissingSecret[] } {
  const missing: MissingSecret[] = [];
  const out = apps.map((a) => {
    if (!a.secrets?.length) return a;
    const secrets = a.secrets.map((s, index): SecretRef => {
      const version = versionOf(s.name);
      if (version === undefined) {
        missing.push({ app: a.name, index, name: s.name });
        return s;
      }
      return { ...s, version };
    });
    return { ...a, secrets };
  });
  return { apps: out, missing };
}

/** The apps with every reference to `name` at `version`; apps that do not use it are returned as they are. */
export function withSecretVersion(apps: readonly AppSpec[], name: string, version: number): AppSpec[] {
  return apps.map((a) => (a.secrets?.some((s) => s.name === name) ? { ...a, secrets: a.secrets.map((s) => (s.name === name ? { ...s, version } : s)) } : a));
}

/** A node path mounted at or under SECRETS_DIR would hide an app's secret files (or clash with their mount). */
export function secretsDirConflicts(apps: readonly AppSpec[]): MatrixError[] {
  return apps.flatMap((a) => {
    if (!a.secrets?.some((s) => s.file !== undefined)) return [];
    return (a.host?.binds ?? [])
      .filter((b) => b.target === SECRETS_DIR || b.target.startsWith(`${SECRETS_DIR}/`))
      .map(
        (b) =>
          new MatrixError('E_SPEC_INVALID', `${a.name} mounts ${b.source} at ${b.target}, where its secret files are (${SECRETS_DIR}): mount it elsewhere`, {
            path: hostFieldPath(a, 'volumes'),
          }),
      );
  });
}
