import { describe, expect, it } from 'vitest';
import { MatrixError } from '../errors.ts';
import type { AppSpec } from '../model.ts';
import { SECRET_LIMITS } from '../secrets.ts';
import { parseCompose, translateSwarmConstraint } from './compose.ts';

const FULL = `
version: "3.8"
services:
  web:
    image: cloud/simplewebapp1:v2
    ports: [ "5050:8080" ]
    environment:
      GREETING: hello
      N: 3
    deploy:
      replicas: 3
      resources:
        reservations: { cpus: "0.25", memory: 64M }
        limits: { cpus: "1", memory: 256M }
      placement:
        constraints: [ "node.labels.zone == a", "node.hostname != node2" ]
      restart_policy: { condition: on-failure }
    depends_on: [ db ]
  db:
    image: cloud/db
    expose: [ 5432 ]
    environment: [ "POSTGRES_DB=app" ]
    mem_limit: 512m
    cpus: 0.5
    restart: always
`;

function fail(text: string, file?: string): MatrixError {
  try {
    parseCompose(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(MatrixError);
    return e as MatrixError;
  }
  throw new Error('parseCompose did not throw');
}

function problems(text: string, file?: string): [string | undefined, string][] {
  const e = fail(text, file);
  expect(e.code).toBe('E_SPEC_INVALID');
  return (e.details ?? []).map((d) => [d.path, d.message]);
}

/** The warning for a volume that is not a node path. */
const ANONYMOUS = (v: string): string =>
  `${JSON.stringify(v)} is an anonymous volume: not supported by cloudmatrix (named volumes "name:/path" and node paths "/node/path:/path" are); ignored`;

/** A one-service file: `lines` go under the service (indented by 4). */
const svc = (lines: string, name = 'web'): string => `services:\n  ${name}:\n    image: cloud/x\n${lines}`;
const withPort = (lines: string): string => svc(`    ports: ["8080"]\n${lines}`);

describe('parseCompose: valid input', () => {
  it('reads the supported subset', () => {
    const { apps, warnings } = parseCompose(FULL);
    expect(warnings).toEqual([]);
    expect(apps).toEqual([
      {
        name: 'db',
        image: 'cloud/db',
        replicas: 1,
        port: 5432,
        resources: { cpus: 0.5, memoryMb: 512 },
        constraints: [],
        affinity: [],
        antiAffinity: [],
        dependsOn: [],
        env: { POSTGRES_DB: 'app' },
        restart: 'always',
        source: 'compose.yaml#services.db',
      },
      {
        name: 'web',
        image: 'cloud/simplewebapp1:v2',
        replicas: 3,
        port: 8080,
        publish: 5050,
        resources: { cpus: 0.25, memoryMb: 64 },
        constraints: [
          { key: 'zone', op: '==', value: 'a' },
          { key: 'node', op: '!=', value: 'node2' },
        ],
        affinity: [],
        antiAffinity: [],
        dependsOn: [{ app: 'db', colocate: false }],
        env: { GREETING: 'hello', N: '3' },
        restart: 'on-failure',
        source: 'compose.yaml#services.web',
      },
    ] satisfies AppSpec[]);
  });

  it.each([
    ['8080', { port: 8080 }],
    ['"8080"', { port: 8080 }],
    ['"5050:8080"', { port: 8080, publish: 5050 }],
    ['"5050:8080/tcp"', { port: 8080, publish: 5050 }],
    ['"0.0.0.0:5050:8080"', { port: 8080, publish: 5050 }],
    ['"0.0.0.0::8080"', { port: 8080 }],
    ['{ target: 8080 }', { port: 8080 }],
    ['{ target: 8080, published: 5050 }', { port: 8080, publish: 5050 }],
    ['{ target: 8080, published: "5050", protocol: tcp }', { port: 8080, publish: 5050 }],
    ['{ target: "8080", published: 5050, host_ip: 0.0.0.0 }', { port: 8080, publish: 5050 }],
  ])('port %s', (port, want) => {
    const { apps } = parseCompose(svc(`    ports: [ ${port} ]\n`));
    expect({ port: apps[0]?.port, ...(apps[0]?.publish !== undefined ? { publish: apps[0].publish } : {}) }).toEqual(want);
  });

  it('expose gives the container port when ports is absent', () => {
    expect(parseCompose(svc('    expose: ["3000"]\n')).apps[0]?.port).toBe(3000);
  });

  it.each([
    ['node.labels.zone == a', { key: 'zone', op: '==', value: 'a' }],
    ['node.labels.zone==a', { key: 'zone', op: '==', value: 'a' }],
    ['node.labels.com.example.tier != db', { key: 'com.example.tier', op: '!=', value: 'db' }],
    ['node.hostname == node1', { key: 'node', op: '==', value: 'node1' }],
    ['  node.hostname!=node-2 ', { key: 'node', op: '!=', value: 'node-2' }],
  ])('constraint %j', (s, want) => {
    expect(translateSwarmConstraint(s)).toEqual(want);
  });

  it.each([
    ['node.role == manager', 'unsupported constraint "node.role": only node.hostname and node.labels.<key> are supported'],
    ['engine.labels.os == linux', 'unsupported constraint "engine.labels.os": only node.hostname and node.labels.<key> are supported'],
    ['node.labels. == a', 'unsupported constraint "node.labels.": only node.hostname and node.labels.<key> are supported'],
    ['node.hostname = a', 'bad constraint "node.hostname = a": expected "node.hostname == <node>" or "node.labels.<key> == <value>" (or !=)'],
    ['node.hostname == Node1', 'bad node name "Node1": node names must match ^[a-z0-9][a-z0-9-]{0,62}$'],
  ])('refuses constraint %j', (s, msg) => {
    expect(translateSwarmConstraint(s)).toBe(msg);
  });

  it('resources: reservations first, limits as fallback, then v2 keys; compose bare memory is bytes', () => {
    const res = (lines: string): AppSpec['resources'] | undefined => parseCompose(withPort(lines)).apps[0]?.resources;
    expect(res('')).toEqual({ cpus: 0, memoryMb: 0 });
    expect(res('    deploy: { resources: { limits: { cpus: 2, memory: 1G } } }\n')).toEqual({ cpus: 2, memoryMb: 1024 });
    expect(res('    deploy: { resources: { reservations: { memory: 128M }, limits: { cpus: "2", memory: 1G } } }\n')).toEqual({ cpus: 2, memoryMb: 128 });
    expect(res('    mem_limit: 1g\n    mem_reservation: 100m\n    cpus: "1.5"\n')).toEqual({ cpus: 1.5, memoryMb: 100 });
    expect(res('    mem_limit: 1g\n')).toEqual({ cpus: 0, memoryMb: 1024 });
    expect(res('    mem_limit: 67108864\n')).toEqual({ cpus: 0, memoryMb: 64 });
    expect(res('    mem_limit: 64mb\n')).toEqual({ cpus: 0, memoryMb: 64 });
  });

  it('replicas: deploy.replicas, scale, default 1', () => {
    expect(parseCompose(withPort('')).apps[0]?.replicas).toBe(1);
    expect(parseCompose(withPort('    scale: 4\n')).apps[0]?.replicas).toBe(4);
    expect(parseCompose(withPort('    deploy: { replicas: 0 }\n')).apps[0]?.replicas).toBe(0);
    expect(parseCompose(withPort('    scale: 2\n    deploy: { replicas: 2 }\n')).apps[0]?.replicas).toBe(2);
  });

  it('restart: the key, else deploy.restart_policy, else unless-stopped', () => {
    const restart = (lines: string): string | undefined => parseCompose(withPort(lines)).apps[0]?.restart;
    expect(restart('')).toBe('unless-stopped');
    expect(restart('    restart: "no"\n')).toBe('no');
    expect(restart('    restart: no\n')).toBe('no');
    expect(restart('    restart: unless-stopped\n')).toBe('unless-stopped');
    expect(restart('    deploy: { restart_policy: { condition: none } }\n')).toBe('no');
    expect(restart('    deploy: { restart_policy: { condition: any } }\n')).toBe('always');
    expect(restart('    deploy: { restart_policy: {} }\n')).toBe('always');
  });

  it('depends_on: list or map form', () => {
    const t =
      'services:\n  a: { image: x, ports: ["1"], depends_on: { b: { condition: service_started }, c: null } }\n  b: { image: x, ports: ["1"] }\n  c: { image: x, ports: ["1"] }\n';
    const { apps, warnings } = parseCompose(t);
    expect(apps[0]?.dependsOn).toEqual([
      { app: 'b', colocate: false },
      { app: 'c', colocate: false },
    ]);
    expect(warnings).toEqual([]);
  });
});

describe('parseCompose: warnings for what is ignored', () => {
  it('lists every unsupported key with its path, and still imports', () => {
    const text = `
version: "3"
name: shop
x-common: &common { restart: always }
volumes: { data: {} }
networks: { back: {} }
services:
  web:
    <<: *common
    image: cloud/x
    build: .
    command: [ "httpd", "-f" ]
    volumes: [ "data:/data" ]
    networks: [ back ]
    container_name: web1
    x-note: fine
    ports: [ { target: 8080, published: 80, mode: host } ]
    expose: [ 9000 ]
    environment: [ "FROM_SHELL", "A=1" ]
    healthcheck: { test: [ "CMD", "true" ], interval: 5s }
    depends_on: { db: { condition: service_healthy, restart: true } }
    restart: on-failure:3
    deploy:
      mode: replicated
      replicas: 2
      update_config: { parallelism: 1 }
      resources:
        reservations: { cpus: "0.5", devices: [] }
      placement: { constraints: [ "node.labels.zone==a" ], preferences: [] }
      restart_policy: { condition: any }
  db:
    image: cloud/db
    ports: [ "5432" ]
    labels: [ "a=b" ]
    environment: { PASSWORD: "\${DB_PASSWORD}" }
`;
    const { apps, warnings } = parseCompose(text, 'docker-compose.yml');
    expect(apps.map((a) => [a.name, a.replicas, a.port, a.publish, a.restart])).toEqual([
      ['db', 1, 5432, undefined, 'unless-stopped'],
      ['web', 2, 8080, 80, 'on-failure'],
    ]);
    expect(apps[1]?.env).toEqual({ A: '1' });
    expect(apps[1]?.command).toEqual(['httpd', '-f']);
    expect(apps[0]?.command).toBeUndefined();
    expect(apps[0]?.env).toEqual({ PASSWORD: '${DB_PASSWORD}' });
    expect(apps[1]?.volumes).toEqual([{ name: 'data', target: '/data', readOnly: false }]);
    expect(warnings.map((w) => [w.path, w.message])).toEqual([
      ['networks', '"networks" is not supported by cloudmatrix; ignored'],
      ['services.db.environment.PASSWORD', 'variable substitution ($VAR, ${VAR}, $$) is not supported; the value is used as written'],
      ['services.web.build', '"build" is not supported by cloudmatrix; ignored'],
      ['services.web.networks', '"networks" is not supported by cloudmatrix; ignored'],
      ['services.web.container_name', '"container_name" is not supported by cloudmatrix; ignored'],
      ['services.web.expose', '"expose" is ignored when "ports" is given'],
      ['services.web.ports[0].mode', '"mode" is not used by cloudmatrix; ignored'],
      ['services.web.deploy.mode', '"mode" is not supported by cloudmatrix; ignored'],
      ['services.web.deploy.update_config', '"update_config" is not supported by cloudmatrix; ignored'],
      ['services.web.deploy.resources.reservations.devices', '"devices" is not supported by cloudmatrix; ignored'],
      ['services.web.deploy.placement.preferences', '"preferences" is not supported by cloudmatrix; ignored'],
      ['services.web.depends_on.db.condition', 'condition service_healthy is not supported; treated as service_started'],
      ['services.web.depends_on.db.restart', '"restart" is not supported by cloudmatrix; ignored'],
      ['services.web.environment[0]', '"FROM_SHELL" has no value: a value taken from the shell is not supported; ignored'],
      ['services.web.deploy.restart_policy', '"restart" is given, so deploy.restart_policy is ignored'],
      ['services.web.restart', 'the retry count of on-failure is not supported; retries are unlimited'],
      ['services.web.healthcheck', 'health check commands are not run; cloudmatrix probes HTTP: use `health:` in a matrix.yaml to get one'],
      ['services.db.labels', '"labels" is not supported by cloudmatrix; ignored'],
    ]);
  });

  it('has no warnings for a plain file', () => {
    expect(parseCompose(withPort('')).warnings).toEqual([]);
  });
});

describe('parseCompose: errors, with their paths', () => {
  it.each([
    ['ports: ["5050:8080", "9090:9090"]', 'services.web.ports', 'exactly one port is needed, got 2: cloudmatrix routes one container port per app'],
    ['ports: []', 'services.web.ports', 'exactly one port is needed, got 0: cloudmatrix routes one container port per app'],
    ['ports: "8080"', 'services.web.ports', 'must be a list of ports'],
    ['ports: ["5000-5010:8080"]', 'services.web.ports[0]', 'port ranges are not supported: exactly one port is needed'],
    ['ports: ["5050:8080/udp"]', 'services.web.ports[0]', 'protocol udp is not supported: cloudmatrix routes HTTP over tcp'],
    [
      'ports: ["127.0.0.1:5050:8080"]',
      'services.web.ports[0]',
      'binding to host address 127.0.0.1 is not supported: published ports listen on every address of the node',
    ],
    ['ports: ["70000:8080"]', 'services.web.ports[0]', 'host port must be an integer in 1..65535'],
    ['ports: ["5050:0"]', 'services.web.ports[0]', 'container port must be an integer in 1..65535'],
    ['ports: ["http"]', 'services.web.ports[0]', 'must be "container", "host:container" or a long-syntax mapping (target, published)'],
    ['ports: [true]', 'services.web.ports[0]', 'must be "container", "host:container" or a long-syntax mapping (target, published)'],
    ['ports: [{ published: 80 }]', 'services.web.ports[0]', 'target (the container port) is required'],
    ['ports: [{ target: 0 }]', 'services.web.ports[0]', 'target must be an integer in 1..65535'],
    ['ports: [{ target: 80, published: 0 }]', 'services.web.ports[0]', 'published must be an integer in 1..65535'],
    ['ports: [{ target: 80, published: "8000-8010" }]', 'services.web.ports[0]', 'port ranges are not supported: exactly one port is needed'],
    ['ports: [{ target: 80, protocol: udp }]', 'services.web.ports[0]', 'protocol udp is not supported: cloudmatrix routes HTTP over tcp'],
    ['expose: ["5050:8080"]', 'services.web.expose[0]', 'must be a container port (expose publishes nothing)'],
    ['expose: [1, 2]', 'services.web.expose', 'exactly one port is needed, got 2: cloudmatrix routes one container port per app'],
  ])('%s', (line, path, message) => {
    expect(problems(svc(`    ${line}\n`))).toEqual([[path, message]]);
  });

  it('a service without any port', () => {
    expect(problems(svc(''))).toEqual([
      ['services.web.ports', 'exactly one port is needed (the container port the app listens on), e.g. ports: ["5050:8080"] or ["8080"]'],
    ]);
  });

  it.each([
    ['deploy: { replicas: -1 }', 'services.web.deploy.replicas', 'must be an integer >= 0'],
    ['scale: 20000', 'services.web.scale', 'must be <= 10000'],
    [
      'deploy: { resources: { reservations: { cpus: "lots" } } }',
      'services.web.deploy.resources.reservations.cpus',
      'must be a number of CPUs > 0 and <= 1024',
    ],
    [
      'deploy: { resources: { limits: { memory: 64Q } } }',
      'services.web.deploy.resources.limits.memory',
      'must be a memory size > 0 like 64M, 512Mi, 1G (a plain number is bytes)',
    ],
    ['mem_limit: 20t', 'services.web.mem_limit', 'must be <= 16T'],
    ['cpus: 0', 'services.web.cpus', 'must be a number of CPUs > 0 and <= 1024'],
    ['deploy: { resources: [] }', 'services.web.deploy.resources', 'must be a mapping (reservations, limits)'],
    ['deploy: { resources: { limits: 1 } }', 'services.web.deploy.resources.limits', 'must be a mapping (cpus, memory)'],
    ['deploy: 3', 'services.web.deploy', 'must be a mapping'],
    [
      'deploy: { placement: { constraints: ["node.role == manager"] } }',
      'services.web.deploy.placement.constraints[0]',
      'unsupported constraint "node.role": only node.hostname and node.labels.<key> are supported',
    ],
    [
      'deploy: { placement: { constraints: [1] } }',
      'services.web.deploy.placement.constraints[0]',
      'must be a string like "node.labels.zone == a", got a number',
    ],
    [
      'deploy: { placement: { constraints: "node.labels.a==b" } }',
      'services.web.deploy.placement.constraints',
      'must be a list of constraints like "node.labels.zone == a"',
    ],
    ['deploy: { placement: [] }', 'services.web.deploy.placement', 'must be a mapping (constraints)'],
    ['restart: sometimes', 'services.web.restart', 'must be one of always, unless-stopped, on-failure, no (or on-failure:N)'],
    ['deploy: { restart_policy: { condition: never } }', 'services.web.deploy.restart_policy.condition', 'must be one of none, on-failure, any'],
    ['deploy: { restart_policy: always }', 'services.web.deploy.restart_policy', 'must be a mapping (condition)'],
    ['environment: { "A-B": x }', 'services.web.environment.A-B', 'bad env key "A-B": must match ^[A-Za-z_][A-Za-z0-9_]*$'],
    ['environment: "A=1"', 'services.web.environment', 'must be a mapping of KEY: value or a list of "KEY=value"'],
    ['depends_on: [nope]', 'services.web.depends_on[0]', 'unknown service "nope": the file has web'],
    ['depends_on: [web]', 'services.web.depends_on[0]', '"web" is the service itself'],
    ['depends_on: { nope: null }', 'services.web.depends_on.nope', 'unknown service "nope": the file has web'],
    ['depends_on: "db"', 'services.web.depends_on', 'must be a list of service names or a mapping, got a string'],
  ])('%s', (line, path, message) => {
    expect(problems(withPort(`    ${line}\n`))).toEqual([[path, message]]);
  });

  it('scale contradicting deploy.replicas', () => {
    expect(problems(withPort('    scale: 2\n    deploy: { replicas: 3 }\n'))).toEqual([['services.web.scale', '2 contradicts deploy.replicas (3)']]);
  });

  it('image is required and checked', () => {
    expect(problems('services:\n  web: { ports: ["1"] }\n')).toEqual([
      ['services.web.image', 'is required (building images is not supported: push the image to the cluster registry)'],
    ]);
    expect(problems('services:\n  web: { image: "Web:1", ports: ["1"] }\n')).toEqual([
      ['services.web.image', 'invalid image reference "Web:1": repository names must be lowercase'],
    ]);
  });

  it('service names must be cloudmatrix app names', () => {
    const [p] = problems('services:\n  my_web: { image: x, ports: ["1"] }\n');
    expect(p?.[0]).toBe('services.my_web');
    expect(p?.[1]).toMatch(/^bad service name "my_web": cloudmatrix app names are used in URLs/);
  });

  it('top level and service shapes', () => {
    expect(problems('[]\n', 'c.yaml')).toEqual([['c.yaml', 'must be a mapping with a `services:` key, got a list']]);
    expect(problems('version: "3"\n')).toEqual([['services', 'is required: a mapping of service name to service']]);
    expect(problems('services: [web]\n')).toEqual([['services', 'must be a mapping of service name to service, got a list']]);
    expect(problems('services:\n  web: nginx\n')).toEqual([['services.web', 'must be a mapping (image, ports, ...), got a string']]);
  });

  it('depends_on cycles', () => {
    const t =
      'services:\n  a: { image: x, ports: ["1"], depends_on: [b] }\n  b: { image: x, ports: ["1"], depends_on: { a: { condition: service_started } } }\n';
    expect(problems(t)).toEqual([['services.a.depends_on', 'dependency cycle: a -> b -> a']]);
  });

  it('all problems at once, wrapped like plan errors', () => {
    const t = 'services:\n  a: { image: x, ports: ["1", "2"], deploy: { replicas: -1 } }\n  b: { ports: ["0"], restart: later }\n';
    const e = fail(t, 'docker-compose.yml');
    expect(e.message).toBe('5 problems in docker-compose.yml');
    expect(e.details?.map((d) => d.path)).toEqual([
      'services.a.ports',
      'services.a.deploy.replicas',
      'services.b.image',
      'services.b.ports[0]',
      'services.b.restart',
    ]);
  });

  it('YAML syntax errors at <file>:<line>', () => {
    const e = fail('services:\n  web:\n    image: "x\n', 'compose.yaml');
    expect(e.details?.[0]?.path).toMatch(/^compose\.yaml:\d+$/);
  });
});

describe('parseCompose: host access', () => {
  const host = (lines: string): AppSpec['host'] => parseCompose(withPort(lines)).apps[0]?.host;
  /** [code, path, message] of every problem, whatever the code. */
  const refused = (text: string): [string, string | undefined, string][] => {
    try {
      parseCompose(text, 'c.yml');
    } catch (e) {
      return ((e as MatrixError).details ?? []).map((d) => [d.code, d.path, d.message]);
    }
    throw new Error('parseCompose did not throw');
  };
  const RELATIVE = (v: string): string =>
    `${JSON.stringify(v)} is relative: a node has no notion of the deploying machine's directory (or home), so give an absolute path on the node, like /srv/data`;
  const HOST_PORT = (port: number): string =>
    `with the host network the app listens on the node's port ${port} itself: publish must equal port (or be left out)`;

  it("reads every key into the app's host, without warnings", () => {
    const text = `services:
  agent:
    image: cloud/agent
    ports: ["8080"]
    privileged: true
    cap_add: [ NET_ADMIN, CAP_SYS_TIME, net_admin ]
    devices: [ /dev/fuse, "/dev/sda:/dev/xvda:r" ]
    pid: host
    ipc: host
    network_mode: host
    volumes:
      - /var/log:/host/log:ro
      - /srv/data:/data
      - type: bind
        source: /etc/app
        target: /etc/app
        read_only: true
      - { type: bind, source: /srv/cache, target: /cache, read_only: false }
`;
    const { apps, warnings } = parseCompose(text);
    expect(warnings).toEqual([]);
    expect(apps[0]).toEqual({
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
        capAdd: ['NET_ADMIN', 'SYS_TIME'],
        devices: [
          { host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' },
          { host: '/dev/sda', container: '/dev/xvda', permissions: 'r' },
        ],
        pid: 'host',
        ipc: 'host',
        network: 'host',
        binds: [
          { source: '/var/log', target: '/host/log', readOnly: true },
          { source: '/srv/data', target: '/data', readOnly: false },
          { source: '/etc/app', target: '/etc/app', readOnly: true },
          { source: '/srv/cache', target: '/cache', readOnly: false },
        ],
      },
      restart: 'unless-stopped',
      source: 'compose.yaml#services.agent',
    } satisfies AppSpec);
  });

  it('what asks for nothing gives no host key; other modes and volumes without node paths stay warnings, as before', () => {
    const lines = `    privileged: false
    cap_add: []
    devices: []
    pid: "service:db"
    ipc: private
    network_mode: bridge
    userns_mode: private
    security_opt: []
    volumes:
      - data:/data
      - /cache
      - ./relative-alone
      - { type: volume, source: cache, target: /d2 }
      - { type: tmpfs, target: /tmp }
`;
    const { apps, warnings } = parseCompose(withPort(lines));
    expect(Object.keys(apps[0] ?? {})).not.toContain('host');
    // named volumes are read (not host access); the others are each ignored with a warning
    expect(apps[0]?.volumes).toEqual([
      { name: 'data', target: '/data', readOnly: false },
      { name: 'cache', target: '/d2', readOnly: false },
    ]);
    expect(apps[0]?.publish).toBeUndefined();
    expect(warnings.map((w) => [w.path, w.message])).toEqual([
      ['services.web.pid', '"pid" is not supported by cloudmatrix; ignored'],
      ['services.web.ipc', '"ipc" is not supported by cloudmatrix; ignored'],
      ['services.web.network_mode', '"network_mode" is not supported by cloudmatrix; ignored'],
      ['services.web.userns_mode', '"userns_mode" is not supported by cloudmatrix; ignored'],
      ['services.web.security_opt', '"security_opt" is not supported by cloudmatrix; ignored'],
      ['services.web.volumes[1]', ANONYMOUS('/cache')],
      ['services.web.volumes[2]', ANONYMOUS('./relative-alone')],
      ['services.web.volumes[4]', 'volumes of type "tmpfs" are not supported by cloudmatrix (only named volumes and type bind, a node path); ignored'],
    ]);
  });

  it.each(['volumes: { data: /data }', 'volumes: "/srv:/srv"', 'volumes: []', 'volumes:', 'volumes: [ "/srv" ]'])(
    '%s mounts no node path: ignored as a whole, as before',
    (line) => {
      const { apps, warnings } = parseCompose(withPort(`    ${line}\n`));
      expect(apps[0]?.host).toBeUndefined();
      expect(warnings).toEqual([{ path: 'services.web.volumes', message: '"volumes" is not supported by cloudmatrix; ignored' }]);
    },
  );

  it('in a list that mounts node paths, named volumes are read and every other entry is ignored with its own warning', () => {
    const lines = `    volumes:
      - /srv/data:/data
      - data:/named
      - /cache
      - ./relative-alone
      - { type: volume, source: data2, target: /d2 }
      - { source: named, target: /d3 }
      - { type: tmpfs, target: /tmp }
      - { type: npipe, source: x, target: /p }
      - { type: 5, source: /srv, target: /q }
`;
    const { apps, warnings } = parseCompose(withPort(lines));
    expect(apps[0]?.host).toEqual({ binds: [{ source: '/srv/data', target: '/data', readOnly: false }] });
    expect(apps[0]?.volumes).toEqual([
      { name: 'data', target: '/named', readOnly: false },
      { name: 'data2', target: '/d2', readOnly: false },
      { name: 'named', target: '/d3', readOnly: false },
    ]);
    expect(warnings.map((w) => [w.path, w.message])).toEqual([
      ['services.web.volumes[2]', ANONYMOUS('/cache')],
      ['services.web.volumes[3]', ANONYMOUS('./relative-alone')],
      ['services.web.volumes[6]', 'volumes of type "tmpfs" are not supported by cloudmatrix (only named volumes and type bind, a node path); ignored'],
      ['services.web.volumes[7]', 'volumes of type "npipe" are not supported by cloudmatrix (only named volumes and type bind, a node path); ignored'],
      ['services.web.volumes[8]', 'volumes of type 5 are not supported by cloudmatrix (only named volumes and type bind, a node path); ignored'],
    ]);
  });

  it('long syntax: a mapping without type is a bind when its source is a path; unused bind keys are warnings', () => {
    const lines = '    volumes: [ { source: /srv, target: /srv, bind: { propagation: rshared }, consistency: cached } ]\n';
    const { apps, warnings } = parseCompose(withPort(lines));
    expect(apps[0]?.host).toEqual({ binds: [{ source: '/srv', target: '/srv', readOnly: false }] });
    expect(warnings.map((w) => [w.path, w.message])).toEqual([
      ['services.web.volumes[0].bind', '"bind" is not supported by cloudmatrix; ignored'],
      ['services.web.volumes[0].consistency', '"consistency" is not supported by cloudmatrix; ignored'],
    ]);
  });

  it('the host network: publish is the port (from ports or expose); a different published port is an error at the port', () => {
    const publish = (lines: string): number | undefined => parseCompose(svc(lines)).apps[0]?.publish;
    expect(publish('    ports: ["8080"]\n    network_mode: host\n')).toBe(8080);
    expect(publish('    ports: ["8080:8080"]\n    network_mode: host\n')).toBe(8080);
    expect(publish('    ports: [{ target: 8080, published: 8080 }]\n    network_mode: host\n')).toBe(8080);
    expect(publish('    expose: [3000]\n    network_mode: host\n')).toBe(3000);
    expect(refused(svc('    ports: ["5050:8080"]\n    network_mode: host\n'))).toEqual([['E_SPEC_INVALID', 'services.web.ports[0]', HOST_PORT(8080)]]);
    expect(refused(svc('    ports: [{ target: 80, published: "8000" }]\n    network_mode: host\n'))).toEqual([
      ['E_SPEC_INVALID', 'services.web.ports[0]', HOST_PORT(80)],
    ]);
    // a port that is wrong anyway is reported once, as such
    expect(refused(svc('    ports: ["5050:0"]\n    network_mode: host\n'))).toEqual([
      ['E_SPEC_INVALID', 'services.web.ports[0]', 'container port must be an integer in 1..65535'],
    ]);
  });

  it('userns_mode: host and security_opt are still refused: no policy key allows them', () => {
    expect(refused(withPort('    userns_mode: host\n    security_opt: [ "seccomp:unconfined" ]\n'))).toEqual([
      [
        'E_POLICY_DENIED',
        'services.web.userns_mode',
        "userns_mode: host (the node's user namespace) is refused: cloudmatrix never allows it (there is no cluster policy key for it)",
      ],
      [
        'E_POLICY_DENIED',
        'services.web.security_opt',
        'security_opt (changed security options) is refused: cloudmatrix never allows it (there is no cluster policy key for it)',
      ],
    ]);
    expect(refused(withPort('    security_opt: { label: disable }\n')).map(([code, path]) => [code, path])).toEqual([
      ['E_POLICY_DENIED', 'services.web.security_opt'],
    ]);
  });

  it.each([
    ['privileged: "true"', 'services.web.privileged', 'must be true or false, got a string'],
    ['privileged: yes', 'services.web.privileged', 'must be true or false, got a string'],
    ['privileged:', 'services.web.privileged', 'must be true or false, got nothing'],
    ['cap_add: NET_ADMIN', 'services.web.cap_add', 'must be a list of capability names like NET_ADMIN'],
    [
      'cap_add: [ "NET ADMIN" ]',
      'services.web.cap_add[0]',
      'bad capability "NET ADMIN": must be a kernel capability like NET_ADMIN or CAP_NET_ADMIN (without CAP_, matching ^[A-Z][A-Z0-9_]{1,31}$)',
    ],
    ['cap_add: [ { name: X } ]', 'services.web.cap_add[0]', 'must be a capability name like NET_ADMIN, got a mapping'],
    ['devices: "/dev/fuse"', 'services.web.devices', 'must be a list of devices like "/dev/fuse" or "HOST:CONTAINER:PERMS"'],
    ['devices: [ "/dev/sda:/mnt/sda" ]', 'services.web.devices[0]', 'container path "/mnt/sda" must be a device path under /dev/, like /dev/fuse'],
    ['devices: [ /dev/../sda ]', 'services.web.devices[0]', 'host path "/dev/../sda" must not contain ".." segments'],
    [
      'devices: [ "/dev/sda:/dev/sda:rwx" ]',
      'services.web.devices[0]',
      'permissions "rwx" must be a non-empty subset of rwm (r read, w write, m mknod), each letter once',
    ],
    [
      'devices: [ { source: /dev/fuse, target: /dev/fuse } ]',
      'services.web.devices[0]',
      'must be "HOST[:CONTAINER[:PERMS]]" like "/dev/fuse" or "/dev/ttyUSB0:/dev/ttyS0:rw", got a mapping',
    ],
    ['devices: [ /dev/a, "/dev/b:/dev/a" ]', 'services.web.devices[1]', 'container path "/dev/a" is given twice'],
    [
      'volumes: [ "/srv:/srv", 5 ]',
      'services.web.volumes[1]',
      'must be a string "/node/path:/container/path[:ro|rw]" or a mapping (type, source, target, read_only), got a number',
    ],
    ['volumes: [ "./data:/data" ]', 'services.web.volumes[0]', `source ${RELATIVE('./data')}`],
    ['volumes: [ "../shared:/shared:ro" ]', 'services.web.volumes[0]', `source ${RELATIVE('../shared')}`],
    ['volumes: [ ".:/app" ]', 'services.web.volumes[0]', `source ${RELATIVE('.')}`],
    ['volumes: [ "~/.ssh:/root/.ssh:ro" ]', 'services.web.volumes[0]', `source ${RELATIVE('~/.ssh')}`],
    ['volumes: [ "/srv/../etc:/etc2" ]', 'services.web.volumes[0]', 'source "/srv/../etc" must not contain ".." segments'],
    ['volumes: [ "/srv:data" ]', 'services.web.volumes[0]', 'target "data" must be an absolute path in the container, like /data'],
    ['volumes: [ "/srv:/" ]', 'services.web.volumes[0]', 'target must not be "/": it would hide the container\'s whole filesystem'],
    ['volumes: [ "/srv:/data/../etc" ]', 'services.web.volumes[0]', 'target "/data/../etc" must not contain ".." segments'],
    ['volumes: [ "/srv:/data:z" ]', 'services.web.volumes[0]', 'mode "z" must be ro (read-only) or rw (read-write, the default)'],
    ['volumes: [ "/srv:/data:cached" ]', 'services.web.volumes[0]', 'mode "cached" must be ro (read-only) or rw (read-write, the default)'],
    ['volumes: [ "/a:/b:ro:z" ]', 'services.web.volumes[0]', 'bad volume "/a:/b:ro:z": must be "/node/path:/container/path" with an optional ":ro" or ":rw"'],
    ['volumes: [ { type: bind, source: ./data, target: /data } ]', 'services.web.volumes[0].source', RELATIVE('./data')],
    ['volumes: [ { source: ~/data, target: /data } ]', 'services.web.volumes[0].source', RELATIVE('~/data')],
    [
      'volumes: [ { type: bind, source: data, target: /data } ]',
      'services.web.volumes[0].source',
      '"data" must be an absolute path on the node, like /srv/data (named volumes are not supported)',
    ],
    ['volumes: [ { type: bind, source: 5, target: /data } ]', 'services.web.volumes[0].source', 'must be an absolute path on the node, got a number'],
    ['volumes: [ { type: bind, target: /data } ]', 'services.web.volumes[0].source', 'is required: an absolute path on the node'],
    ['volumes: [ { type: bind, source: /srv } ]', 'services.web.volumes[0].target', 'is required: an absolute path in the container'],
    [
      'volumes: [ { type: bind, source: /srv, target: data } ]',
      'services.web.volumes[0].target',
      '"data" must be an absolute path in the container, like /data',
    ],
    [
      'volumes: [ { type: bind, source: /srv, target: / } ]',
      'services.web.volumes[0].target',
      'must not be "/": it would hide the container\'s whole filesystem',
    ],
    ['volumes: [ { type: bind, source: /srv, target: /d, read_only: yes } ]', 'services.web.volumes[0].read_only', 'must be true or false'],
    ['volumes: [ "/a:/data", { type: bind, source: /b, target: /data } ]', 'services.web.volumes[1]', 'target "/data" is given twice'],
  ])('%s', (line, path, message) => {
    expect(refused(withPort(`    ${line}\n`))).toEqual([['E_SPEC_INVALID', path, message]]);
  });

  it.each([
    ['cap_add', (i: number) => `CAP${i}`, 'capabilities'],
    ['devices', (i: number) => `/dev/d${i}`, 'devices'],
    ['volumes', (i: number) => `/srv/${i}:/data/${i}`, 'volumes'],
  ])('%s: at most 64', (key, item, what) => {
    const list = (n: number): string => JSON.stringify(Array.from({ length: n }, (_, i) => item(i)));
    expect(host(`    ${key}: ${list(64)}\n`)).toBeDefined();
    expect(refused(withPort(`    ${key}: ${list(65)}\n`))).toEqual([['E_SPEC_INVALID', `services.web.${key}`, `must have at most 64 ${what}, got 65`]]);
  });

  it('every problem of every key at once, after the others of the service', () => {
    const lines = '    privileged: 1\n    cap_add: [x]\n    devices: [sda]\n    volumes: ["./a:/a", { type: bind }]\n    restart: later\n';
    expect(refused(withPort(lines)).map(([, p]) => p)).toEqual([
      'services.web.restart',
      'services.web.privileged',
      'services.web.cap_add[0]',
      'services.web.devices[0]',
      'services.web.volumes[0]',
      'services.web.volumes[1].source',
      'services.web.volumes[1].target',
    ]);
  });

  it('host paths in volumes still get the ${VAR} warning (the value is used as written)', () => {
    const { apps, warnings } = parseCompose(withPort('    volumes: [ "/srv/${APP}:/data" ]\n'));
    expect(apps[0]?.host).toEqual({ binds: [{ source: '/srv/${APP}', target: '/data', readOnly: false }] });
    expect(warnings.map((w) => w.path)).toEqual(['services.web.volumes[0]']);
  });
});

describe('parseCompose: secrets', () => {
  /** A file with the top-level `secrets:` lines `top` and the service lines `lines`. */
  const file = (top: string, lines: string): string => `secrets:\n${top}${withPort(lines)}`;
  const secrets = (top: string, lines: string): AppSpec['secrets'] => parseCompose(file(top, lines)).apps[0]?.secrets;
  const NAME_RULE = '^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?$';
  const STORE = (name: string, from: string, what = 'files'): string =>
    `cloudmatrix keeps secret values in its encrypted store, not in ${what}: run \`matrix secret set ${name} < ${from}\` and declare it \`external: true\``;

  it('short and long syntax; the top-level name is the store name', () => {
    const top =
      '  db_password: { external: true }\n  api: { external: true, name: prod-api-key }\n  tls: { name: tls-2024 }\n  old: { external: false, name: old }\n';
    const lines = `    secrets:
      - db_password
      - source: api
        target: api.key
      - { source: tls, target: /run/secrets/tls.pem }
      - { source: db_password, target: pw }
      - { source: old }
`;
    const { apps, warnings } = parseCompose(file(top, lines));
    expect(warnings).toEqual([]);
    expect(apps[0]?.secrets).toEqual([
      { name: 'db_password', file: 'db_password' },
      { name: 'prod-api-key', file: 'api.key' },
      { name: 'tls-2024', file: 'tls.pem' },
      { name: 'db_password', file: 'pw' },
      { name: 'old', file: 'old' },
    ]);
  });

  it('declared but unused secrets, or none at all: no secrets key on the app', () => {
    expect(Object.keys(parseCompose(file('  db: { external: true }\n', '')).apps[0] ?? {})).not.toContain('secrets');
    expect(Object.keys(parseCompose(file('  db: { external: true }\n', '    secrets: []\n')).apps[0] ?? {})).not.toContain('secrets');
    expect(secrets('  db: { external: true }\n', '    secrets: [ db ]\n')).toEqual([{ name: 'db', file: 'db' }]);
  });

  it('uid, gid, mode and unknown keys are warnings', () => {
    const top = '  db: { external: true, labels: { a: b }, x-note: 1 }\n';
    const { apps, warnings } = parseCompose(file(top, '    secrets: [ { source: db, uid: "103", gid: "103", mode: 0o440, extra: 1 } ]\n'));
    expect(apps[0]?.secrets).toEqual([{ name: 'db', file: 'db' }]);
    expect(warnings.map((w) => [w.path, w.message])).toEqual([
      ['secrets.db.labels', '"labels" is not supported by cloudmatrix; ignored'],
      ['services.web.secrets[0].extra', '"extra" is not supported by cloudmatrix; ignored'],
      ['services.web.secrets[0].uid', '"uid" is not supported; files are root-owned, mode 0444'],
      ['services.web.secrets[0].gid', '"gid" is not supported; files are root-owned, mode 0444'],
      ['services.web.secrets[0].mode', '"mode" is not supported; files are root-owned, mode 0444'],
    ]);
  });

  it.each([
    // service level
    ['  db: { external: true }\n', 'secrets: db', 'services.web.secrets', 'must be a list of secret names or { source, target }'],
    ['  db: { external: true }\n', 'secrets: [ 1 ]', 'services.web.secrets[0]', 'must be a secret name or { source, target }, got a number'],
    [
      '  db: { external: true }\n',
      'secrets: [ { target: x } ]',
      'services.web.secrets[0].source',
      'is required: a secret declared under the top-level `secrets:`',
    ],
    ['  db: { external: true }\n', 'secrets: [ { source: [db] } ]', 'services.web.secrets[0].source', 'must be a secret name, got a list'],
    [
      '  db: { external: true }\n',
      'secrets: [ nope ]',
      'services.web.secrets[0]',
      'service "web" refers to undefined secret nope: declare it under the top-level `secrets:`, e.g. nope: { external: true }',
    ],
    [
      '  db: { external: true }\n',
      'secrets: [ { source: nope } ]',
      'services.web.secrets[0].source',
      'service "web" refers to undefined secret nope: declare it under the top-level `secrets:`, e.g. nope: { external: true }',
    ],
    [
      '  db: { external: true }\n',
      'secrets: [ { source: db, target: /etc/db.pw } ]',
      'services.web.secrets[0].target',
      '"/etc/db.pw" is outside /run/secrets: cloudmatrix mounts secrets only there, so give a file name or /run/secrets/<file>',
    ],
    [
      '  db: { external: true }\n',
      'secrets: [ { source: db, target: /run/secrets/a/b } ]',
      'services.web.secrets[0].target',
      `bad file name "a/b": must be one file under /run/secrets matching ${NAME_RULE}`,
    ],
    [
      '  db: { external: true }\n',
      'secrets: [ { source: db, target: /run/secrets/ } ]',
      'services.web.secrets[0].target',
      `bad file name "": must be one file under /run/secrets matching ${NAME_RULE}`,
    ],
    [
      '  db: { external: true }\n',
      'secrets: [ { source: db, target: certs/db.pem } ]',
      'services.web.secrets[0].target',
      `bad file name "certs/db.pem": must be one file under /run/secrets matching ${NAME_RULE}`,
    ],
    ['  db: { external: true }\n', 'secrets: [ { source: db, target: 5 } ]', 'services.web.secrets[0].target', 'must be a file name, got a number'],
    ['  db: { external: true }\n', 'secrets: [ db, db ]', 'services.web.secrets[1]', 'file "db" is given twice'],
    [
      '  db: { external: true }\n  pw: { external: true }\n',
      'secrets: [ { source: db, target: pw }, pw ]',
      'services.web.secrets[1]',
      'file "pw" is given twice',
    ],
    // top level
    ['  - db\n', '', 'secrets', 'must be a mapping of secret name to { external: true } or { name: <store name> }, got a list'],
    ['  db: true\n', '', 'secrets.db', 'must be a mapping: { external: true } or { name: <store name> }, got a boolean'],
    ['  db:\n', '', 'secrets.db', 'must be a mapping: { external: true } or { name: <store name> }, got nothing'],
    ['  db: {}\n', '', 'secrets.db', 'must say which secret of the store it is: `external: true` (the secret "db") or `name: <store name>`'],
    ['  db: { external: false }\n', '', 'secrets.db', 'must say which secret of the store it is: `external: true` (the secret "db") or `name: <store name>`'],
    ['  db: { external: yes }\n', '', 'secrets.db.external', 'must be true or false (the store name goes in `name:`)'],
    ['  db: { external: { name: prod-db } }\n', '', 'secrets.db.external', 'must be true or false (the store name goes in `name:`)'],
    ['  db: { file: ./db_password.txt }\n', '', 'secrets.db.file', STORE('db', './db_password.txt')],
    ['  db: { file: ./pw.txt, name: prod-db }\n', '', 'secrets.db.file', STORE('prod-db', './pw.txt')],
    ['  db: { external: true, file: 3 }\n', '', 'secrets.db.file', STORE('db', '<file>')],
    ['  db: { environment: DB_PASSWORD }\n', '', 'secrets.db.environment', STORE('db', '<file>', 'environment variables')],
    ['  db: { name: 5 }\n', '', 'secrets.db.name', 'must be a secret name, got a number'],
    [
      '  db: { name: "prod/db" }\n',
      '',
      'secrets.db.name',
      `bad secret name "prod/db": must match ${NAME_RULE} (letters, digits, "-", "_", ".", at most 64, alphanumeric at both ends)`,
    ],
    [
      '  _db: { external: true }\n',
      '',
      'secrets._db',
      `bad secret name "_db": must match ${NAME_RULE} (letters, digits, "-", "_", ".", at most 64, alphanumeric at both ends)`,
    ],
  ])('top %j, service %j', (top, line, path, message) => {
    expect(problems(file(top, line === '' ? '' : `    ${line}\n`))).toEqual([[path, message]]);
  });

  it('no top-level secrets: every referenced secret is undefined', () => {
    expect(problems(withPort('    secrets: [ db, { source: api, target: /etc/x } ]\n'))).toEqual([
      ['services.web.secrets[0]', 'service "web" refers to undefined secret db: declare it under the top-level `secrets:`, e.g. db: { external: true }'],
      ['services.web.secrets[1].target', '"/etc/x" is outside /run/secrets: cloudmatrix mounts secrets only there, so give a file name or /run/secrets/<file>'],
      [
        'services.web.secrets[1].source',
        'service "web" refers to undefined secret api: declare it under the top-level `secrets:`, e.g. api: { external: true }',
      ],
    ]);
  });

  it('a broken declaration is reported once, not again at the services that use it', () => {
    expect(problems(file('  db: { file: ./pw }\n  bad/name: { external: true }\n', '    secrets: [ db, bad/name ]\n')).map(([p]) => p)).toEqual([
      'secrets.db.file',
      'secrets.bad/name',
    ]);
    expect(problems(`secrets: [ db ]\n${withPort('    secrets: [ db ]\n')}`).map(([p]) => p)).toEqual(['secrets']);
  });

  it(`at most ${SECRET_LIMITS.perApp} per service`, () => {
    const n = SECRET_LIMITS.perApp + 1;
    const top = Array.from({ length: n }, (_, i) => `  s${i}: { external: true }\n`).join('');
    const refs = Array.from({ length: n }, (_, i) => `s${i}`);
    expect(secrets(top, `    secrets: [ ${refs.slice(1).join(', ')} ]\n`)).toHaveLength(SECRET_LIMITS.perApp);
    expect(problems(file(top, `    secrets: [ ${refs.join(', ')} ]\n`))).toEqual([
      ['services.web.secrets', `must have at most ${SECRET_LIMITS.perApp} secrets, got ${n}`],
    ]);
  });

  it('one service per secret list: two services may mount the same file', () => {
    const t = 'secrets:\n  db: { external: true }\nservices:\n  a: { image: x, ports: ["1"], secrets: [db] }\n  b: { image: x, ports: ["1"], secrets: [db] }\n';
    expect(parseCompose(t).apps.map((a) => a.secrets)).toEqual([[{ name: 'db', file: 'db' }], [{ name: 'db', file: 'db' }]]);
  });

  it('refers to the service by name in the undefined-secret error', () => {
    const t = 'services:\n  api: { image: x, ports: ["1"], secrets: [db] }\n';
    expect(problems(t)).toEqual([
      ['services.api.secrets[0]', 'service "api" refers to undefined secret db: declare it under the top-level `secrets:`, e.g. db: { external: true }'],
    ]);
  });
});

describe('parseCompose: command and entrypoint', () => {
  it('reads both forms as Compose does, and names a bad one', () => {
    const { apps, warnings } = parseCompose(withPort('    entrypoint: /bin/busybox\n    command: ["nc", "-lk", "-p", "8080"]\n'));
    expect([apps[0]?.entrypoint, apps[0]?.command]).toEqual([['/bin/busybox'], ['nc', '-lk', '-p', '8080']]);
    expect(warnings).toEqual([]);
    const e = fail(withPort('    command: echo $HOME\n'));
    expect((e.details ?? []).map((d) => d.path)).toEqual(['services.web.command']);
  });
});

describe('parseCompose: named volumes', () => {
  it('two services mounting one named volume is an error at the second: volumes are per app and node-local', () => {
    const text = `services:
  web:
    image: cloud/x
    ports: ["8080"]
    volumes: [ "data:/data" ]
  worker:
    image: cloud/x
    ports: ["8081"]
    volumes: [ "logs:/logs", "data:/data:ro" ]
volumes: { data: {}, logs: {} }
`;
    try {
      parseCompose(text);
      expect.unreachable();
    } catch (e) {
      expect((e as MatrixError).details?.map((d) => [d.path, d.message])).toEqual([
        [
          'services.worker.volumes',
          'volume "data" is already mounted by web: a volume belongs to one app (each replica\'s data stays on its node), so give each app its own name',
        ],
      ]);
    }
  });

  it('names the bad entry: a bad name, a relative target, a read_only that is not a boolean', () => {
    const text = `services:
  web:
    image: cloud/x
    ports: ["8080"]
    volumes: [ "Data:/data", "data:rel", { type: volume, source: ok, target: /x, read_only: "yes" } ]
`;
    try {
      parseCompose(text);
      expect.unreachable();
    } catch (e) {
      expect((e as MatrixError).details?.map((d) => d.path)).toEqual([
        'services.web.volumes[0]',
        'services.web.volumes[1]',
        'services.web.volumes[2].read_only',
      ]);
    }
  });
});

describe('parseCompose: volume targets', () => {
  it("a named volume on a node path's target is an error at the service's volumes", () => {
    try {
      parseCompose('services:\n  web:\n    image: cloud/x\n    ports: ["8080"]\n    volumes: [ "/srv:/data", "data:/data/" ]\n');
      expect.unreachable();
    } catch (e) {
      expect((e as MatrixError).details?.map((d) => [d.path, d.message])).toEqual([['services.web.volumes', 'target "/data/" is a node path\'s target too']]);
    }
  });
});
