import { describe, expect, it } from 'vitest';
import { checkSpecText, nestingTooDeep, SPEC_LIMITS } from './limits.ts';
import { loadSpec } from './load-spec.ts';
import { readYaml } from './fields.ts';
import { parsePlan } from './plan.ts';

const code = (f: () => unknown) => {
  try {
    f();
    return 'none';
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('spec limits, before any parser runs', () => {
  it('refuses deep flow nesting that kills the YAML parser, quickly', () => {
    const t = Date.now();
    expect(code(() => loadSpec('['.repeat(20_000), 'deep.yaml'))).toBe('E_INPUT_TOO_DEEP');
    expect(code(() => loadSpec(`apps: ${'{a: '.repeat(40)}`, 'deep.yaml'))).toBe('E_INPUT_TOO_DEEP');
    expect(Date.now() - t).toBeLessThan(5_000); // a gross bound only: without the check the process dies
    // brackets in quotes and comments do not count
    expect(nestingTooDeep(`a: "${'['.repeat(100)}"\nb: '${'{'.repeat(100)}' # ${'['.repeat(100)}\n`, 32)).toBe(0);
    expect(nestingTooDeep('a: [[[1]]]\n', 32)).toBe(0);
  });

  it('refuses deep block nesting and nested sequences on one line, naming the line', () => {
    const block = Array.from({ length: 40 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    expect(nestingTooDeep(block, 32)).toBe(33);
    expect(nestingTooDeep(`a:\n${'- '.repeat(40)}x\n`, 32)).toBe(2);
    expect(nestingTooDeep('apps:\n  web:\n    health: { path: / }\n  api:\n    image: x\n', 32)).toBe(0);
  });

  it('refuses too many bytes and lines with their own codes, for every format', () => {
    expect(code(() => checkSpecText('#'.repeat(SPEC_LIMITS.bytes + 1), 'a.plan'))).toBe('E_INPUT_TOO_LARGE');
    expect(code(() => checkSpecText('é'.repeat(SPEC_LIMITS.bytes / 2 + 1), 'a.plan'))).toBe('E_INPUT_TOO_LARGE'); // bytes, not characters
    expect(code(() => loadSpec('x node1 1 2\n'.repeat(20_000), 'applications.plan'))).toBe('E_INPUT_TOO_MANY_LINES');
    expect(code(() => checkSpecText('\n'.repeat(SPEC_LIMITS.lines - 1), 'a.plan'))).toBe('none');
  });

  it('counts keys in linear time and refuses more than the limit', () => {
    const many = 'apps:\n  web:\n' + Array.from({ length: 9_000 }, (_, i) => `    k${i}: 1\n`).join('');
    expect(code(() => readYaml(many, 'm.yaml'))).toBe('none');
    const flat = '{' + Array.from({ length: SPEC_LIMITS.keys + 1 }, (_, i) => `k${i}: 1`).join(', ') + '}';
    expect(code(() => readYaml(flat, 'm.yaml'))).toBe('E_INPUT_TOO_MANY_KEYS');
  });

  it('lists at most 100 problems, and says how many there are', () => {
    const bad = 'bad line\n'.repeat(5_000);
    try {
      parsePlan(bad, 'big.plan');
      expect.unreachable();
    } catch (e) {
      const m = e as { message: string; details: unknown[] };
      expect(m.details).toHaveLength(SPEC_LIMITS.problems);
      expect(m.message).toBe('5000 problems in big.plan (the first 100 are listed)');
    }
  });
});
