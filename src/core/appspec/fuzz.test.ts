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
// host access: good and bad values of each kind, joined as the short syntaxes join them
const joined = (...parts: fc.Arbitrary<string | null>[]): fc.Arbitrary<string> =>
  fc.tuple(...parts).map((p) => p.filter((x): x is string => x !== null).join(':'));
/** Mostly good values (so specs with host access get through), sometimes bad ones, sometimes anything. */
const mostly = <T>(good: fc.Arbitrary<T>, badOnes: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: badOnes, weight: 1 }, { arbitrary: scalar, weight: 1 });
const capability = mostly(fc.constantFrom('NET_ADMIN', 'CAP_SYS_TIME', 'net_raw', 'ALL'), fc.constantFrom('X', 'NET-ADMIN', 'CAP_'));
const devicePath = mostly(fc.constantFrom('/dev/fuse', '/dev/sda', '/dev/net/tun'), fc.constantFrom('/dev/../etc', '/etc/passwd', '/dev/', 'fuse', ''));
const device = fc.oneof(
  {
    arbitrary: joined(
      devicePath.map(String),
      fc.option(devicePath.map(String)),
      fc.option(mostly(fc.constantFrom('rwm', 'r', 'mr'), fc.constantFrom('rr', 'rwx', '')).map(String)),
    ),
    weight: 4,
  },
  { arbitrary: joined(devicePath.map(String), fc.constantFrom('rw', 'x')), weight: 1 },
  { arbitrary: scalar, weight: 1 },
);
const nodePath = mostly(fc.constantFrom('/srv/data', '/', '/var/log'), fc.constantFrom('./data', '~/x', '../x', '.', 'data', '/srv/../etc', ''));
const containerPath = mostly(fc.constantFrom('/data', '/host/log', '/srv/a'), fc.constantFrom('/', 'data', '/a/../b', ''));
const shortBind = fc.oneof(
  {
    arbitrary: joined(nodePath.map(String), containerPath.map(String), fc.option(mostly(fc.constantFrom('ro', 'rw'), fc.constant('z')).map(String))),
    weight: 4,
  },
  { arbitrary: fc.oneof(nodePath, scalar), weight: 1 },
);
const hostMode = fc.oneof({ arbitrary: fc.constant('host'), weight: 3 }, { arbitrary: scalar, weight: 1 });
const hostList = <T>(item: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.array(item, { maxLength: 3 }), weight: 4 }, { arbitrary: value, weight: 1 });
const hostBase = {
  privileged: fc.oneof({ arbitrary: fc.boolean(), weight: 4 }, { arbitrary: scalar, weight: 1 }),
  cap_add: hostList(capability),
  devices: hostList(device),
  pid: hostMode,
  ipc: hostMode,
};
/** matrix.yaml `host:` */
const hostFields = fc.record({ ...hostBase, network: hostMode, volumes: hostList(shortBind) }, { requiredKeys: [] });
/** The host-access keys of a Compose service (`userns_mode: host` and `security_opt` are always refused). */
const composeHost = {
  ...hostBase,
  network_mode: fc.oneof(hostMode, fc.constantFrom('bridge', 'none')),
  volumes: hostList(
    fc.oneof(
      shortBind,
      fc.constantFrom('data:/data', '/anonymous'),
      fc.record(
        {
          type: mostly(fc.constant('bind'), fc.constantFrom('volume', 'tmpfs')),
          source: nodePath,
          target: containerPath,
          read_only: mostly(fc.boolean(), fc.constant('yes')),
          bind: value,
        },
        { requiredKeys: [] },
      ),
    ),
  ),
};
const composeHostFields = fc.record(composeHost, { requiredKeys: [] });
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
    // random mappings (`value`) bring unknown keys
    host: fc.oneof({ arbitrary: hostFields, weight: 4 }, { arbitrary: value, weight: 1 }),
    extra: value,
  },
  { requiredKeys: [] },
);
/**
 * fc.assert in chunks of fresh seeds with a turn of the event loop between them: 10,000
 * synchronous runs in one go starve vitest's own worker RPC on a busy 2-core machine.
 */
async function assertInChunks(prop: Parameters<typeof fc.assert>[0], runs = RUNS, chunk = 500): Promise<void> {
  const seed = Math.floor(Math.random() * 2 ** 31);
  for (let done = 0; done < runs; done += chunk) {
    fc.assert(prop, { numRuns: Math.min(chunk, runs - done), seed: seed + done });
    await new Promise((r) => setImmediate(r));
  }
}

const yamlNoise = fc.string({ unit: fc.constantFrom(...'abc:- \n\t[]{},#\'"|>&*!%@?0123456789.'.split('')), maxLength: 400 });

describe('fuzzing the spec parsers', { timeout: 120_000 }, () => {
  it(`matrix.yaml: ${RUNS} structured specs`, async () => {
    await assertInChunks(
      fc.property(fc.option(name), fc.dictionary(name, appFields, { maxKeys: 4 }), fc.option(scalar), (project, apps, strategy) => {
        check('matrix.yaml', stringify({ ...(project !== null ? { name: project } : {}), apps, ...(strategy !== null ? { strategy } : {}) }), 'matrix.yaml');
      }),
    );
  });

  it(`compose: ${RUNS} structured files`, async () => {
    const service = fc.record(
      {
        image: scalar,
        ports: fc.array(fc.oneof(scalar, fc.constantFrom('5050:8080', '8080/tcp', '0.0.0.0:80:8080')), { maxLength: 2 }),
        environment: fc.oneof(fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 3 })),
        deploy: fc.record({ replicas: scalar, resources: value, placement: value, restart_policy: value }, { requiredKeys: [] }),
        depends_on: fc.array(name, { maxLength: 2 }),
        ...composeHost,
        userns_mode: fc.oneof(fc.constant('host'), scalar),
        security_opt: fc.oneof(fc.constant([]), value),
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
    await assertInChunks(
      fc.property(
        fc.dictionary(name, service, { maxKeys: 4 }),
        fc.option(value),
        fc.option(fc.oneof(value, fc.dictionary(secretName.map(String), secretDecl, { maxKeys: 3 }))),
        (services, x, secrets) => {
          check('compose', stringify({ services, ...(x !== null ? { networks: x } : {}), ...(secrets !== null ? { secrets } : {}) }), 'compose.yaml');
        },
      ),
    );
  });

  // the structured specs above rarely get an app with host access through (every other field must
  // be valid too): here one valid app carries the generated host keys, half of them each format
  it(`host access: ${RUNS} valid apps with generated host keys, matrix.yaml and compose`, async () => {
    const publish = fc.option(fc.constantFrom(8080, 5050));
    await assertInChunks(
      fc.property(fc.boolean(), hostFields, composeHostFields, publish, (compose, host, service, published) => {
        if (compose) {
          const ports = [published === null ? '8080' : `${published}:8080`];
          check('host', stringify({ services: { agent: { image: 'cloud/agent', ports, ...service } } }), 'compose.yaml');
        } else {
          check(
            'host',
            stringify({ apps: { agent: { image: 'cloud/agent', port: 8080, ...(published !== null ? { publish: published } : {}), host } } }),
            'matrix.yaml',
          );
        }
      }),
    );
  });

  it(`plan files: ${RUNS} generated plans`, async () => {
    const token = fc.oneof(
      fc.constantFrom('simplewebapp1', 'node1', 'node2', 'node9', '5050', '8080', '70000', '0', '#', '-', 'x'),
      fc.string({ maxLength: 8 }),
    );
    const line = fc.array(token, { maxLength: 6 }).map((t) => t.join(fc.sample(fc.constantFrom(' ', '\t', '  '), 1)[0]));
    await assertInChunks(fc.property(fc.array(line, { maxLength: 12 }), (lines) => check('plan', lines.join('\n'), 'applications.plan')));
  });

  it(`YAML-shaped noise: ${RUNS} inputs, under both file kinds`, async () => {
    await assertInChunks(fc.property(yamlNoise, fc.constantFrom('m.yaml', 'x.plan', 'compose.yml', 'spec'), (text, file) => check('noise', text, file)));
  });

  afterAll(() => {
    // the counts go into the issue note: how many inputs, how many accepted, the slowest
    console.log(`spec fuzz: ${JSON.stringify(counts)}`);
    for (const c of Object.values(counts)) expect(c.accepted + c.refused).toBeGreaterThanOrEqual(RUNS);
  });
});
