/**
 * Security in a real lab. The API listens on the lab bridge, so over HTTPS only. Host access
 * is refused until the cluster policy allows it, then reaches the containers. Secrets: `matrix secret set` from stdin, an app receives the value as a
 * read-only file on tmpfs and as env, is never left running without its files, rolls to a new
 * value when the secret is rotated, and the plaintext is nowhere else: not in the manager's
 * log, the database, API answers or CLI output. Removed containers leave no secret behind.
 */
import { execFile } from 'node:child_process';
import { Agent } from 'node:https';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_SECRETS_ROOT } from '../../src/manager/nodes/secret-files.ts';
import { sendRequest } from '../../src/util/http-request.ts';
import { curlIn, dockerOn, get, labDown, labUpArgs, MATRIX, matrix, matrixOk, newLabEnv, readToken, until, type LabEnv } from './lab-harness.ts';

const env: LabEnv = newLabEnv('security', 217);
const PW1 = 'lab-secret-one-5e4d3c';
const API_ADDR = `${env.subnet}.1:${env.apiPort}`;
const PW2 = 'lab-secret-two-9a8b7c';

const SPEC = `apps:
  vault-web:
    image: cloud/simplewebapp1
    replicas: 2
    port: 8080
    secrets:
      - db
      - name: db
        env: DB_PASSWORD
`;

function sh(argv: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    const p = execFile(argv[0]!, argv.slice(1), { env: { ...process.env, MATRIX_HOME: env.home }, timeout: 120_000 }, (err, stdout, stderr) =>
      res({ code: err ? 1 : 0, out: `${stdout}${stderr}` }),
    );
    if (input !== undefined) p.stdin!.end(input);
  });
}

const docker = (node: number, args: string[]) => dockerOn(env, node, args);

/** Running containers of an app, as [node, id]. */
async function containersOf(app: string): Promise<[number, string][]> {
  const out: [number, string][] = [];
  for (const node of [1, 2]) {
    const r = await docker(node, ['ps', '-q', '--filter', `label=matrix.app=${app}`]);
    for (const id of r.out.split('\n').filter(Boolean)) out.push([node, id]);
  }
  return out;
}

const containers = () => containersOf('vault-web');

async function readInside(node: number, id: string): Promise<string> {
  return (await docker(node, ['exec', id, 'sh', '-c', 'cat /run/secrets/db; echo "|$DB_PASSWORD"'])).out;
}

/** Every replica serves and sees `value` as file and env. */
async function allSee(value: string): Promise<boolean> {
  const list = await containers();
  if (list.length !== 2) return false;
  for (const [node, id] of list) if ((await readInside(node, id)).trim() !== `${value}|${value}`) return false;
  return true;
}

/** Directories with secret files of containers that no longer exist. */
function leftovers(): string[] {
  if (!existsSync(NODE_SECRETS_ROOT)) return [];
  return readdirSync(NODE_SECRETS_ROOT).filter((n) => statSync(join(NODE_SECRETS_ROOT, n)).isDirectory() && readdirSync(join(NODE_SECRETS_ROOT, n)).length > 0);
}

const outputs: string[] = [];
const ok = async (args: string[]) => {
  const out = await matrixOk(env, args);
  outputs.push(out);
  return out;
};

beforeAll(async () => {
  await labDown(env).catch(() => undefined);
  // the API on the lab bridge, so it must serve HTTPS: the CLI finds the URL and the CA in the home
  await matrixOk(env, labUpArgs(env, 2, { api: API_ADDR, apiTls: true }));
  await matrixOk(env, ['images', 'sample']);
});

afterAll(async () => {
  await labDown(env);
  // the lab's containers took their secret directories with them
  expect(existsSync(NODE_SECRETS_ROOT) ? readdirSync(NODE_SECRETS_ROOT).filter((n) => n.includes('vault-web')) : []).toEqual([]);
});

describe('the API beyond loopback', () => {
  it('serves HTTPS only, with the cluster certificate, to a lab node namespace', () => {
    const ca = join(env.home, 'pki', 'ca.pem');
    const curl = (args: string[]) => curlIn(`/var/run/netns/${env.prefix}node1`, args);
    expect(curl(['--cacert', ca, `https://${API_ADDR}/v1/health`])).toBe('200');
    expect(curl(['--cacert', ca, `https://${API_ADDR}/v1/apps`])).toBe('401');
    expect(curl(['--cacert', ca, '-H', `authorization: Bearer ${readToken(env)}`, `https://${API_ADDR}/v1/apps`])).toBe('200');
    // no plain HTTP, and a client that does not trust the cluster CA does not connect
    expect(curl([`http://${API_ADDR}/v1/health`])).not.toBe('200');
    expect(curl([`https://${API_ADDR}/v1/health`])).toMatch(/^refused/);
  });
});

describe('the stock docker CLI pointed at a node (`matrix node env`, `config`, `ip`)', () => {
  // no DOCKER_* of the machine running the tests leaks into these shells
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DOCKER_')));
  const shell = (script: string) =>
    new Promise<{ code: number; out: string }>((res) =>
      execFile('sh', ['-c', script], { env: { ...clean, MATRIX_HOME: env.home }, timeout: 120_000 }, (err, stdout, stderr) =>
        res({ code: err ? 1 : 0, out: `${stdout}${stderr}` }),
      ),
    );
  const engine = `${env.subnet}.12:2376`;

  it('eval "$(matrix node env node2)" makes `docker version` answer from node2; without it the engine refuses', async () => {
    const withEnv = await shell(
      `eval "$(${MATRIX} node env node2)" && docker version --format '{{.Server.Version}}' && docker info --format '{{.Name}} {{range .Labels}}{{.}} {{end}}'`,
    );
    expect(withEnv.code, withEnv.out).toBe(0);
    expect(withEnv.out).toMatch(/^\d+\.\d+\.\d+\S*\n/);
    expect(withEnv.out).toContain('matrix.node=node2');
    // the same engine: plain HTTP, and TLS without the cluster's client certificate, are refused
    const plain = await shell(`docker -H tcp://${engine} version --format '{{.Server.Version}}'`);
    expect(plain.code).toBe(1);
    const noCert = await shell(`docker -H tcp://${engine} --tlsverify --tlscacert ${join(env.home, 'pki', 'ca.pem')} version --format '{{.Server.Version}}'`);
    expect(noCert.code).toBe(1);
    expect(noCert.out).toMatch(/certificate|tls/i);
    // --unset undoes it
    const unset = await shell(
      `eval "$(${MATRIX} node env node2)"; eval "$(${MATRIX} node env --unset node2)"; printf '[%s%s%s]' "$DOCKER_HOST" "$DOCKER_CERT_PATH" "$DOCKER_TLS_VERIFY"`,
    );
    expect(unset.out).toBe('[]');
    // the docker CLI's own client key, readable by its owner only
    expect(statSync(join(env.home, 'pki', 'clients', 'docker', 'key.pem')).mode & 0o077).toBe(0);
  });

  it('config gives the flags for one command; ip the address; an unknown node is a coded error naming the nodes', async () => {
    const ps = await shell(`docker $(${MATRIX} node config node1) ps --format '{{.ID}}'`);
    expect(ps.code, ps.out).toBe(0);
    expect((await matrixOk(env, ['node', 'ip', 'node1'])).trim()).toBe(`${env.subnet}.11`);
    const inspect = JSON.parse(await matrixOk(env, ['node', 'inspect', 'node1'])) as { name: string; docker: Record<string, string> };
    expect(inspect.name).toBe('node1');
    expect(inspect.docker.DOCKER_HOST).toBe(`tcp://${env.subnet}.11:2376`);
    for (const args of [
      ['node', 'env', 'node9'],
      ['node', 'config', 'nope'],
      ['node', 'ip', 'x'],
    ]) {
      const r = await matrix(env, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/E_NOT_FOUND.*nodes: node1, node2/);
    }
    const badShell = await matrix(env, ['node', 'env', '--shell', 'tcsh', 'node1']);
    expect(badShell.stderr).toMatch(/E_BAD_REQUEST.*--shell must be one of sh, fish/);
  });
});

describe('secrets in a real lab', () => {
  it('refuses a deploy naming a secret that does not exist', async () => {
    const dir = join(env.home, 'files');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'vault.yaml'), SPEC);
    const r = await matrix(env, ['deploy', join(dir, 'vault.yaml')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/E_NOT_FOUND.*secret db, which does not exist: create it with `matrix secret set db`/);
    expect(r.stderr).toMatch(/apps\.vault-web\.secrets\[0\]/);
  });

  it('gives the app its secret as a read-only tmpfs file and env', async () => {
    const set = await sh([MATRIX, 'secret', 'set', 'db'], PW1);
    expect(set.out).toMatch(/created secret db \(version 1, 21 bytes\)/);
    outputs.push(set.out);
    await ok(['deploy', join(env.home, 'files', 'vault.yaml')]);
    expect(
      (
        await until(
          () => get(env.ingressPort, '/vault-web/'),
          (x) => x.status === 200,
          120,
          250,
        )
      ).status,
    ).toBe(200);
    expect(await until(() => allSee(PW1), Boolean, 60)).toBe(true);

    const [node, id] = (await containers())[0]!;
    const mount = (await docker(node, ['exec', id, 'sh', '-c', 'grep " /run/secrets " /proc/mounts; ls -l /run/secrets/db'])).out;
    expect(mount).toMatch(/^\S+ \/run\/secrets tmpfs ro[, ]/m);
    expect(mount).toMatch(/^-r--r--r-- .* \/run\/secrets\/db$/m);
    // on the node: a root-only parent on /dev/shm, nothing written to a disk
    expect(statSync(NODE_SECRETS_ROOT).mode & 0o777).toBe(0o700);
    expect((await docker(node, ['exec', id, 'sh', '-c', 'echo x > /run/secrets/db'])).code).not.toBe(0);
  });

  it('a container whose node lost its secret files (a reboot empties /dev/shm) is not left running without them', async () => {
    const [node, id] = (await containers())[0]!;
    const dir = (await docker(node, ['inspect', '-f', '{{range .Mounts}}{{if eq .Destination "/run/secrets"}}{{.Source}}{{end}}{{end}}', id])).out.trim();
    expect(dir.startsWith(`${NODE_SECRETS_ROOT}/`)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
    await docker(node, ['restart', '-t', '1', id]); // fails: its mount source is gone (or the manager replaced it first)
    expect(await until(async () => (await allSee(PW1)) && !(await containers()).some(([, c]) => c === id), Boolean, 120)).toBe(true);
  });

  it('rotating the secret rolls the app to the new value and wipes the old containers’ files', async () => {
    const before = (await containers()).map(([, id]) => id);
    const oldDirs = leftovers().filter((d) => d.startsWith('mx.vault-web.'));
    expect(oldDirs).toHaveLength(2);
    const r = await sh([MATRIX, 'secret', 'set', 'db', '--file', writeTemp('pw2', PW2)]);
    outputs.push(r.out);
    expect(r.out).toMatch(/updated secret db \(version 2, 21 bytes\)/);
    expect(r.out).toMatch(/rolling vault-web to the new version/);
    expect(await until(() => allSee(PW2), Boolean, 120)).toBe(true);
    expect((await containers()).some(([, id]) => before.includes(id))).toBe(false);
    // the old replicas' files went with them; the new ones have theirs
    expect(
      await until(
        async () => leftovers().filter((d) => oldDirs.includes(d)),
        (l) => l.length === 0,
        20,
      ),
    ).toEqual([]);
    expect(leftovers().filter((d) => d.startsWith('mx.vault-web.'))).toHaveLength(2);
    const ls = await ok(['secret', 'ls']);
    expect(ls).toMatch(/^db\s+2\s+21\s+\S+\s+vault-web$/m);
    expect(await ok(['app', 'inspect', 'vault-web'])).toMatch(/db/);
  });

  it('a secret in use cannot be removed; after the app goes, it can, and no files are left', async () => {
    const inUse = await matrix(env, ['secret', 'rm', 'db']);
    expect(inUse.code).not.toBe(0);
    expect(inUse.stderr).toMatch(/error\[E_SECRET_IN_USE\]: name: secret db is given to vault-web/);
    await ok(['rm', 'vault-web']);
    expect(await until(containers, (l) => l.length === 0, 60)).toEqual([]);
    expect(
      await until(
        async () => leftovers(),
        (l) => l.length === 0,
        20,
      ),
    ).toEqual([]);
    expect(await ok(['secret', 'rm', 'db'])).toMatch(/removed secret db/);
  });

  it('the plaintext is nowhere: manager log, database, API answers, CLI output', async () => {
    outputs.push(await ok(['status']), await ok(['apps']), await ok(['projects']));
    const token = readToken(env);
    const agent = new Agent({ ca: readFileSync(join(env.home, 'pki', 'ca.pem')) });
    for (const path of ['/v1/deployment', '/v1/status', '/v1/secrets', '/v1/apps', '/v1/replicas']) {
      const res = await sendRequest({ method: 'GET', url: `https://${API_ADDR}${path}`, headers: { authorization: `Bearer ${token}` }, agent });
      expect(res.status, path).toBe(200);
      outputs.push(res.body.toString());
    }
    const files = ['manager.log', 'state.db', 'state.db-wal'].map((f) => join(env.home, f)).filter(existsSync);
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const pw of [PW1, PW2]) {
      for (const f of files) expect(readFileSync(f).includes(Buffer.from(pw)), f).toBe(false);
      for (const o of outputs) expect(o).not.toContain(pw);
    }
    expect(statSync(join(env.home, 'secret.key')).mode & 0o777).toBe(0o600);
  });
});

function writeTemp(name: string, text: string): string {
  const f = join(env.home, 'files', name);
  writeFileSync(f, text, { mode: 0o600 });
  return f;
}

describe('the host-access policy in a real lab', () => {
  const spec = () => {
    mkdirSync(join(env.home, 'files'), { recursive: true });
    return join(env.home, 'files', 'agent.yaml');
  };
  // (not `privileged`: this box's capability bounding set lacks CAP_SYS_RESOURCE, so runc cannot start one here)
  it('refuses an app with a capability on the host network and PID namespace until the policy allows it; then it runs so and serves', async () => {
    writeFileSync(
      spec(),
      'apps:\n  agent:\n    image: cloud/simplewebapp2\n    port: 8181\n    host:\n      cap_add: [NET_ADMIN]\n      network: host\n      pid: host\n',
    );
    const refused = await matrix(env, ['deploy', spec()]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/E_POLICY_DENIED.*apps\.agent\.host\.cap_add.*"capabilities": true/);
    expect(refused.stderr).toMatch(/E_POLICY_DENIED.*"hostNamespaces": true/);

    // the operator allows both kinds and restarts the manager; apps keep running meanwhile
    const configFile = join(env.home, 'manager.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(configFile, JSON.stringify({ ...config, policy: { capabilities: true, hostNamespaces: true } }));
    await ok(['manager', 'stop']);
    await ok(['manager', 'start']);
    await ok(['deploy', spec()]);
    expect(
      (
        await until(
          () => get(env.ingressPort, '/agent/'),
          (x) => x.status === 200 && x.body.includes('app=simplewebapp2'),
          120,
          250,
        )
      ).status,
    ).toBe(200);
    const [node, id] = await until(
      async () => (await containersOf('agent'))[0],
      (x) => x !== undefined,
      60,
    );
    const hc = (await docker(node!, ['inspect', '-f', '{{json .HostConfig.CapAdd}} {{.HostConfig.NetworkMode}} {{.HostConfig.PidMode}}', id!])).out.trim();
    expect(hc).toBe('["NET_ADMIN"] host host');
    // on the host network it listens on its node's own address and port
    const routes = (await ok(['ps'])).split('\n').filter((l) => l.startsWith('agent'));
    expect(routes.join('\n')).toMatch(/:8181\b/);
    await ok(['rm', 'agent']);
  });
});
