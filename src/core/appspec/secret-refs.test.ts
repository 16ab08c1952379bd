import { describe, expect, it } from 'vitest';
import type { SecretRef } from '../model.ts';
import { SECRET_LIMITS } from '../secrets.ts';
import { Collector } from './fields.ts';
import { parseSecretEnv, parseSecretFile, parseSecretName, readSecretRefs } from './secret-refs.ts';

describe('secret value parsers', () => {
  it.each(['db-password', 'a', 'API_KEY', 'tls.pem', `a${'b'.repeat(62)}c`])('name and file %j are fine', (v) => {
    expect(parseSecretName(v)).toEqual({ ok: true, value: v });
    expect(parseSecretFile(v)).toEqual({ ok: true, value: v });
  });

  it.each(['', '.', '..', '-a', 'a-', 'a/b', '../x', 'a b', `a${'b'.repeat(63)}c`])('name and file %j are refused', (v) => {
    expect(parseSecretName(v)).toMatchObject({ ok: false, message: expect.stringMatching(/^bad secret name /) });
    expect(parseSecretFile(v)).toEqual({
      ok: false,
      message: `bad file name "${v}": must be one file under /run/secrets matching ^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?$`,
    });
  });

  it('non-strings name their type', () => {
    expect(parseSecretName(1)).toEqual({ ok: false, message: 'must be a secret name, got a number' });
    expect(parseSecretFile(null)).toEqual({ ok: false, message: 'must be a file name, got nothing' });
    expect(parseSecretEnv([])).toEqual({ ok: false, message: 'must be an environment variable name, got a list' });
  });

  it('env names follow the env key rule', () => {
    expect(parseSecretEnv('_A1')).toEqual({ ok: true, value: '_A1' });
    expect(parseSecretEnv('1A')).toEqual({ ok: false, message: 'bad env name "1A": must match ^[A-Za-z_][A-Za-z0-9_]*$' });
    expect(parseSecretEnv('A-B')).toEqual({ ok: false, message: 'bad env name "A-B": must match ^[A-Za-z_][A-Za-z0-9_]*$' });
  });
});

describe('readSecretRefs: the rules across items', () => {
  /** Items are refs already (or null for "this item had a problem"), so only the list rules are tested. */
  const read = (v: unknown, appEnv?: Record<string, string>): { refs: SecretRef[]; problems: [string | undefined, string][] } => {
    const c = new Collector('t.yaml');
    const refs = readSecretRefs(v, 'apps.web.secrets', 'secrets', (item) => (item === null ? undefined : (item as SecretRef)), c, appEnv);
    return { refs, problems: c.problems.map((p) => [p.path, p.message]) };
  };

  it('keeps the order; the same secret as a file and as a variable is fine', () => {
    const items = [{ name: 'b', file: 'b' }, { name: 'a', env: 'A' }, { name: 'b', env: 'B' }, null];
    expect(read(items)).toEqual({ refs: items.slice(0, 3), problems: [] });
  });

  it('not a list', () => {
    expect(read('x')).toEqual({ refs: [], problems: [['apps.web.secrets', 'must be a list of secrets']] });
  });

  it('a file or a variable given twice, at the later item; both at once', () => {
    expect(
      read([
        { name: 'a', file: 'x' },
        { name: 'b', file: 'x' },
        { name: 'c', file: 'x', env: 'X' },
        { name: 'd', env: 'X' },
      ]).problems,
    ).toEqual([
      ['apps.web.secrets[1]', 'file "x" is given twice'],
      ['apps.web.secrets[2]', 'file "x" is given twice'],
      // item 2 was refused, so its X does not count against item 3
    ]);
    expect(
      read([
        { name: 'a', env: 'X' },
        { name: 'b', file: 'a', env: 'X' },
        { name: 'c', file: 'a' },
      ]).problems,
    ).toEqual([['apps.web.secrets[1]', 'env "X" is given twice']]);
    expect(
      read([
        { name: 'a', file: 'f', env: 'X' },
        { name: 'b', file: 'f', env: 'X' },
      ]).problems,
    ).toEqual([
      ['apps.web.secrets[1]', 'file "f" is given twice'],
      ['apps.web.secrets[1]', 'env "X" is given twice'],
    ]);
  });

  it("a variable the app's env also sets", () => {
    expect(read([{ name: 'a', env: 'PW' }], { PW: 'x', OTHER: 'y' }).problems).toEqual([
      ['apps.web.secrets[0]', 'env "PW" is also set in the app\'s env: a variable has one value, remove one of them'],
    ]);
  });

  it(`at most ${SECRET_LIMITS.perApp} per app`, () => {
    const refs = (n: number): SecretRef[] => Array.from({ length: n }, (_, i) => ({ name: `s${i}`, file: `s${i}` }));
    expect(read(refs(SECRET_LIMITS.perApp)).refs).toHaveLength(SECRET_LIMITS.perApp);
    expect(read(refs(SECRET_LIMITS.perApp + 1))).toEqual({
      refs: [],
      problems: [['apps.web.secrets', `must have at most ${SECRET_LIMITS.perApp} secrets, got ${SECRET_LIMITS.perApp + 1}`]],
    });
  });
});
