/**
 * Property-based: every spec format, fed 10,000 generated inputs each (structured specs with
 * random values, YAML-shaped noise, plan-shaped lines), either parses into apps that carry
 * through planning and VCL rendering, or is refused with a MatrixError whose code (and every
 * detail's code) is a known one. Nothing else may happen: no other exception, no hang.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, isMatrixError, type MatrixError } from '../errors.ts';
import { parsePlanRender } from './test-pipeline.ts';

const RUNS = 10_000;
const counts: Record<string, { accepted: number; refused: number; slowestMs: number }> = {};

function knownCodes(e: MatrixError): boolean {
  return e.code in ERROR_CODES && (e.details ?? []).every(knownCodes);
}

/** One input through the whole pure pipeline; records what happened. */
function check(kind: string, text: string, file: string): void {
  const c = (counts[kind] ??= { accepted: 0, refused: 0, slowestMs: 0 });
  const t = performance.now();
  try {
    parsePlanRender(text, file);
    c.accepted++;
  } catch (e) {
    if (!isMatrixError(e) || !knownCodes(e)) throw new Error(`${kind}: ${file} gave ${String(e)} for ${JSON.stringify(text).slice(0, 300)}`, { cause: e });
    c.refused++;
  } finally {
    c.slowestMs = Math.max(c.slowestMs, performance.now() - t);
  }
}

const name = fc.oneof(fc.constantFrom('web', 'api', 'db', 'a-b', 'x'), fc.string({ maxLength: 12 }));
const scalar = fc.oneof(
  fc.integer({ min: -5, max: 70_000 }),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('1s', '10ms', '0', '-1', '64M', '/healthz', 'zone==a', 'node!=node2', 'cloud/web', 'start-first'),
);
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 4 }));
// secret names that repeat across items (duplicates) and match top-level Compose declarations
const secretName = fc.oneof(
  { arbitrary: fc.constantFrom('db', 'api-key', 'tls.pem'), weight: 4 },
  { arbitrary: fc.constantFrom('/run/secrets/db', '../x'), weight: 1 },
  { arbitrary: scalar, weight: 1 },
);
const secretEnv = fc.oneof(fc.constantFrom('PW', 'KEY', '1X'), scalar);
const appFields = fc.record(
  {
    image: fc.oneof(fc.constantFrom('cloud/web', 'cloud/api:v2', 'evil.example.com/x', ''), scalar),
    replicas: fc.oneof(fc.integer({ min: -1, max: 50 }), scalar),
    port: fc.oneof(fc.integer({ min: 0, max: 70_000 }), scalar),
    publish: value,
    health: fc.oneof(
      fc.constant('/'),
      fc.record({ path: fc.oneof(fc.constant('/h'), scalar), interval: scalar, timeout: scalar, threshold: scalar, window: scalar }, { requiredKeys: [] }),
    ),
    resources: fc.record({ cpus: scalar, memory: scalar }, { requiredKeys: [] }),
    constraints: fc.array(scalar, { maxLength: 3 }),
    affinity: fc.array(name, { maxLength: 2 }),
    anti_affinity: fc.array(name, { maxLength: 2 }),
    depends_on: fc.array(name, { maxLength: 2 }),
    env: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 3 }), fc.dictionary(secretEnv.map(String), scalar, { maxKeys: 2 })),
    secrets: fc.oneof(
      value,
      fc.array(fc.oneof(secretName, fc.record({ name: secretName, file: secretName, env: secretEnv, version: scalar }, { requiredKeys: [] })), {
        maxLength: 4,
      }),
    ),
    restart: scalar,
    strategy: scalar,
    update: fc.record({ parallelism: scalar, delay: scalar, order: scalar, drain: scalar, monitor: scalar }, { requiredKeys: [] }),
    extra: value,
  },
  { requiredKeys: [] },
);
const yamlNoise = fc.string({ unit: fc.constantFrom(...'abc:- \n\t[]{},#\'"|>&*!%@?0123456789.'.split('')), maxLength: 400 });

describe('fuzzing the spec parsers', { timeout: 120_000 }, () => {
  it(`matrix.yaml: ${RUNS} structured specs`, () => {
    fc.assert(
      fc.property(fc.option(name), fc.dictionary(name, appFields, { maxKeys: 4 }), fc.option(scalar), (project, apps, strategy) => {
        check('matrix.yaml', stringify({ ...(project !== null ? { name: project } : {}), apps, ...(strategy !== null ? { strategy } : {}) }), 'matrix.yaml');
      }),
      { numRuns: RUNS },
    );
  });

  it(`compose: ${RUNS} structured files`, () => {
    const service = fc.record(
      {
        image: scalar,
        ports: fc.array(fc.oneof(scalar, fc.constantFrom('5050:8080', '8080/tcp', '0.0.0.0:80:8080')), { maxLength: 2 }),
        environment: fc.oneof(fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 3 })),
        deploy: fc.record({ replicas: scalar, resources: value, placement: value, restart_policy: value }, { requiredKeys: [] }),
        depends_on: fc.array(name, { maxLength: 2 }),
        privileged: fc.boolean(),
        volumes: value,
        healthcheck: value,
        secrets: fc.oneof(
          value,
          fc.array(fc.oneof(secretName, fc.record({ source: secretName, target: secretName, mode: scalar, uid: scalar }, { requiredKeys: [] })), {
            maxLength: 4,
          }),
        ),
      },
      { requiredKeys: [] },
    );
    const secretDecl = fc.oneof(
      value,
      { arbitrary: fc.constant({ external: true }), weight: 4 },
      fc.record({ name: secretName }),
      fc.record({ external: fc.oneof(fc.boolean(), scalar), name: secretName, file: scalar, environment: scalar }, { requiredKeys: [] }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(name, service, { maxKeys: 4 }),
        fc.option(value),
        fc.option(fc.oneof(value, fc.dictionary(secretName.map(String), secretDecl, { maxKeys: 3 }))),
        (services, x, secrets) => {
          check('compose', stringify({ services, ...(x !== null ? { networks: x } : {}), ...(secrets !== null ? { secrets } : {}) }), 'compose.yaml');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`plan files: ${RUNS} generated plans`, () => {
    const token = fc.oneof(
      fc.constantFrom('simplewebapp1', 'node1', 'node2', 'node9', '5050', '8080', '70000', '0', '#', '-', 'x'),
      fc.string({ maxLength: 8 }),
    );
    const line = fc.array(token, { maxLength: 6 }).map((t) => t.join(fc.sample(fc.constantFrom(' ', '\t', '  '), 1)[0]));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => check('plan', lines.join('\n'), 'applications.plan')),
      { numRuns: RUNS },
    );
  });

  it(`YAML-shaped noise: ${RUNS} inputs, under both file kinds`, () => {
    fc.assert(
      fc.property(yamlNoise, fc.constantFrom('m.yaml', 'x.plan', 'compose.yml', 'spec'), (text, file) => check('noise', text, file)),
      { numRuns: RUNS },
    );
  });

  afterAll(() => {
    // the counts go into the issue note: how many inputs, how many accepted, the slowest
    console.log(`spec fuzz: ${JSON.stringify(counts)}`);
    for (const c of Object.values(counts)) expect(c.accepted + c.refused).toBeGreaterThanOrEqual(RUNS);
  });
});
