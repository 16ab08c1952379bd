import { describe, expect, it } from 'vitest';
import { MatrixError } from '../errors.ts';
import {
  at,
  Collector,
  findCycles,
  parseCpus,
  parseDuration,
  parseInteger,
  parseMemoryMb,
  parseReplicas,
  readEnv,
  readYaml,
  suggestKey,
  unknownKeyMessage,
} from './fields.ts';

function thrown(f: () => unknown): MatrixError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MatrixError);
    return e as MatrixError;
  }
  throw new Error('did not throw');
}

describe('at', () => {
  it('joins keys with dots and indexes with brackets', () => {
    expect(at('', 'apps')).toBe('apps');
    expect(at('apps', 'web')).toBe('apps.web');
    expect(at(at(at('apps', 'web'), 'constraints'), 1)).toBe('apps.web.constraints[1]');
  });
});

describe('readYaml', () => {
  it('parses a mapping and allows merge keys', () => {
    expect(readYaml('x: &d {a: 1}\ny:\n  <<: *d\n  b: 2\n', 'f.yaml')).toEqual({ x: { a: 1 }, y: { a: 1, b: 2 } });
  });

  it('reports syntax errors at <file>:<line>, all of them', () => {
    const e = thrown(() => readYaml('apps:\n  web:\n    image: x\n   bad\n', 'm.yaml'));
    expect(e.code).toBe('E_SPEC_INVALID');
    expect(e.message).toBe('2 problems in m.yaml');
    expect(e.details?.map((d) => d.path)).toEqual(['m.yaml:4', 'm.yaml:4']);
    expect(e.details?.[0]?.message).toMatch(/^YAML syntax: .+ \(column \d+\)$/);
  });

  it('refuses duplicate keys (a silent override would hide a mistake)', () => {
    const e = thrown(() => readYaml('a: 1\nb: 2\na: 3\n', 'm.yaml'));
    expect(e.details?.[0]?.path).toBe('m.yaml:3');
    expect(e.details?.[0]?.message).toContain('map keys must be unique ("a" repeats)');
  });

  it('refuses a second document with a readable message', () => {
    const e = thrown(() => readYaml('a: 1\n---\nb: 2\n', 'm.yaml'));
    expect(e.details?.[0]?.path).toBe('m.yaml:2');
    expect(e.details?.[0]?.message).toContain('only one YAML document is allowed');
  });

  it('reports an unclosed quote and tabs used as indentation', () => {
    expect(thrown(() => readYaml("a: 'x\n", 'q.yaml')).details?.[0]?.path).toBe('q.yaml:2');
    expect(thrown(() => readYaml('a:\n\tb: 1\n', 't.yaml')).details?.[0]?.path).toMatch(/^t\.yaml:2$/);
  });

  it('stops alias bombs', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++)
      lines.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(', ')}]`,
      );
    const e = thrown(() => readYaml(lines.join('\n') + '\n', 'bomb.yaml'));
    expect(e.details?.[0]?.path).toBe('bomb.yaml');
  });
});

describe('key suggestions', () => {
  it.each([
    ['replica', 'replicas'],
    ['antiAffinity', 'anti_affinity'],
    ['dependson', 'depends_on'],
    ['imgae', 'image'],
    ['Restart', 'restart'],
  ])('%s -> %s', (typo, want) => {
    expect(suggestKey(typo, ['image', 'replicas', 'anti_affinity', 'depends_on', 'restart'])).toBe(want);
  });

  it('suggests nothing for an unrelated key', () => {
    expect(suggestKey('volumes', ['image', 'port'])).toBeUndefined();
    expect(unknownKeyMessage('volumes', ['image', 'port'])).toBe('unknown key "volumes"; allowed: image, port');
    expect(unknownKeyMessage('prot', ['image', 'port'])).toBe('unknown key "prot" (did you mean "port"?); allowed: image, port');
  });
});

describe('numbers', () => {
  it('integers in a range', () => {
    expect(parseInteger(5, 1, 10)).toEqual({ ok: true, value: 5 });
    for (const v of [0, 11, 1.5, '5', null, true]) expect(parseInteger(v, 1, 10)).toEqual({ ok: false, message: 'must be an integer in 1..10' });
  });

  it('replicas: 0..10000', () => {
    expect(parseReplicas(0)).toEqual({ ok: true, value: 0 });
    expect(parseReplicas(10000)).toEqual({ ok: true, value: 10000 });
    expect(parseReplicas(-1)).toEqual({ ok: false, message: 'must be an integer >= 0' });
    expect(parseReplicas(2.5)).toEqual({ ok: false, message: 'must be an integer >= 0' });
    expect(parseReplicas('3')).toEqual({ ok: false, message: 'must be an integer >= 0' });
    expect(parseReplicas(10001)).toEqual({ ok: false, message: 'must be <= 10000' });
  });

  it('cpus: numbers or numeric strings, > 0 and <= 1024', () => {
    expect(parseCpus(0.25)).toEqual({ ok: true, value: 0.25 });
    expect(parseCpus('0.5')).toEqual({ ok: true, value: 0.5 });
    expect(parseCpus(1024)).toEqual({ ok: true, value: 1024 });
    for (const v of [0, -1, 1024.5, 'half', '', null, '1e3']) expect(parseCpus(v).ok).toBe(false);
  });
});

describe('parseDuration', () => {
  it.each([
    [1, 1],
    [0.5, 0.5],
    ['500ms', 0.5],
    ['1s', 1],
    ['1.5s', 1.5],
    ['2m', 120],
    ['1h', 3600],
    ['1m30s', 90],
    ['100ms', 0.1],
    [' 2s ', 2],
  ])('%j -> %d s', (v, s) => {
    expect(parseDuration(v)).toEqual({ ok: true, value: s });
  });

  it.each([0, -1, '0s', '1', '1 s', '1sec', 's', '1d', '', null, true, '-1s', Infinity])('refuses %j', (v) => {
    const r = parseDuration(v);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toBe('must be a duration > 0: a number of seconds or a string like 500ms, 1s, 2m, 1m30s');
  });
});

describe('parseMemoryMb', () => {
  it.each([
    ['64M', 64],
    ['64m', 64],
    ['64Mi', 64],
    ['64MB', 64],
    ['64MiB', 64],
    ['1G', 1024],
    ['1Gi', 1024],
    ['1.5G', 1536],
    ['512K', 1],
    ['2048Ki', 2],
    ['1T', 1024 * 1024],
    ['16T', 16 * 1024 * 1024],
    ['1048576B', 1],
    ['1 G', 1024],
  ])('%s -> %d MiB', (v, mb) => {
    expect(parseMemoryMb(v, 'mb')).toEqual({ ok: true, value: mb });
    expect(parseMemoryMb(v, 'b')).toEqual({ ok: true, value: mb });
  });

  it('a bare number is MiB in matrix.yaml and bytes in compose', () => {
    expect(parseMemoryMb(64, 'mb')).toEqual({ ok: true, value: 64 });
    expect(parseMemoryMb('64', 'mb')).toEqual({ ok: true, value: 64 });
    expect(parseMemoryMb(67108864, 'b')).toEqual({ ok: true, value: 64 });
    expect(parseMemoryMb('67108864', 'b')).toEqual({ ok: true, value: 64 });
    expect(parseMemoryMb(1000, 'b')).toEqual({ ok: true, value: 1 }); // rounded up
  });

  it('refuses nonsense, zero and more than 16T', () => {
    for (const v of ['64X', 'M', '', '-1M', '0M', 0, -5, null, [], '1.2.3G', '64 MBytes']) {
      const r = parseMemoryMb(v, 'mb');
      expect(r.ok, String(v)).toBe(false);
      if (!r.ok) expect(r.message).toBe('must be a memory size > 0 like 64M, 512Mi, 1G (a plain number is MiB)');
    }
    expect(parseMemoryMb('17T', 'mb')).toEqual({ ok: false, message: 'must be <= 16T' });
    expect(parseMemoryMb(16 * 1024 * 1024 + 1, 'mb')).toEqual({ ok: false, message: 'must be <= 16T' });
  });
});

describe('readEnv', () => {
  it('reads a mapping, stringifying numbers and booleans', () => {
    const c = new Collector('f');
    expect(readEnv({ A: 'x', B: 1, C: true, D: '' }, 'env', c, 'error')).toEqual({ A: 'x', B: '1', C: 'true', D: '' });
    expect(c.problems).toEqual([]);
  });

  it('reads a list of KEY=value; the first = splits', () => {
    const c = new Collector('f');
    expect(readEnv(['A=x', 'B=a=b', 'C='], 'env', c, 'error')).toEqual({ A: 'x', B: 'a=b', C: '' });
    expect(c.problems).toEqual([]);
  });

  it('reports bad keys, duplicates, bad values and bad shapes with their paths', () => {
    const c = new Collector('f');
    readEnv(['1A=x', 'A=1', 'A=2', 3, '=x'], 'env', c, 'error');
    readEnv({ 'A-B': 'x', C: [1], D: null }, 'env2', c, 'error');
    readEnv('A=1', 'env3', c, 'error');
    expect(c.problems.map((p) => [p.path, p.message])).toEqual([
      ['env[0]', 'bad env key "1A": must match ^[A-Za-z_][A-Za-z0-9_]*$'],
      ['env[2]', 'env key "A" is set twice'],
      ['env[3]', 'must be a string "KEY=value"'],
      ['env[4]', 'bad env key "": must match ^[A-Za-z_][A-Za-z0-9_]*$'],
      ['env2.A-B', 'bad env key "A-B": must match ^[A-Za-z_][A-Za-z0-9_]*$'],
      ['env2.C', 'must be a string, number or boolean'],
      ['env2.D', '"D" has no value: a value taken from the shell is not supported'],
      ['env3', 'must be a mapping of KEY: value or a list of "KEY=value"'],
    ]);
  });

  it('a key without value is a warning when asked (compose)', () => {
    const c = new Collector('f');
    expect(readEnv(['A', 'B=1'], 'environment', c, 'warn')).toEqual({ B: '1' });
    expect(c.problems).toEqual([]);
    expect(c.warnings).toEqual([{ path: 'environment[0]', message: '"A" has no value: a value taken from the shell is not supported; ignored' }]);
  });
});

describe('findCycles', () => {
  const g = (o: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(o));

  it('finds none in a DAG, ignores self loops and unknown names', () => {
    expect(findCycles(g({ a: ['b', 'c'], b: ['c'], c: [], d: ['d', 'zz'] }))).toEqual([]);
  });

  it('reports each cycle once, from its smallest name', () => {
    expect(findCycles(g({ c: ['a'], a: ['b'], b: ['c'] }))).toEqual([['a', 'b', 'c', 'a']]);
    expect(findCycles(g({ a: ['b'], b: ['a'], x: ['y'], y: ['x'], z: ['a'] }))).toEqual([
      ['a', 'b', 'a'],
      ['x', 'y', 'x'],
    ]);
  });
});
