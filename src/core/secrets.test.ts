import { describe, expect, it } from 'vitest';
import { appSpec } from './app-spec.ts';
import { appRevision } from './app-revision.ts';
import { appsToDesired } from './reconcile/apps-to-desired.ts';
import { appsUsingSecret, secretsDirConflicts, checkSecretName, checkSecretValue, SECRET_LIMITS, stampSecretVersions, withSecretVersion } from './secrets.ts';

const web = appSpec({
  name: 'web',
  image: 'cloud/web',
  port: 8080,
  secrets: [
    { name: 'db', file: 'db' },
    { name: 'smtp', env: 'SMTP' },
  ],
});
const api = appSpec({ name: 'api', image: 'cloud/api', port: 8080, secrets: [{ name: 'db', file: 'password' }] });
const plain = appSpec({ name: 'plain', image: 'cloud/plain', port: 8080 });

describe('secret names and values', () => {
  it.each(['db', 'db-password', 'tls.key', 'A_1', 'a'.repeat(64), '0'])('accepts %s', (n) => expect(checkSecretName(n)).toBeUndefined());
  it.each(['', '-db', 'db-', '.', '..', 'a/b', 'a b', 'ä', 'a'.repeat(65), 'x\n'])('refuses %j', (n) => expect(checkSecretName(n)).toMatch(/bad secret name/));
  it('shortens a huge bad name in the message', () => expect(checkSecretName('/'.repeat(10_000))!.length).toBeLessThan(300));
  it('refuses empty and oversized values, accepts the limit', () => {
    expect(checkSecretValue(0)).toMatch(/empty/);
    expect(checkSecretValue(SECRET_LIMITS.valueBytes)).toBeUndefined();
    expect(checkSecretValue(SECRET_LIMITS.valueBytes + 1)).toMatch(/limit is 524288/);
  });
});

describe('apps and their secrets', () => {
  it('finds the apps that receive a secret, sorted', () => {
    expect(appsUsingSecret([web, api, plain], 'db')).toEqual(['api', 'web']);
    expect(appsUsingSecret([web, api, plain], 'smtp')).toEqual(['web']);
    expect(appsUsingSecret([web, api, plain], 'other')).toEqual([]);
  });

  it('stamps the store versions and reports the secrets that do not exist, with their index', () => {
    const r = stampSecretVersions([web, api, plain], (n) => (n === 'db' ? 3 : undefined));
    expect(r.apps[0]!.secrets).toEqual([
      { name: 'db', file: 'db', version: 3 },
      { name: 'smtp', env: 'SMTP' },
    ]);
    expect(r.apps[1]!.secrets).toEqual([{ name: 'db', file: 'password', version: 3 }]);
    expect(r.apps[2]).toBe(plain);
    expect(r.missing).toEqual([{ app: 'web', index: 1, name: 'smtp' }]);
  });

  it('moves only the apps that use a secret to its new version', () => {
    const [w, a, p] = withSecretVersion([web, api, plain], 'smtp', 7);
    expect(w!.secrets!.map((s) => s.version)).toEqual([undefined, 7]);
    expect(a).toBe(api);
    expect(p).toBe(plain);
  });

  it('a new secret version, file or env name is a new revision; an app without secrets keeps its revision', () => {
    const base = appRevision(web);
    expect(appRevision(withSecretVersion([web], 'db', 2)[0]!)).not.toBe(base);
    expect(appRevision({ ...web, secrets: [{ name: 'db', file: 'other' }, web.secrets![1]!] })).not.toBe(base);
    expect(appRevision({ ...web, secrets: [web.secrets![0]!, { name: 'smtp', env: 'MAIL' }] })).not.toBe(base);
    // no secrets and an empty list are the same revision, the one apps had before secrets existed
    expect(appRevision({ ...plain, secrets: [] })).toBe(appRevision(plain));
    expect(appRevision(plain)).toBe('81dd523f4bc8'); // computed by the code before secrets existed
  });

  it('desired replicas carry the references (never values)', () => {
    const [r] = appsToDesired([web], [{ app: 'web', slot: 0, node: 'n1', hostPort: null }], 'reg:5000');
    expect(r!.secrets).toEqual(web.secrets);
    const [p] = appsToDesired([plain], [{ app: 'plain', slot: 0, node: 'n1', hostPort: null }], 'reg:5000');
    expect(p).not.toHaveProperty('secrets');
  });
});

describe('secret files and node paths', () => {
  it('refuses a node path mounted over the secret files, not elsewhere and not for apps without file secrets', () => {
    const bind = (target: string) => ({ host: { binds: [{ source: '/srv/x', target, readOnly: true }] } });
    expect(secretsDirConflicts([{ ...web, ...bind('/run/secrets') }]).map((e) => [e.code, e.path])).toEqual([['E_SPEC_INVALID', 'apps.web.host.volumes']]);
    expect(secretsDirConflicts([{ ...web, ...bind('/run/secrets/db') }])).toHaveLength(1);
    expect(
      secretsDirConflicts([
        { ...web, ...bind('/run/secretsX') },
        { ...web, ...bind('/data') },
      ]),
    ).toEqual([]);
    const envOnly = { ...web, secrets: [{ name: 'smtp', env: 'SMTP' }], ...bind('/run/secrets') };
    expect(secretsDirConflicts([envOnly, { ...plain, ...bind('/run/secrets') }])).toEqual([]);
  });
});
