import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MatrixError } from '../errors.ts';
import type { AppSpec } from '../model.ts';
import { SECRET_LIMITS } from '../secrets.ts';
import { parseMatrixYaml } from './matrix-yaml.ts';

const FULL = `
strategy: binpack
apps:
  web:
    image: cloud/simplewebapp1
    replicas: 3
    port: 8080
    publish: 5050
    health: { path: /healthz, interval: 500ms, timeout: 2, threshold: 2, window: 3 }
    resources: { cpus: 0.25, memory: 64M }
    constraints: [ "zone==a", "node != node2" ]
    affinity: [ db ]
    anti_affinity: [ web ]
    depends_on: [ { app: db, colocate: true }, cache ]
    env: { KEY: value, N: 1 }
    restart: always
    strategy: spread
  db:
    image: 10.210.0.1:5000/cloud/db:v2
    port: 5432
    env: [ "A=1", "B=x=y" ]
  cache:
    image: cloud/cache
    port: 6379
    replicas: 0
`;

/** Runs parseMatrixYaml expecting it to throw; returns the error. */
function fail(text: string, file?: string): MatrixError {
  try {
    parseMatrixYaml(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(MatrixError);
    return e as MatrixError;
  }
  throw new Error('parseMatrixYaml did not throw');
}

/** [path, message] of every problem. */
function problems(text: string, file?: string): [string | undefined, string][] {
  const e = fail(text, file);
  expect(e.code).toBe('E_SPEC_INVALID');
  return (e.details ?? []).map((d) => [d.path, d.message]);
}

/** A one-app file with `body` (YAML lines under the app, already indented by 4). */
const oneApp = (body: string, name = 'web'): string => `apps:\n  ${name}:\n    image: cloud/x\n    port: 8080\n${body}`;

describe('parseMatrixYaml: valid input', () => {
  it('reads the full format', () => {
    const { apps, strategy } = parseMatrixYaml(FULL);
    expect(strategy).toBe('binpack');
    expect(apps.map((a) => a.name)).toEqual(['cache', 'db', 'web']);
    const web = apps[2];
    expect(web).toEqual({
      name: 'web',
      image: 'cloud/simplewebapp1',
      replicas: 3,
      port: 8080,
      publish: 5050,
      health: { path: '/healthz', intervalS: 0.5, timeoutS: 2, threshold: 2, window: 3 },
      resources: { cpus: 0.25, memoryMb: 64 },
      constraints: [
        { key: 'zone', op: '==', value: 'a' },
        { key: 'node', op: '!=', value: 'node2' },
      ],
      affinity: ['db'],
      antiAffinity: ['web'],
      dependsOn: [
        { app: 'db', colocate: true },
        { app: 'cache', colocate: false },
      ],
      env: { KEY: 'value', N: '1' },
      restart: 'always',
      strategy: 'spread',
      source: 'matrix.yaml#apps.web',
    } satisfies AppSpec);
    expect(apps[1]?.env).toEqual({ A: '1', B: 'x=y' });
    expect(apps[0]?.replicas).toBe(0);
  });

  it('fills defaults', () => {
    const { apps, strategy } = parseMatrixYaml('apps:\n  web: { image: cloud/x, port: 80 }\n', 'my.yaml');
    expect(strategy).toBeUndefined();
    expect(apps).toEqual([
      {
        name: 'web',
        image: 'cloud/x',
        replicas: 1,
        port: 80,
        resources: { cpus: 0, memoryMb: 0 },
        constraints: [],
        affinity: [],
        antiAffinity: [],
        dependsOn: [],
        env: {},
        restart: 'unless-stopped',
        source: 'my.yaml#apps.web',
      },
    ]);
    expect(Object.keys(apps[0] ?? {})).not.toContain('publish');
    expect(Object.keys(apps[0] ?? {})).not.toContain('health');
  });

  it('reads the shipped example', () => {
    const text = readFileSync(new URL('../../../examples/matrix.yaml', import.meta.url), 'utf8');
    const { apps, strategy } = parseMatrixYaml(text, 'examples/matrix.yaml');
    expect(strategy).toBe('spread');
    expect(apps.map((a) => [a.name, a.image, a.replicas, a.publish])).toEqual([
      ['simplewebapp1', 'cloud/simplewebapp1', 3, 5050],
      ['simplewebapp2', 'cloud/simplewebapp2:latest', 2, 5051],
    ]);
  });

  it('health as a bare path takes the defaults; window grows to fit a larger threshold', () => {
    const a = parseMatrixYaml(oneApp('    health: /ping\n')).apps[0];
    expect(a?.health).toEqual({ path: '/ping', intervalS: 1, timeoutS: 1, threshold: 2, window: 3 });
    const b = parseMatrixYaml(oneApp('    health: { path: /, threshold: 5 }\n')).apps[0];
    expect(b?.health).toEqual({ path: '/', intervalS: 1, timeoutS: 1, threshold: 5, window: 5 });
    const c = parseMatrixYaml(oneApp('    health: { path: /, interval: 1m30s, timeout: 0.25 }\n')).apps[0];
    expect(c?.health).toMatchObject({ intervalS: 90, timeoutS: 0.25 });
  });

  it.each([
    ['64M', 64],
    ['64Mi', 64],
    ['1G', 1024],
    ['1Gi', 1024],
    ['512K', 1],
    [256, 256],
    ['256', 256],
    ['2T', 2 * 1024 * 1024],
  ])('memory %j is %d MiB', (mem, mb) => {
    const a = parseMatrixYaml(oneApp(`    resources: { memory: ${JSON.stringify(mem)} }\n`)).apps[0];
    expect(a?.resources).toEqual({ cpus: 0, memoryMb: mb });
  });

  it('every restart policy and strategy; "no" stays a string (YAML 1.2)', () => {
    for (const r of ['always', 'unless-stopped', 'on-failure', 'no']) {
      expect(parseMatrixYaml(oneApp(`    restart: ${r}\n`)).apps[0]?.restart).toBe(r);
    }
    expect(parseMatrixYaml(`strategy: spread\n${oneApp('    strategy: binpack\n')}`).apps[0]?.strategy).toBe('binpack');
  });

  it('rebalance: true or false is kept as given; absent, the app has no rebalance key (its default follows the strategy)', () => {
    expect(parseMatrixYaml(oneApp('    rebalance: false\n')).apps[0]).toMatchObject({ rebalance: false });
    expect(parseMatrixYaml(oneApp('    strategy: spread\n    rebalance: true\n')).apps[0]).toMatchObject({ rebalance: true });
    expect(parseMatrixYaml(oneApp('')).apps[0]).not.toHaveProperty('rebalance');
  });

  it('accepts publish with many replicas, the same publish in two apps, self anti-affinity', () => {
    const text = 'apps:\n  a: { image: x, port: 1, publish: 80, replicas: 5, anti_affinity: [a] }\n  b: { image: y, port: 1, publish: 80, replicas: 5 }\n';
    expect(parseMatrixYaml(text).apps.map((a) => a.publish)).toEqual([80, 80]);
  });

  it('accepts an empty apps mapping, and dedupes repeated affinity names', () => {
    expect(parseMatrixYaml('apps: {}\n').apps).toEqual([]);
    const t = 'apps:\n  a: { image: x, port: 1, affinity: [b, b] }\n  b: { image: y, port: 1 }\n';
    expect(parseMatrixYaml(t).apps[0]?.affinity).toEqual(['b']);
  });

  it('accepts JSON (YAML is a superset) and CRLF', () => {
    expect(parseMatrixYaml('{"apps": {"web": {"image": "cloud/x", "port": 80}}}').apps).toHaveLength(1);
    expect(parseMatrixYaml('apps:\r\n  web:\r\n    image: cloud/x\r\n    port: 80\r\n').apps).toHaveLength(1);
  });

  it('dependency chains without cycles are fine', () => {
    const t = 'apps:\n  a: { image: x, port: 1, depends_on: [b, c] }\n  b: { image: x, port: 1, depends_on: [c] }\n  c: { image: x, port: 1 }\n';
    expect(parseMatrixYaml(t).apps.map((a) => a.dependsOn.map((d) => d.app))).toEqual([['b', 'c'], ['c'], []]);
  });
});

describe('parseMatrixYaml: each problem, with its path', () => {
  it.each([
    ['replicas: -1', 'apps.web.replicas', 'must be an integer >= 0'],
    ['replicas: 1.5', 'apps.web.replicas', 'must be an integer >= 0'],
    ['replicas: "3"', 'apps.web.replicas', 'must be an integer >= 0'],
    ['replicas: 10001', 'apps.web.replicas', 'must be <= 10000'],
    ['publish: 0', 'apps.web.publish', 'must be an integer in 1..65535'],
    ['publish: 65536', 'apps.web.publish', 'must be an integer in 1..65535'],
    ['publish: "5050"', 'apps.web.publish', 'must be an integer in 1..65535'],
    ['resources: { cpus: 0 }', 'apps.web.resources.cpus', 'must be a number of CPUs > 0 and <= 1024'],
    ['resources: { cpus: 1025 }', 'apps.web.resources.cpus', 'must be a number of CPUs > 0 and <= 1024'],
    ['resources: { memory: 17T }', 'apps.web.resources.memory', 'must be <= 16T'],
    ['resources: { memory: 64X }', 'apps.web.resources.memory', 'must be a memory size > 0 like 64M, 512Mi, 1G (a plain number is MiB)'],
    ['resources: { memory: 0 }', 'apps.web.resources.memory', 'must be a memory size > 0 like 64M, 512Mi, 1G (a plain number is MiB)'],
    ['resources: 1', 'apps.web.resources', 'must be a mapping (cpus, memory)'],
    ['constraints: "zone==a"', 'apps.web.constraints', 'must be a list of constraints like "zone==a" or "node!=node2"'],
    ['constraints: ["zone==a", "zone=b"]', 'apps.web.constraints[1]', 'bad constraint "zone=b": expected key==value or key!=value (key: node or a node label)'],
    ['constraints: ["zone==a b"]', 'apps.web.constraints[0]', 'bad constraint "zone==a b": expected key==value or key!=value (key: node or a node label)'],
    ['constraints: ["==a"]', 'apps.web.constraints[0]', 'bad constraint "==a": expected key==value or key!=value (key: node or a node label)'],
    ['constraints: [1]', 'apps.web.constraints[0]', 'must be a string like "zone==a" or "node!=node2"'],
    ['constraints: ["node==Node2"]', 'apps.web.constraints[0]', 'bad node name "Node2": node names must match ^[a-z0-9][a-z0-9-]{0,62}$'],
    ['health: { path: healthz }', 'apps.web.health.path', 'must be an HTTP path starting with "/" matching ^\\/[A-Za-z0-9._~!$&\'()*+,;=:@%/-]*$'],
    ['health: { path: "/a b" }', 'apps.web.health.path', 'must be an HTTP path starting with "/" matching ^\\/[A-Za-z0-9._~!$&\'()*+,;=:@%/-]*$'],
    ['health: { path: /, interval: 10ms }', 'apps.web.health.interval', 'must be between 0.05s and 3600s'],
    ['health: { path: /, timeout: 2h }', 'apps.web.health.timeout', 'must be between 0.01s and 3600s'],
    ['health: { path: /, window: 65 }', 'apps.web.health.window', 'must be an integer in 1..64'],
    ['health: { interval: 1s }', 'apps.web.health.path', 'is required: the HTTP path to probe, like /healthz'],
    ['health: { path: /, interval: 0 }', 'apps.web.health.interval', 'must be a duration > 0: a number of seconds or a string like 500ms, 1s, 2m, 1m30s'],
    ['health: { path: /, timeout: 1sec }', 'apps.web.health.timeout', 'must be a duration > 0: a number of seconds or a string like 500ms, 1s, 2m, 1m30s'],
    ['health: { path: /, threshold: 0 }', 'apps.web.health.threshold', 'must be an integer in 1..64'],
    ['health: { path: /, threshold: 4, window: 3 }', 'apps.web.health.threshold', 'must be <= window (3)'],
    ['health: { path: /, window: 1.5 }', 'apps.web.health.window', 'must be an integer in 1..64'],
    ['health: 3', 'apps.web.health', 'must be an HTTP path like /healthz or a mapping (path, interval, timeout, threshold, window)'],
    ['env: { "1A": x }', 'apps.web.env.1A', 'bad env key "1A": must match ^[A-Za-z_][A-Za-z0-9_]*$'],
    ['env: ["A"]', 'apps.web.env[0]', '"A" has no value: a value taken from the shell is not supported'],
    ['env: { A: [1] }', 'apps.web.env.A', 'must be a string, number or boolean'],
    ['env: "A=1"', 'apps.web.env', 'must be a mapping of KEY: value or a list of "KEY=value"'],
    ['restart: never', 'apps.web.restart', 'must be one of always, unless-stopped, on-failure, no'],
    ['strategy: random', 'apps.web.strategy', 'must be one of spread, binpack'],
    ['rebalance: yes', 'apps.web.rebalance', 'must be true or false, got a string'],
    ['rebalance: "true"', 'apps.web.rebalance', 'must be true or false, got a string'],
    ['rebalance: 1', 'apps.web.rebalance', 'must be true or false, got a number'],
    ['rebalance: { spread: true }', 'apps.web.rebalance', 'must be true or false, got a mapping'],
    ['affinity: [web]', 'apps.web.affinity[0]', '"web" is the app itself'],
    ['affinity: [nope]', 'apps.web.affinity[0]', 'unknown app "nope": the file has web'],
    ['affinity: [1]', 'apps.web.affinity[0]', 'must be an app name, got a number'],
    ['affinity: web', 'apps.web.affinity', 'must be a list of app names'],
    ['anti_affinity: [nope]', 'apps.web.anti_affinity[0]', 'unknown app "nope": the file has web'],
    ['depends_on: [web]', 'apps.web.depends_on[0]', '"web" is the app itself'],
    ['depends_on: [nope]', 'apps.web.depends_on[0]', 'unknown app "nope": the file has web'],
    ['depends_on: [{ colocate: true }]', 'apps.web.depends_on[0].app', 'is required'],
    ['depends_on: [{ app: nope }]', 'apps.web.depends_on[0].app', 'unknown app "nope": the file has web'],
    ['depends_on: [3]', 'apps.web.depends_on[0]', 'must be an app name or { app, colocate }, got a number'],
    ['image: Cloud/X', 'apps.web.image', 'invalid image reference "Cloud/X": repository names must be lowercase'],
    ['image: ""', 'apps.web.image', 'must not be empty'],
    ['image: 5', 'apps.web.image', 'must be a string, got a number'],
  ])('%s', (line, path, message) => {
    // Duplicate keys are YAML errors, so a line for `image` or `port` replaces the default one.
    const base = oneApp('').split('\n');
    const key = line.slice(0, line.indexOf(':'));
    const body = base.filter((l) => !l.trimStart().startsWith(`${key}:`)).join('\n');
    expect(problems(`${body}    ${line}\n`)).toEqual([[path, message]]);
  });

  it('port is required and checked', () => {
    expect(problems('apps:\n  web: { image: cloud/x }\n')).toEqual([['apps.web.port', 'is required: the container port the app listens on']]);
    expect(problems('apps:\n  web: { image: cloud/x, port: 0 }\n')).toEqual([['apps.web.port', 'must be an integer in 1..65535']]);
    expect(problems('apps:\n  web: { image: cloud/x, port: 8080.5 }\n')).toEqual([['apps.web.port', 'must be an integer in 1..65535']]);
  });

  it('image is required', () => {
    expect(problems('apps:\n  web: { port: 1 }\n')).toEqual([['apps.web.image', 'is required']]);
  });

  it('colocate must be a boolean; a dependency may not be listed twice', () => {
    const t = 'apps:\n  a: { image: x, port: 1, depends_on: [{ app: b, colocate: yes }, b, b] }\n  b: { image: x, port: 1 }\n';
    expect(problems(t)).toEqual([
      ['apps.a.depends_on[0].colocate', 'must be true or false'],
      ['apps.a.depends_on[2]', '"b" is listed twice'],
    ]);
  });

  it('contradictions: affinity and anti-affinity to one app, colocated dependency it avoids', () => {
    const t =
      'apps:\n  a: { image: x, port: 1, affinity: [b], anti_affinity: [b, c], depends_on: [{ app: c, colocate: true }] }\n  b: { image: x, port: 1 }\n  c: { image: x, port: 1 }\n';
    expect(problems(t)).toEqual([
      ['apps.a.anti_affinity', '"b" is also in affinity: an app cannot both need and avoid it'],
      ['apps.a.depends_on', '"c" is colocated but also in anti_affinity: an app cannot both need and avoid it'],
    ]);
  });

  it('bad app names', () => {
    for (const name of ['Web', '1web', 'web_1', 'web-', `a${'b'.repeat(63)}`]) {
      const [p] = problems(`apps:\n  ${name}: { image: x, port: 1 }\n`);
      expect(p?.[0]).toBe(`apps.${name}`);
      expect(p?.[1]).toMatch(new RegExp(`^bad app name "${name}": app names are used in URLs, DNS and VCL`));
    }
  });

  it('an app that is not a mapping', () => {
    expect(problems('apps:\n  web: cloud/x\n')).toEqual([['apps.web', 'must be a mapping (image, port, ...), got a string']]);
    expect(problems('apps:\n  web:\n')).toEqual([['apps.web', 'must be a mapping (image, port, ...), got nothing']]);
  });

  it('top level: not a mapping, no apps, apps not a mapping, bad strategy', () => {
    expect(problems('- a\n- b\n', 'm.yaml')).toEqual([['m.yaml', 'must be a mapping with an `apps:` key, got a list']]);
    expect(problems('', 'm.yaml')).toEqual([['m.yaml', 'must be a mapping with an `apps:` key, got nothing']]);
    expect(problems('strategy: spread\n')).toEqual([['apps', 'is required: a mapping of app name to app']]);
    expect(problems('apps: [web]\n')).toEqual([['apps', 'must be a mapping of app name to app, got a list']]);
    expect(problems('strategy: fast\napps: {}\n')).toEqual([['strategy', 'must be one of spread, binpack']]);
  });

  it('dependency cycles, even through apps with other problems', () => {
    const t = 'apps:\n  a: { image: x, port: 1, depends_on: [b] }\n  b: { image: x, port: 0, depends_on: [c] }\n  c: { image: x, port: 1, depends_on: [a] }\n';
    expect(problems(t)).toEqual([
      ['apps.b.port', 'must be an integer in 1..65535'],
      ['apps.a.depends_on', 'dependency cycle: a -> b -> c -> a'],
    ]);
  });
});

describe('parseMatrixYaml: update policy', () => {
  it('reads every field with durations, and defaults the rest', () => {
    const spec = parseMatrixYaml(oneApp('    update: { parallelism: 2, delay: 500ms, order: stop-first, drain: 3s, monitor: 1m }\n'));
    expect(spec.apps[0]!.update).toEqual({ parallelism: 2, delayS: 0.5, order: 'stop-first', drainS: 3, monitorS: 60 });
    expect(parseMatrixYaml(oneApp('    update: { parallelism: 3 }\n')).apps[0]!.update).toEqual({
      parallelism: 3,
      delayS: 0,
      order: 'start-first',
      drainS: 2,
      monitorS: 30,
    });
    expect(parseMatrixYaml(oneApp('')).apps[0]!.update).toBeUndefined();
  });

  it('reports bad fields with their paths', () => {
    expect(problems(oneApp('    update: { parallelism: 0, order: sideways, drainn: 1s }\n')).map(([p]) => p)).toEqual([
      'apps.web.update.drainn',
      'apps.web.update.parallelism',
      'apps.web.update.order',
    ]);
    expect(problems(oneApp('    update: fast\n'))).toEqual([['apps.web.update', 'must be a mapping (parallelism, delay, order, drain, monitor)']]);
  });
});

describe('parseMatrixYaml: secrets', () => {
  const secrets = (body: string): AppSpec['secrets'] => parseMatrixYaml(oneApp(body)).apps[0]?.secrets;

  it('reads every form, in order', () => {
    const body = `    secrets:
      - db-password
      - name: api-key
        file: key.txt
      - name: smtp
        env: SMTP_PASSWORD
      - name: tls
        file: tls.pem
        env: TLS_PEM
      - { name: plain }
`;
    expect(secrets(body)).toEqual([
      { name: 'db-password', file: 'db-password' },
      { name: 'api-key', file: 'key.txt' },
      { name: 'smtp', env: 'SMTP_PASSWORD' },
      { name: 'tls', file: 'tls.pem', env: 'TLS_PEM' },
      { name: 'plain', file: 'plain' },
    ]);
  });

  it('the same secret as a file and as a variable, or as two files', () => {
    expect(secrets('    secrets: [ db, { name: db, env: DB }, { name: db, file: db2 } ]\n')).toEqual([
      { name: 'db', file: 'db' },
      { name: 'db', env: 'DB' },
      { name: 'db', file: 'db2' },
    ]);
  });

  it('absent or empty: no secrets key at all (revisions of apps without secrets do not change)', () => {
    expect(Object.keys(parseMatrixYaml(oneApp('')).apps[0] ?? {})).not.toContain('secrets');
    expect(Object.keys(parseMatrixYaml(oneApp('    secrets: []\n')).apps[0] ?? {})).not.toContain('secrets');
  });

  it('a secret env next to other env keys', () => {
    const app = parseMatrixYaml(oneApp('    env: { A: x }\n    secrets: [ { name: s, env: B } ]\n')).apps[0];
    expect([app?.env, app?.secrets]).toEqual([{ A: 'x' }, [{ name: 's', env: 'B' }]]);
  });

  it(`${SECRET_LIMITS.perApp} secrets are fine`, () => {
    const list = Array.from({ length: SECRET_LIMITS.perApp }, (_, i) => `s${i}`).join(', ');
    expect(secrets(`    secrets: [ ${list} ]\n`)).toHaveLength(SECRET_LIMITS.perApp);
  });

  const NAME_RULE = '^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?$';
  it.each([
    ['secrets: db', 'apps.web.secrets', 'must be a list of secret names or { name, file, env }'],
    ['secrets: { db: {} }', 'apps.web.secrets', 'must be a list of secret names or { name, file, env }'],
    ['secrets: [ 1 ]', 'apps.web.secrets[0]', 'must be a secret name or { name, file, env }, got a number'],
    ['secrets: [ [db] ]', 'apps.web.secrets[0]', 'must be a secret name or { name, file, env }, got a list'],
    ['secrets: [ null ]', 'apps.web.secrets[0]', 'must be a secret name or { name, file, env }, got nothing'],
    [
      'secrets: [ db/password ]',
      'apps.web.secrets[0]',
      `bad secret name "db/password": must match ${NAME_RULE} (letters, digits, "-", "_", ".", at most 64, alphanumeric at both ends)`,
    ],
    [
      'secrets: [ "" ]',
      'apps.web.secrets[0]',
      `bad secret name "": must match ${NAME_RULE} (letters, digits, "-", "_", ".", at most 64, alphanumeric at both ends)`,
    ],
    ['secrets: [ { file: x } ]', 'apps.web.secrets[0].name', 'is required: the secret in the store (`matrix secret set <name>`)'],
    ['secrets: [ { name: 5 } ]', 'apps.web.secrets[0].name', 'must be a secret name, got a number'],
    [
      'secrets: [ { name: .hidden } ]',
      'apps.web.secrets[0].name',
      `bad secret name ".hidden": must match ${NAME_RULE} (letters, digits, "-", "_", ".", at most 64, alphanumeric at both ends)`,
    ],
    [
      'secrets: [ { name: db, file: ../etc/passwd } ]',
      'apps.web.secrets[0].file',
      `bad file name "../etc/passwd": must be one file under /run/secrets matching ${NAME_RULE}`,
    ],
    [
      'secrets: [ { name: db, file: /run/secrets/db } ]',
      'apps.web.secrets[0].file',
      `bad file name "/run/secrets/db": must be one file under /run/secrets matching ${NAME_RULE}`,
    ],
    ['secrets: [ { name: db, file: .. } ]', 'apps.web.secrets[0].file', `bad file name "..": must be one file under /run/secrets matching ${NAME_RULE}`],
    ['secrets: [ { name: db, file: 1 } ]', 'apps.web.secrets[0].file', 'must be a file name, got a number'],
    ['secrets: [ { name: db, file: null } ]', 'apps.web.secrets[0].file', 'must be a file name, got nothing'],
    ['secrets: [ { name: db, env: db-password } ]', 'apps.web.secrets[0].env', 'bad env name "db-password": must match ^[A-Za-z_][A-Za-z0-9_]*$'],
    ['secrets: [ { name: db, env: true } ]', 'apps.web.secrets[0].env', 'must be an environment variable name, got a boolean'],
    ['secrets: [ { name: db, version: 3 } ]', 'apps.web.secrets[0].version', 'unknown key "version"; allowed: name, file, env'],
    ['secrets: [ { name: db, target: x } ]', 'apps.web.secrets[0].target', 'unknown key "target"; allowed: name, file, env'],
    ['secrets: [ { name: db, fiel: x } ]', 'apps.web.secrets[0].fiel', 'unknown key "fiel" (did you mean "file"?); allowed: name, file, env'],
    ['secrets: [ db, db ]', 'apps.web.secrets[1]', 'file "db" is given twice'],
    ['secrets: [ x, { name: y, file: x } ]', 'apps.web.secrets[1]', 'file "x" is given twice'],
    ['secrets: [ { name: a, env: PW }, { name: b, env: PW } ]', 'apps.web.secrets[1]', 'env "PW" is given twice'],
  ])('%s', (line, path, message) => {
    expect(problems(oneApp(`    ${line}\n`))).toEqual([[path, message]]);
  });

  it("an env the app's env: also sets", () => {
    expect(problems(oneApp('    env: { PW: x }\n    secrets: [ { name: db, env: PW } ]\n'))).toEqual([
      ['apps.web.secrets[0]', 'env "PW" is also set in the app\'s env: a variable has one value, remove one of them'],
    ]);
    expect(problems(oneApp('    env: [ "PW=x" ]\n    secrets: [ { name: db, file: pw, env: PW } ]\n'))).toEqual([
      ['apps.web.secrets[0]', 'env "PW" is also set in the app\'s env: a variable has one value, remove one of them'],
    ]);
  });

  it(`more than ${SECRET_LIMITS.perApp}`, () => {
    const list = Array.from({ length: SECRET_LIMITS.perApp + 1 }, (_, i) => `s${i}`).join(', ');
    expect(problems(oneApp(`    secrets: [ ${list} ]\n`))).toEqual([
      ['apps.web.secrets', `must have at most ${SECRET_LIMITS.perApp} secrets, got ${SECRET_LIMITS.perApp + 1}`],
    ]);
  });

  it('every problem of every item, each at its own path', () => {
    const body = '    secrets: [ { name: a/b, file: "", env: 1X, mode: 1 }, 7, ok, ok, { name: ok2, env: E }, { name: ok3, env: E } ]\n';
    expect(problems(oneApp(body)).map(([p]) => p)).toEqual([
      'apps.web.secrets[0].mode',
      'apps.web.secrets[0].name',
      'apps.web.secrets[0].file',
      'apps.web.secrets[0].env',
      'apps.web.secrets[1]',
      'apps.web.secrets[3]',
      'apps.web.secrets[5]',
    ]);
  });
});

describe('parseMatrixYaml: host access', () => {
  const host = (body: string): AppSpec['host'] => parseMatrixYaml(oneApp(body)).apps[0]?.host;
  const CAP_RULE = '^[A-Z][A-Z0-9_]{1,31}$';
  const RELATIVE = (v: string): string =>
    `source "${v}" is relative: a node has no notion of the deploying machine's directory (or home), so give an absolute path on the node, like /srv/data`;
  const HOST_KEYS = 'privileged, cap_add, devices, pid, ipc, network, volumes';

  it('reads every key (the documented example)', () => {
    const text = `
apps:
  agent:
    image: cloud/agent
    port: 8080
    host:
      privileged: true
      cap_add: [NET_ADMIN]
      devices: [/dev/fuse]
      pid: host
      network: host
      volumes: ["/var/log:/host/log:ro"]
`;
    const [app] = parseMatrixYaml(text).apps;
    expect(app).toEqual({
      name: 'agent',
      image: 'cloud/agent',
      replicas: 1,
      port: 8080,
      publish: 8080,
      resources: { cpus: 0, memoryMb: 0 },
      constraints: [],
      affinity: [],
      antiAffinity: [],
      dependsOn: [],
      env: {},
      host: {
        privileged: true,
        capAdd: ['NET_ADMIN'],
        devices: [{ host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' }],
        pid: 'host',
        network: 'host',
        binds: [{ source: '/var/log', target: '/host/log', readOnly: true }],
      },
      restart: 'unless-stopped',
      source: 'matrix.yaml#apps.agent',
    } satisfies AppSpec);
  });

  it('every form of every value', () => {
    const body = `    host:
      cap_add: [SYS_TIME, CAP_NET_ADMIN, net_admin, ALL]
      devices: [ "/dev/sda:/dev/xvda:r", "/dev/ttyUSB0:rw", "/dev/net/tun:/dev/net/tun:mrw" ]
      ipc: host
      volumes: [ "/srv/data:/data", "/srv/conf:/etc/app:rw", "/:/host:ro" ]
`;
    expect(host(body)).toEqual({
      capAdd: ['SYS_TIME', 'NET_ADMIN', 'ALL'],
      devices: [
        { host: '/dev/sda', container: '/dev/xvda', permissions: 'r' },
        { host: '/dev/ttyUSB0', container: '/dev/ttyUSB0', permissions: 'rw' },
        { host: '/dev/net/tun', container: '/dev/net/tun', permissions: 'rwm' },
      ],
      ipc: 'host',
      binds: [
        { source: '/srv/data', target: '/data', readOnly: false },
        { source: '/srv/conf', target: '/etc/app', readOnly: false },
        { source: '/', target: '/host', readOnly: true },
      ],
    });
  });

  it('asking for nothing gives no host key at all (such apps look and hash as before)', () => {
    for (const body of ['', '    host: {}\n', '    host: { privileged: false, cap_add: [], devices: [], volumes: [] }\n']) {
      const app = parseMatrixYaml(oneApp(body)).apps[0];
      expect(Object.keys(app ?? {}), body).not.toContain('host');
      expect(Object.keys(app ?? {}), body).not.toContain('publish');
    }
  });

  it('the host network: publish is the port, given or not; another publish is an error at publish', () => {
    expect(parseMatrixYaml(oneApp('    host: { network: host }\n')).apps[0]?.publish).toBe(8080);
    expect(parseMatrixYaml(oneApp('    publish: 8080\n    host: { network: host }\n')).apps[0]?.publish).toBe(8080);
    expect(problems(oneApp('    publish: 5050\n    host: { network: host }\n'))).toEqual([
      ['apps.web.publish', "with the host network the app listens on the node's port 8080 itself: publish must equal port (or be left out)"],
    ]);
    // a publish or port that is wrong anyway is reported once, as such
    expect(problems(oneApp('    publish: 0\n    host: { network: host }\n'))).toEqual([['apps.web.publish', 'must be an integer in 1..65535']]);
    expect(problems('apps:\n  web: { image: x, port: 0, host: { network: host } }\n')).toEqual([['apps.web.port', 'must be an integer in 1..65535']]);
    // still checked when another host field has a problem
    expect(problems(oneApp('    publish: 5050\n    host: { network: host, privileged: yes }\n')).map(([p]) => p)).toEqual([
      'apps.web.host.privileged',
      'apps.web.publish',
    ]);
  });

  it.each([
    ['host: true', 'apps.web.host', `must be a mapping (${HOST_KEYS}), got a boolean`],
    ['host: [privileged]', 'apps.web.host', `must be a mapping (${HOST_KEYS}), got a list`],
    ['host:', 'apps.web.host', `must be a mapping (${HOST_KEYS}), got nothing`],
    ['host: { privilegd: true }', 'apps.web.host.privilegd', `unknown key "privilegd" (did you mean "privileged"?); allowed: ${HOST_KEYS}`],
    ['host: { network_mode: host }', 'apps.web.host.network_mode', `unknown key "network_mode"; allowed: ${HOST_KEYS}`],
    ['host: { userns_mode: host }', 'apps.web.host.userns_mode', `unknown key "userns_mode"; allowed: ${HOST_KEYS}`],
    ['host: { privileged: yes }', 'apps.web.host.privileged', 'must be true or false, got a string'],
    ['host: { privileged: 1 }', 'apps.web.host.privileged', 'must be true or false, got a number'],
    ['host: { cap_add: NET_ADMIN }', 'apps.web.host.cap_add', 'must be a list of capability names like NET_ADMIN'],
    [
      'host: { cap_add: [NET_ADMIN, NET-RAW] }',
      'apps.web.host.cap_add[1]',
      `bad capability "NET-RAW": must be a kernel capability like NET_ADMIN or CAP_NET_ADMIN (without CAP_, matching ${CAP_RULE})`,
    ],
    ['host: { cap_add: [1] }', 'apps.web.host.cap_add[0]', 'must be a capability name like NET_ADMIN, got a number'],
    ['host: { devices: /dev/fuse }', 'apps.web.host.devices', 'must be a list of devices like "/dev/fuse" or "HOST:CONTAINER:PERMS"'],
    ['host: { devices: [/dev/fuse, /etc/passwd] }', 'apps.web.host.devices[1]', 'host path "/etc/passwd" must be a device path under /dev/, like /dev/fuse'],
    ['host: { devices: ["/dev/sda:/dev/../etc"] }', 'apps.web.host.devices[0]', 'container path "/dev/../etc" must not contain ".." segments'],
    [
      'host: { devices: ["/dev/sda:/dev/sda:rwx"] }',
      'apps.web.host.devices[0]',
      'permissions "rwx" must be a non-empty subset of rwm (r read, w write, m mknod), each letter once',
    ],
    ['host: { devices: [/dev/a, "/dev/b:/dev/a"] }', 'apps.web.host.devices[1]', 'container path "/dev/a" is given twice'],
    [
      'host: { pid: private }',
      'apps.web.host.pid',
      `must be host (to share the node's PID namespace), got "private": leave the key out for the container's own`,
    ],
    ['host: { ipc: true }', 'apps.web.host.ipc', `must be host (to share the node's IPC namespace), got a boolean: leave the key out for the container's own`],
    [
      'host: { network: bridge }',
      'apps.web.host.network',
      `must be host (to share the node's network), got "bridge": leave the key out for the container's own`,
    ],
    ['host: { volumes: "/a:/b" }', 'apps.web.host.volumes', 'must be a list of node paths like "/srv/data:/data:ro"'],
    ['host: { volumes: ["./data:/data"] }', 'apps.web.host.volumes[0]', RELATIVE('./data')],
    ['host: { volumes: ["~/data:/data"] }', 'apps.web.host.volumes[0]', RELATIVE('~/data')],
    ['host: { volumes: ["../data:/data"] }', 'apps.web.host.volumes[0]', RELATIVE('../data')],
    [
      'host: { volumes: ["data:/data"] }',
      'apps.web.host.volumes[0]',
      'source "data" must be an absolute path on the node, like /srv/data (named volumes are not supported)',
    ],
    ['host: { volumes: ["/srv/../etc:/data"] }', 'apps.web.host.volumes[0]', 'source "/srv/../etc" must not contain ".." segments'],
    ['host: { volumes: ["/srv:data"] }', 'apps.web.host.volumes[0]', 'target "data" must be an absolute path in the container, like /data'],
    ['host: { volumes: ["/srv:/"] }', 'apps.web.host.volumes[0]', 'target must not be "/": it would hide the container\'s whole filesystem'],
    ['host: { volumes: ["/srv:/a/../b"] }', 'apps.web.host.volumes[0]', 'target "/a/../b" must not contain ".." segments'],
    ['host: { volumes: ["/srv:/data:z"] }', 'apps.web.host.volumes[0]', 'mode "z" must be ro (read-only) or rw (read-write, the default)'],
    [
      'host: { volumes: ["/srv/data"] }',
      'apps.web.host.volumes[0]',
      'bad volume "/srv/data": must be "/node/path:/container/path" with an optional ":ro" or ":rw"',
    ],
    [
      'host: { volumes: [{ source: /srv, target: /data }] }',
      'apps.web.host.volumes[0]',
      'must be "/node/path:/container/path" with an optional ":ro" or ":rw", got a mapping',
    ],
    ['host: { volumes: ["/a:/data", "/b:/data:ro"] }', 'apps.web.host.volumes[1]', 'target "/data" is given twice'],
  ])('%s', (line, path, message) => {
    expect(problems(oneApp(`    ${line}\n`))).toEqual([[path, message]]);
  });

  it.each([
    ['cap_add', (i: number) => `CAP${i}`, 'capabilities'],
    ['devices', (i: number) => `/dev/d${i}`, 'devices'],
    ['volumes', (i: number) => `/srv/${i}:/data/${i}`, 'volumes'],
  ])(`%s: at most 64`, (key, item, what) => {
    const list = (n: number): string => JSON.stringify(Array.from({ length: n }, (_, i) => item(i)));
    expect(host(`    host: { ${key}: ${list(64)} }\n`)).toBeDefined();
    expect(problems(oneApp(`    host: { ${key}: ${list(65)} }\n`))).toEqual([[`apps.web.host.${key}`, `must have at most 64 ${what}, got 65`]]);
  });

  it('every problem of every field, each at its own path', () => {
    const body =
      '    host: { privileged: no, cap_add: [x, NET_ADMIN, 2], devices: [/dev/a, sda], pid: yes, ipc: host, network: none, volumes: ["./a:b"], x: 1 }\n';
    expect(problems(oneApp(body)).map(([p]) => p)).toEqual([
      'apps.web.host.x',
      'apps.web.host.privileged',
      'apps.web.host.cap_add[0]',
      'apps.web.host.cap_add[2]',
      'apps.web.host.devices[1]',
      'apps.web.host.pid',
      'apps.web.host.network',
      'apps.web.host.volumes[0]',
      'apps.web.host.volumes[0]',
    ]);
  });
});

describe('parseMatrixYaml: unknown keys', () => {
  const APP_KEYS =
    'image, replicas, port, publish, health, resources, constraints, affinity, anti_affinity, depends_on, env, command, entrypoint, expose, volumes, secrets, host, restart, strategy, rebalance, update';

  it('names the key, suggests the likely one, lists the allowed ones', () => {
    expect(problems(oneApp('    replica: 3\n'))).toEqual([['apps.web.replica', `unknown key "replica" (did you mean "replicas"?); allowed: ${APP_KEYS}`]]);
    expect(problems(oneApp('    antiAffinity: [web]\n'))).toEqual([
      ['apps.web.antiAffinity', `unknown key "antiAffinity" (did you mean "anti_affinity"?); allowed: ${APP_KEYS}`],
    ]);
    expect(problems(oneApp('    labels: [a]\n'))).toEqual([['apps.web.labels', `unknown key "labels"; allowed: ${APP_KEYS}`]]);
  });

  it('host-access keys at the app level are told to go under host:', () => {
    expect(problems(oneApp('    volumes: [/data]\n    cap_add: [NET_ADMIN]\n    network_mode: host\n    privileged: true\n'))).toEqual([
      ['apps.web.cap_add', `unknown key "cap_add"; allowed: ${APP_KEYS}; host access goes under \`host:\` (host: { cap_add: ... })`],
      ['apps.web.network_mode', `unknown key "network_mode"; allowed: ${APP_KEYS}; host access goes under \`host:\` (host: { network: ... })`],
      ['apps.web.privileged', `unknown key "privileged"; allowed: ${APP_KEYS}; host access goes under \`host:\` (host: { privileged: ... })`],
      ['apps.web.volumes[0]', '"/data" is a node path: node paths are host access and go under `host: { volumes: [...] }`'],
    ]);
  });

  it('at every level', () => {
    const t = `strategi: spread\n${oneApp('    health: { path: /, intervall: 1s }\n    resources: { cpu: 1 }\n    depends_on: []\n')}`;
    expect(problems(t)).toEqual([
      ['strategi', 'unknown key "strategi" (did you mean "strategy"?); allowed: name, apps, strategy'],
      ['apps.web.health.intervall', 'unknown key "intervall" (did you mean "interval"?); allowed: path, interval, timeout, threshold, window'],
      ['apps.web.resources.cpu', 'unknown key "cpu" (did you mean "cpus"?); allowed: cpus, memory'],
    ]);
    const d = 'apps:\n  a: { image: x, port: 1, depends_on: [{ app: b, colocated: true }] }\n  b: { image: x, port: 1 }\n';
    expect(problems(d)).toEqual([['apps.a.depends_on[0].colocated', 'unknown key "colocated" (did you mean "colocate"?); allowed: app, colocate']]);
  });
});

describe('parseMatrixYaml: all problems at once', () => {
  it('reports every problem of every app in one error, app by app', () => {
    const text = `
apps:
  web:
    image: cloud/simplewebapp1
    replicas: -1
    port: 8080
    constraints: [ "zone==a", "zone" ]
    resources: { cpus: 0.5, memory: 64Q }
    affinity: [ ghost ]
  db:
    port: 70000
    restart: sometimes
`;
    const e = fail(text, 'prod.yaml');
    expect(e.code).toBe('E_SPEC_INVALID');
    expect(e.message).toBe('7 problems in prod.yaml');
    expect(e.path).toBeUndefined();
    expect(e.details?.map((d) => d.path)).toEqual([
      'apps.web.replicas',
      'apps.web.resources.memory',
      'apps.web.constraints[1]',
      'apps.web.affinity[0]',
      'apps.db.image',
      'apps.db.port',
      'apps.db.restart',
    ]);
    expect(e.details?.every((d) => d.code === 'E_SPEC_INVALID')).toBe(true);
    expect(e.toJSON().details).toHaveLength(7);
  });

  it('one problem still comes wrapped: "1 problem in <file>"', () => {
    const e = fail(oneApp('    replicas: -1\n'), 'x.yaml');
    expect(e.message).toBe('1 problem in x.yaml');
    expect(e.details).toHaveLength(1);
  });

  it('YAML syntax errors come first and alone, at <file>:<line>', () => {
    const e = fail('apps:\n  web:\n    image: cloud/x\n    port: [8080\n', 'bad.yaml');
    expect(e.code).toBe('E_SPEC_INVALID');
    expect(e.details?.[0]?.path).toMatch(/^bad\.yaml:\d+$/);
    expect(e.details?.[0]?.message).toMatch(/^YAML syntax: /);
  });
});

describe('parseMatrixYaml: command and entrypoint', () => {
  it('reads a list as written and a string split into words; absent, the app has neither', () => {
    const [web] = parseMatrixYaml(oneApp('    entrypoint: [/bin/busybox]\n    command: nc -lk -p "8080"\n')).apps;
    expect([web?.entrypoint, web?.command]).toEqual([['/bin/busybox'], ['nc', '-lk', '-p', '8080']]);
    const [plain] = parseMatrixYaml(oneApp('')).apps;
    expect(plain).not.toHaveProperty('command');
    expect(plain).not.toHaveProperty('entrypoint');
  });

  it('names the bad field', () => {
    expect(problems(oneApp('    command: cat /data/* | wc -l\n'))).toEqual([
      ['apps.web.command', '"/data/*" would be expanded by a shell, and no shell runs this: write the command as a list'],
      ['apps.web.command', '"|" needs a shell, and none runs this: write ["sh", "-c", "…"]'],
    ]);
    expect(problems(oneApp('    entrypoint: [sh, { c: 1 }]\n'))).toEqual([['apps.web.entrypoint[1]', 'must be a string, got a mapping']]);
  });
});

describe('parseMatrixYaml: expose', () => {
  it('internal marks the app; ingress (the default) leaves it as apps always were, so its revision is unchanged', () => {
    const [internal] = parseMatrixYaml(oneApp('    expose: internal\n')).apps;
    expect(internal?.expose).toBe('internal');
    const [viaIngress] = parseMatrixYaml(oneApp('    expose: ingress\n')).apps;
    expect(viaIngress).not.toHaveProperty('expose');
    expect(viaIngress).toEqual(parseMatrixYaml(oneApp('')).apps[0]);
  });

  it('names the bad field: an unknown value, and a published port on an internal app', () => {
    expect(problems(oneApp('    expose: private\n'))[0]).toEqual(['apps.web.expose', expect.stringMatching(/ingress.*internal/)]);
    expect(problems(oneApp('    expose: internal\n    publish: 5050\n'))).toEqual([
      ['apps.web.publish', 'an `expose: internal` app publishes no port: remove publish, or expose it through the ingress'],
    ]);
  });
});

describe('parseMatrixYaml: volumes', () => {
  it('reads named volumes; an app without them looks (and hashes) as before', () => {
    const [web] = parseMatrixYaml(oneApp('    volumes: [ "data:/var/lib/app", "cache:/cache:ro" ]\n')).apps;
    expect(web?.volumes).toEqual([
      { name: 'data', target: '/var/lib/app', readOnly: false },
      { name: 'cache', target: '/cache', readOnly: true },
    ]);
    expect(parseMatrixYaml(oneApp('')).apps[0]).not.toHaveProperty('volumes');
  });

  it('names the bad field: a name twice, a target twice, a bad mode, and a volume two apps mount', () => {
    expect(problems(oneApp('    volumes: [ "data:/a", "data:/b", "logs:/a", "x:/y:rx" ]\n'))).toEqual([
      ['apps.web.volumes[1]', 'volume "data" is mounted twice: mount it once, or use two volumes'],
      ['apps.web.volumes[2]', 'target "/a" is given twice'],
      ['apps.web.volumes[3]', 'mode "rx" must be ro (read-only) or rw (read-write, the default)'],
    ]);
    const two = `apps:\n  a:\n    image: cloud/x\n    port: 1\n    volumes: [ "data:/d" ]\n  b:\n    image: cloud/x\n    port: 1\n    volumes: [ "data:/d" ]\n`;
    expect(problems(two)).toEqual([
      [
        'apps.b.volumes[0]',
        'volume "data" is already mounted by a: a volume belongs to one app (each replica\'s data stays on its node), so give each app its own name',
      ],
    ]);
  });
});

describe('parseMatrixYaml: volume targets', () => {
  it("a volume on a node path's target or on the secrets' directory is an error at its path", () => {
    const text = oneApp('    volumes: [ "data:/data", "s:/run/secrets/" ]\n    host: { volumes: [ "/srv:/data" ] }\n');
    expect(problems(text)).toEqual([
      ['apps.web.volumes[0]', 'target "/data" is a node path\'s target too'],
      ['apps.web.volumes[1]', 'target "/run/secrets/" is where the app\'s secret files are mounted'],
    ]);
  });
});
