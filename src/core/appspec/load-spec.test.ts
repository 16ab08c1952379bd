import { describe, expect, it } from 'vitest';
import { MatrixError } from '../errors.ts';
import { detectKind, loadSpec } from './load-spec.ts';

const PLAN = '#app node ext int\nsimplewebapp1 node25 5050 8080\nsimplewebapp1 node108 5050 8080\n';
const MATRIX = 'strategy: binpack\napps:\n  web: { image: cloud/x, port: 8080 }\n';
const COMPOSE = 'services:\n  web:\n    image: cloud/x\n    ports: ["5050:8080"]\n    volumes: [data:/data]\n';

function fail(text: string, file: string): MatrixError {
  try {
    loadSpec(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(MatrixError);
    return e as MatrixError;
  }
  throw new Error('loadSpec did not throw');
}

describe('detectKind', () => {
  it.each([
    [PLAN, 'applications.plan', 'plan'],
    [PLAN, 'plan.txt', 'plan'],
    [PLAN, '-', 'plan'],
    ['', 'applications.plan', 'plan'],
    ['', 'stdin', 'plan'],
    [MATRIX, 'matrix.yaml', 'matrix'],
    [MATRIX, 'spec', 'matrix'],
    [MATRIX, 'weird.plan', 'plan'], // the name says plan: plan errors follow
    [COMPOSE, 'docker-compose.yml', 'compose'],
    [COMPOSE, 'compose', 'compose'],
    ['# a comment\nversion: "3"\nservices: {}\n', 'x', 'compose'],
    ['{"apps": {}}', 'spec.json', 'matrix'],
    ['{ "services": {} }', 'stdin', 'compose'],
    ['apps:\n  web: [broken\n', 'stdin', 'matrix'], // a YAML error is reported as one, not as plan lines
    ['apps: 1\nservices: 2\n', 'x.yaml', 'matrix'],
    ['services: 1\napps: 2\n', 'x.yaml', 'compose'],
  ])('%j named %s is %s', (text, file, kind) => {
    expect(detectKind(text, file)).toBe(kind);
  });
});

describe('loadSpec', () => {
  it('plan: lines and pinned apps, no warnings', () => {
    const s = loadSpec(PLAN, 'applications.plan');
    expect(s.kind).toBe('plan');
    expect(s.warnings).toEqual([]);
    expect(s.lines?.map((l) => l.line)).toEqual([2, 3]);
    expect(s.apps.map((a) => [a.name, a.replicas, a.pins?.map((p) => p.node), a.source])).toEqual([
      ['simplewebapp1', 2, ['node25', 'node108'], 'applications.plan:2'],
    ]);
    expect(s.strategy).toBeUndefined();
  });

  it('matrix: apps and strategy', () => {
    const s = loadSpec(MATRIX, 'matrix.yaml');
    expect(s.kind).toBe('matrix');
    expect(s.strategy).toBe('binpack');
    expect(s.apps.map((a) => a.source)).toEqual(['matrix.yaml#apps.web']);
    expect(s.warnings).toEqual([]);
    expect(s.lines).toBeUndefined();
  });

  it('compose: apps and warnings', () => {
    const s = loadSpec(COMPOSE, 'docker-compose.yml');
    expect(s.kind).toBe('compose');
    expect(s.apps.map((a) => [a.name, a.port, a.publish, a.source])).toEqual([['web', 8080, 5050, 'docker-compose.yml#services.web']]);
    expect(s.apps[0]?.volumes).toEqual([{ name: 'data', target: '/data', readOnly: false }]);
    expect(s.warnings).toEqual([]);
  });

  it('an unresolved alias is a spec error, not a crash (found by fuzzing)', () => {
    for (const file of ['m.yaml', 'spec']) {
      try {
        loadSpec('*a', file);
        expect.unreachable(file);
      } catch (e) {
        expect((e as MatrixError).code, file).toMatch(/^E_(SPEC_INVALID|PLAN_SYNTAX)$/);
      }
    }
  });

  it('reads the project name of matrix.yaml and compose files, with its path when bad', () => {
    expect(loadSpec('name: shop\napps:\n  web: { image: cloud/web, port: 8080 }\n', 'm.yaml').name).toBe('shop');
    expect(loadSpec('name: shop-2\nservices:\n  web: { image: cloud/web, ports: ["8080"] }\n', 'compose.yaml').name).toBe('shop-2');
    expect(loadSpec('apps:\n  web: { image: cloud/web, port: 8080 }\n', 'm.yaml').name).toBeUndefined();
    for (const bad of ['Shop', '"-x"', '[a]', '""']) {
      try {
        loadSpec(`name: ${bad}\napps:\n  web: { image: cloud/web, port: 8080 }\n`, 'm.yaml');
        expect.unreachable(bad);
      } catch (e) {
        expect((e as MatrixError).details?.[0]).toMatchObject({ code: 'E_SPEC_INVALID', path: 'name' });
      }
    }
  });

  it("passes on each parser's errors", () => {
    expect(fail('web node1 80\n', 'applications.plan').code).toBe('E_PLAN_SYNTAX');
    expect(fail('apps:\n  web: { image: x }\n', 'matrix.yaml').details?.[0]?.path).toBe('apps.web.port');
    expect(fail('services:\n  web: { image: x }\n', 'c.yml').details?.[0]?.path).toBe('services.web.ports');
    const y = fail('apps:\n  web: [broken\n', 'stdin');
    expect(y.code).toBe('E_SPEC_INVALID');
    expect(y.details?.[0]?.path).toMatch(/^stdin:\d+$/);
  });

  it('a .yaml file without apps or services is an error, not a plan', () => {
    const e = fail('foo: 1\n', 'matrix.yaml');
    expect(e.code).toBe('E_SPEC_INVALID');
    expect(e.details?.map((d) => [d.path, d.message])).toEqual([
      ['matrix.yaml', 'a YAML spec needs a top-level `apps:` mapping (matrix.yaml) or `services:` mapping (compose file)'],
    ]);
    expect(fail('', 'empty.yml').details?.[0]?.path).toBe('empty.yml');
    // and a .yaml with broken YAML reports the YAML error
    expect(fail('a: [1\n', 'm.yaml').details?.[0]?.path).toMatch(/^m\.yaml:\d+$/);
  });
});
