/**
 * Machines, end to end: the ssh driver provisions a bare lab host (sshd with key login in
 * its own namespaces, Docker installed but not set up) into a node that runs replicas behind
 * the ingress, that the stock docker CLI reaches with `matrix node env` and not without it,
 * that switches off and on, and that `node rm` drains and sets back. Bad input (unknown or
 * wrong host key, wrong SSH key, unreachable host, a dockerd that cannot start) is a coded
 * error and leaves nothing behind. The lab driver adds and removes namespace nodes.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { get as httpsGet } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, labDown, labUpArgs, MATRIX, matrix, matrixOk, newLabEnv, nodeOf, replicasOf, until, whileLoaded, type LabEnv } from './lab-harness.ts';

const env: LabEnv = newLabEnv('machines', 219);
const keys = join(env.home, 'keys');
const KEY = join(keys, 'id_ed25519');
const OTHER_KEY = join(keys, 'other');
const machinesDir = join(env.home, 'machines');
const knownHosts = join(machinesDir, 'known_hosts');

let host1 = { address: '', hostKey: '' };
let host2 = { address: '', hostKey: '' };

const running = async (app: string) => (await replicasOf(env, app)).filter((r) => r.state === 'running' && r.desired);

async function addHost(): Promise<{ address: string; hostKey: string }> {
  const out = await matrixOk(env, ['lab', 'host', 'add', '--authorized-key', `${KEY}.pub`]);
  const m = /listens for SSH on (\S+):22 \(host key (SHA256:\S+)\)/.exec(out);
  if (!m) throw new Error(`unexpected output: ${out}`);
  return { address: m[1]!, hostKey: m[2]! };
}

/** `matrix node ssh <node> -- <command>`: stdout, or the failure. */
const onHost = (node: string, command: string) => matrixOk(env, ['node', 'ssh', node, '--', command]);

const sshCreate = (name: string, host: { address: string; hostKey?: string }, more: string[] = []) =>
  matrix(env, [
    'node',
    'create',
    '--driver',
    'ssh',
    '--ssh-host',
    host.address,
    '--ssh-key',
    KEY,
    ...(host.hostKey ? ['--ssh-host-key', host.hostKey] : []),
    ...more,
    name,
  ]);

function sh(script: string): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    execFile('sh', ['-c', script], { env: { ...process.env, MATRIX_HOME: env.home }, timeout: 60_000 }, (err, stdout, stderr) =>
      res({ code: err ? 1 : 0, out: `${stdout}${stderr}` }),
    );
  });
}

const pkiFile = (...p: string[]) => readFileSync(join(env.home, 'pki', ...p));
const managerClient = () => ({ ca: pkiFile('ca.pem'), cert: pkiFile('clients', 'manager', 'cert.pem'), key: pkiFile('clients', 'manager', 'key.pem') });

/**
 * `GET /_ping` on the engine at `address`:2376 with the given trust and client certificate:
 * the certificate the engine presented (SHA-256) and its issuer's, or why the exchange failed
 * (the engine refuses a client certificate after the handshake, in TLS 1.3: a request tells).
 */
function engineExchange(
  address: string,
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
  node: string,
): Promise<{ cert: string; issuer: string } | { error: string }> {
  return new Promise((res) => {
    const req = httpsGet({ host: address, port: 2376, path: '/_ping', ...tls, servername: node, agent: false, timeout: 10_000 }, (r) => {
      const peer = (r.socket as TLSSocket).getPeerCertificate(true);
      r.resume();
      r.on('end', () =>
        res(r.statusCode === 200 ? { cert: peer.fingerprint256, issuer: peer.issuerCertificate.fingerprint256 } : { error: `status ${r.statusCode}` }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => res({ error: e.message }));
  });
}

/** The SHA-256 fingerprint of the certificate the engine at `address`:2376 presents to the manager's client certificate. */
async function presentedCert(address: string): Promise<string> {
  const r = await engineExchange(address, managerClient(), 'web1');
  if ('error' in r) throw new Error(r.error);
  return r.cert;
}

/** Nothing of a failed create is left here: no record, no node, no host key. */
async function expectNothingLeft(name: string, address: string): Promise<void> {
  expect(existsSync(join(machinesDir, `${name}.json`))).toBe(false);
  expect(existsSync(join(env.home, 'pki', 'servers', name))).toBe(false);
  expect(await matrixOk(env, ['nodes'])).not.toContain(name);
  expect(existsSync(knownHosts) ? readFileSync(knownHosts, 'utf8') : '').not.toContain(address);
}

beforeAll(async () => {
  await labDown(env);
  mkdirSync(keys, { recursive: true });
  for (const k of [KEY, OTHER_KEY]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'machines-test', '-f', k]);
  await matrixOk(env, labUpArgs(env, 1));
  await matrixOk(env, ['images', 'sample']);
  host1 = await addHost();
  host2 = await addHost();
});

afterAll(async () => {
  await labDown(env);
});

describe('the ssh driver refuses what it cannot trust or reach, and leaves nothing', () => {
  it('an unknown host key (no fingerprint, no terminal to ask)', async () => {
    const r = await sshCreate('web1', { address: host1.address });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_SSH_HOST_KEY\]: ssh-host-key: the host key of \S+ is not known yet \(SHA256:/m);
    // the message carries the fingerprint to check and pass
    expect(r.stderr).toContain(`--ssh-host-key ${host1.hostKey}`);
    await expectNothingLeft('web1', host1.address);
  });

  it('on a terminal, an unknown host key is asked about: "n" refuses it, "y" trusts it for the connection', async () => {
    // `script` gives the CLI a terminal; the answer is typed into it
    const onTerminal = (answer: string, key: string) =>
      sh(`printf '${answer}\\n' | script -qec "${MATRIX} node create --driver ssh --ssh-host ${host2.address} --ssh-key ${key} web2" /dev/null`);
    const no = await onTerminal('n', KEY);
    expect(no.out).toContain(`The host key of ${host2.address}:22 is ${host2.hostKey}. Trust it? [y/N]`);
    expect(no.out).toMatch(/error\[E_SSH_HOST_KEY\]/);
    await expectNothingLeft('web2', host2.address);
    // trusted, then refused for the key: the host key is recorded only once a login succeeds
    const yes = await onTerminal('y', OTHER_KEY);
    expect(yes.out).toMatch(/error\[E_SSH_AUTH\]/);
    await expectNothingLeft('web2', host2.address);
  });

  it("a fingerprint that is not the host's", async () => {
    const r = await sshCreate('web1', { address: host1.address, hostKey: host2.hostKey });
    expect(r.stderr).toMatch(/^error\[E_SSH_HOST_KEY\]: .*not the SHA256:\S+ given with --ssh-host-key/m);
    await expectNothingLeft('web1', host1.address);
  });

  it('a key the host does not accept', async () => {
    const r = await matrix(env, [
      'node',
      'create',
      '--driver',
      'ssh',
      '--ssh-host',
      host1.address,
      '--ssh-key',
      OTHER_KEY,
      '--ssh-host-key',
      host1.hostKey,
      'web1',
    ]);
    expect(r.stderr).toMatch(/^error\[E_SSH_AUTH\]: ssh-key: root@\S+ refused the key/m);
    expect(r.stderr).toMatch(/nothing was changed/);
    await expectNothingLeft('web1', host1.address);
  });

  it('a public key given as the key, an unreachable host, an option of another driver, a taken name', async () => {
    const pub = await sshCreate('web1', { ...host1 }, ['--ssh-key', `${KEY}.pub`]);
    expect(pub.stderr).toMatch(/^error\[E_BAD_REQUEST\]: ssh-key: .* is not a private key .*it is a public key/m);
    // a lab address nothing answers on
    const gone = await sshCreate('web1', { address: `${env.subnet}.249` });
    expect(gone.stderr).toMatch(/^error\[E_SSH_UNREACHABLE\]: ssh-host: cannot reach root@\S+:22 over SSH/m);
    const mixed = await matrix(env, ['node', 'create', '--driver', 'lab', '--ssh-host', host1.address]);
    expect(mixed.stderr).toMatch(/^error\[E_BAD_REQUEST\]: ssh-host: --ssh-host is an option of the ssh driver, not of lab/m);
    const taken = await sshCreate('node1', host1);
    expect(taken.stderr).toMatch(/^error\[E_NODE_EXISTS\]: name: the cluster has a node named node1/m);
    await expectNothingLeft('web1', host1.address);
  });

  it('a dockerd that cannot start: the error has its log, and the host is set back', async () => {
    // sshd holds port 22: the engine cannot listen there
    const r = await sshCreate('web2', host2, ['--engine-port', '22']);
    // reported as soon as dockerd gives up, with what it said
    expect(r.stderr).toMatch(/^error\[E_MACHINE\]: name: the engine of web2 did not answer on \S+:22 over mutual TLS \(dockerd gave up: its log follows\)/m);
    expect(r.stderr).toMatch(/address already in use/);
    expect(r.stderr).toMatch(/cleaned up: the engine configuration on \S+ \(cloudmatrix's dockerd stopped\); web2's server certificate; the host key/);
    await expectNothingLeft('web2', host2.address);
    // on the host: none of our files, no dockerd left running (its pid file is gone with it)
    const ssh = (cmd: string) =>
      sh(`ssh -i ${KEY} -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR root@${host2.address} '${cmd}'`);
    expect((await ssh('ls /etc/docker/cloudmatrix /var/run/docker.pid /var/run/cloudmatrix-dockerd.pid 2>&1; true')).out).not.toMatch(/^\/|server-key/m);
    expect((await ssh('ls /etc/docker/cloudmatrix 2>&1')).out).toMatch(/No such file/);
  });
});

describe('an SSH user that is not root', () => {
  const asRootOn = (address: string, command: string) =>
    sh(`ssh -i ${KEY} -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR root@${address} ${JSON.stringify(command)}`);

  it('with password-less sudo, the host is set up through sudo; without, it is refused naming --ssh-user', async () => {
    const users = await asRootOn(
      host2.address,
      // -p '*': no password, but not locked (sshd refuses locked accounts)
      "useradd -m -s /bin/sh -p '*' deploy && useradd -m -s /bin/sh -p '*' nosudo && echo 'deploy ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/deploy && chmod 440 /etc/sudoers.d/deploy",
    );
    expect(users.out).toBe('');
    // their keys, as ssh-copy-id puts them
    for (const user of ['deploy', 'nosudo']) {
      const copied = await asRootOn(
        host2.address,
        `mkdir -p /home/${user}/.ssh && echo '${readFileSync(`${KEY}.pub`, 'utf8').trim()}' > /home/${user}/.ssh/authorized_keys && chown -R ${user}: /home/${user}/.ssh`,
      );
      expect(copied.out).toBe('');
    }
    // the users are the bare host's alone, as on a VM
    expect(readFileSync('/etc/passwd', 'utf8')).not.toMatch(/^deploy:/m);
    const refused = await sshCreate('web2', host2, ['--ssh-user', 'nosudo']);
    expect(refused.stderr).toMatch(/^error\[E_MACHINE\]: ssh-user: the SSH user is not root and cannot sudo without a password/m);
    await expectNothingLeft('web2', host2.address);
    const made = await sshCreate('web2', host2, ['--ssh-user', 'deploy']);
    expect(made.stdout).toMatch(/web2 is a node of the cluster \(ssh/);
    expect(await onHost('web2', 'id -un; sudo -n stat -c %a /etc/docker/cloudmatrix/server-key.pem')).toMatch(/^deploy\n600\n/);
    expect(await matrixOk(env, ['node', 'rm', 'web2'])).toMatch(/removed the ssh machine: the engine configuration on \S+ \(cloudmatrix's dockerd stopped\)/);
    await expectNothingLeft('web2', host2.address);
  });
});

describe('an ssh machine as a node', () => {
  it('is provisioned over SSH, trusted by the fingerprint given, and listed with its driver labels and engine version', async () => {
    const r = await sshCreate('web1', host1, ['--label', 'zone=b']);
    expect(r.stdout).toMatch(/web1 is a node of the cluster \(ssh, engine \S+:2376\)/);
    expect(r.stderr).toMatch(/configuring dockerd for mutual TLS on 2376 and the registry \S+ \(supervised process\)/);
    expect(await matrixOk(env, ['nodes'])).toMatch(/web1 +ssh +\S+:2376 +up +\d+\.\d+\.\d+\S* +0 .*zone=b/);
    expect(readFileSync(knownHosts, 'utf8')).toContain(host1.address);
    // the key on the host is 0600; the machine's own name is its host name
    expect((await onHost('web1', 'stat -c %a /etc/docker/cloudmatrix/server-key.pem; hostname')).split('\n').slice(0, 2)).toEqual(['600', 'host1']);
  });

  it('the same host again, under another name, is refused before anything is touched', async () => {
    const again = await sshCreate('web9', host1);
    expect(again.stderr).toMatch(/^error\[E_NODE_EXISTS\]: address: the engine at \S+:2376 is the node web1 already/m);
    const viaName = await sshCreate('web9', host1, ['--address', `${env.subnet}.99`]);
    expect(viaName.stderr).toMatch(/^error\[E_NODE_EXISTS\]: ssh-host: \S+:22 is the machine web1 already/m);
    expect(await matrixOk(env, ['nodes'])).toMatch(/web1 +ssh +\S+:2376 +up /);
    expect(existsSync(join(machinesDir, 'web9.json'))).toBe(false);
  });

  it('the stock docker CLI reaches it with `node env`, and is refused without the certificates', async () => {
    const withEnv = await sh(`eval "$(${MATRIX} node env web1)" && docker version --format '{{.Server.Version}}' && docker info --format '{{.Labels}}'`);
    expect(withEnv.code).toBe(0);
    expect(withEnv.out).toMatch(/^\d+\.\d+\.\d+/);
    expect(withEnv.out).toContain('matrix.node=web1');
    const plain = await sh(`docker -H tcp://${host1.address}:2376 version --format '{{.Server.Version}}'`);
    expect(plain.code).toBe(1);
    const foreignCert = await sh(`docker -H tcp://${host1.address}:2376 --tls version`);
    expect(foreignCert.code).toBe(1);
  });

  it('pulls from the cluster registry and serves replicas through the ingress', async () => {
    const spec = join(env.home, 'zoned.yaml');
    writeFileSync(spec, 'apps:\n  zoned:\n    image: cloud/simplewebapp1\n    replicas: 2\n    port: 8080\n    constraints: [zone==b]\n');
    await matrixOk(env, ['deploy', spec]);
    const rows = await until(
      () => running('zoned'),
      (r) => r.length === 2,
    );
    expect(rows.map((r) => r.node)).toEqual(['web1', 'web1']);
    const page = await until(
      () => get(env.ingressPort, '/zoned/'),
      (a) => a.status === 200,
    );
    expect(page.body).toContain('app=simplewebapp1');
  });

  it('switches its engine off and on over SSH', async () => {
    expect(await matrixOk(env, ['node', 'stop', 'web1'])).toMatch(/web1 is off \(its engine stopped; the host stays up\)/);
    const nodes = () => matrixOk(env, ['nodes']);
    expect(await until(nodes, (o) => /web1 +ssh +\S+ +down/.test(o))).toMatch(/web1 +ssh +\S+ +down/);
    expect(await matrixOk(env, ['node', 'status', 'web1'])).toBe('down\n');
    await matrixOk(env, ['node', 'start', 'web1']);
    expect(await until(nodes, (o) => /web1 +ssh +\S+ +up/.test(o))).toMatch(/web1 +ssh +\S+ +up/);
    expect(await matrixOk(env, ['node', 'status', 'web1'])).toBe('up\n');
    const back = await until(
      () => running('zoned'),
      (r) => r.length === 2,
      120,
    );
    expect(back).toHaveLength(2);
  });

  it('`node regenerate-certs` moves its replicas away, restarts the engine with a new certificate, and takes them back: no failed request', async () => {
    const spec = join(env.home, 'spread.yaml');
    writeFileSync(spec, 'apps:\n  spread:\n    image: cloud/simplewebapp1\n    replicas: 2\n    port: 8080\n');
    // the zoned app can go nowhere else: remove it first, as its owner would
    await matrixOk(env, ['rm', 'zoned']);
    await matrixOk(env, ['deploy', spec]);
    const spreadOver = (r: { node: string }[]) => r.length === 2 && new Set(r.map((x) => x.node)).size === 2;
    expect(new Set((await until(() => running('spread'), spreadOver)).map((r) => r.node))).toEqual(new Set(['node1', 'web1']));
    const certFile = join(env.home, 'pki', 'servers', 'web1', 'cert.pem');
    const before = new X509Certificate(readFileSync(certFile)).fingerprint256;
    expect(await presentedCert(host1.address)).toBe(before);
    const { out, answers } = await whileLoaded(env, '/spread/', () => matrixOk(env, ['node', 'regenerate-certs', 'web1']));
    expect(out).toMatch(/web1 has a new certificate and its engine runs with it; it takes replicas again/);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((s) => s !== 200)).toEqual([]);
    const after = new X509Certificate(readFileSync(certFile)).fingerprint256;
    expect(after).not.toBe(before);
    expect(await presentedCert(host1.address)).toBe(after);
    // active again: the spread app moves back onto it
    expect(
      new Set(
        (
          await until(
            () => running('spread'),
            (r) => spreadOver(r) && r.some((x) => x.node === 'web1'),
            120,
          )
        ).map((r) => r.node),
      ),
    ).toEqual(new Set(['node1', 'web1']));
  });

  it('`ca rotate` under load: every engine and the registry on a new CA, the old one trusted nowhere, no failed request', async () => {
    const fingerprint = (pem: Buffer) => new X509Certificate(pem).fingerprint256;
    const old = managerClient();
    const engines = [
      ['node1', `${env.subnet}.11`],
      ['web1', host1.address],
    ] as const;
    const { out, answers } = await whileLoaded(env, '/spread/', () => matrixOk(env, ['ca', 'rotate']));
    for (const [node] of engines) {
      expect(out).toMatch(new RegExp(`^${node} trusts both CAs \\(`, 'm'));
      expect(out).toMatch(new RegExp(`^${node} has a certificate from the new CA \\(`, 'm'));
    }
    expect(out).toMatch(/^the cluster CA is rotated in \d+ s: SHA256 /m);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((s) => s !== 200)).toEqual([]);

    const now = managerClient();
    expect(fingerprint(now.ca)).not.toBe(fingerprint(old.ca));
    expect(await matrixOk(env, ['ca', 'status'])).toMatch(/^rotation +none$/m);
    expect(existsSync(join(env.home, 'pki', 'trust.pem'))).toBe(false);
    for (const [node, address] of engines) {
      // its certificate is the new CA's; it refuses the old CA's client certificate, and the old CA does not vouch for it
      expect(await engineExchange(address, now, node)).toEqual({ cert: expect.any(String), issuer: fingerprint(now.ca) });
      expect(await engineExchange(address, { ...old, ca: now.ca }, node)).toHaveProperty('error');
      expect(await engineExchange(address, { ...now, ca: old.ca }, node)).toHaveProperty('error');
    }
    // the manager is the new one, and the nodes still pull from the registry (its certificate is new too)
    expect(await matrixOk(env, ['nodes'])).toMatch(/web1 +ssh +\S+ +up /);
    const pull = await sh(`eval "$(${MATRIX} node env web1)" && docker pull ${env.subnet}.1:5000/cloud/simplewebapp1`);
    expect(pull.out).toMatch(/Status: (Image is up to date|Downloaded newer image)/);
    expect(pull.code).toBe(0);
  });

  it('`node rm` moves its replicas elsewhere first with no failed request, then sets the host back', async () => {
    const { out, answers } = await whileLoaded(env, '/spread/', () => matrixOk(env, ['node', 'rm', 'web1']));
    expect(out).toMatch(/removed web1 from the cluster/);
    expect(out).toMatch(/removed the ssh machine: the engine configuration on \S+ \(cloudmatrix's dockerd stopped\)/);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((s) => s !== 200)).toEqual([]);
    expect((await running('spread')).map((r) => r.node)).toEqual(['node1', 'node1']);
    await expectNothingLeft('web1', host1.address);
  });
});

describe('the lab driver', () => {
  it('adds the first free nodeK to the lab and the cluster, and `node rm` removes its namespace', async () => {
    const r = await matrixOk(env, ['node', 'create', '--driver', 'lab', '--label', 'tier=extra']);
    expect(r).toMatch(/node2 is a node of the cluster \(lab, engine \S+\.12:2376\)/);
    expect(await matrixOk(env, ['nodes'])).toMatch(/node2 +lab +\S+ +up .*tier=extra/);
    const named = await matrix(env, ['node', 'create', '--driver', 'lab', 'db1']);
    expect(named.stderr).toMatch(/^error\[E_BAD_REQUEST\]: name: lab nodes are named node1\.\.node200/m);
    await matrixOk(env, ['node', 'rm', 'node2']);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(`${env.prefix}node2`);
    expect(await matrixOk(env, ['lab', 'status'])).not.toMatch(/^node2 /m);
  });
});

describe('the sim driver', () => {
  it('a simulated node takes replicas like any node, is never routed, switches off and on, and goes', async () => {
    const r = await matrixOk(env, ['node', 'create', '--driver', 'sim', '--cpus', '2', '--memory', '2048', '--label', 'zone=s', 'sim1']);
    expect(r).toMatch(/sim1 is a node of the cluster \(sim, simulated at 127\.255\.0\.1\): only apps with a constraint on matrix\.sim go there/);
    const nodes = () => matrixOk(env, ['nodes']);
    // the real app stays where it is: nothing that did not ask for a simulated node goes there
    const listed = /^sim1 +sim +\S+ +up +sim +0 .*$/m.exec(await until(nodes, (o) => /sim1 +sim +\S+ +up +sim /.test(o)))?.[0] ?? '';
    expect(listed).toMatch(/matrix\.sim=true/);
    expect(listed).toMatch(/zone=s/);
    expect((await running('spread')).map((x) => x.node)).toEqual(['node1', 'node1']);
    const bad = await matrix(env, ['node', 'create', '--driver', 'sim', '--cpus', 'lots', 'sim2']);
    expect(bad.stderr).toMatch(/^error\[E_BAD_REQUEST\]: cpus: --cpus must be a whole number from 1 to 1024, got "lots"/m);
    expect((await matrix(env, ['node', 'env', 'sim1'])).stderr).toMatch(/^error\[E_BAD_REQUEST\]: node: sim1 is simulated by the manager: it has no engine/m);
    expect((await matrix(env, ['node', 'regenerate-certs', 'sim1'])).stderr).toMatch(/^error\[E_BAD_REQUEST\]: node: sim1 is simulated by the manager/m);

    // an app placed on it alone runs there, the deploy does not wait for the ingress, which has nothing to route
    const spec = join(env.home, 'sim.yaml');
    writeFileSync(
      spec,
      `apps:\n  simonly:\n    image: cloud/simplewebapp1\n    replicas: 3\n    port: 8080\n    constraints: [matrix.sim==true, zone==s]\n` +
        `  mixed:\n    image: cloud/simplewebapp1\n    replicas: 4\n    port: 8080\n    constraints: [matrix.sim!=false]\n`,
    );
    expect(await matrixOk(env, ['deploy', spec])).toMatch(/simonly/);
    expect(
      (
        await until(
          () => running('simonly'),
          (x) => x.length === 3,
        )
      ).map((x) => x.node),
    ).toEqual(['sim1', 'sim1', 'sim1']);
    expect((await get(env.ingressPort, '/simonly/')).status).toBe(503);

    // an app over both: its replicas there run, and every answer comes from node1's
    const both = await until(
      () => running('mixed'),
      (x) => x.length === 4,
    );
    expect(new Set(both.map((x) => x.node))).toEqual(new Set(['node1', 'sim1']));
    const answers = await Promise.all(Array.from({ length: 30 }, () => get(env.ingressPort, '/mixed/')));
    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
    expect(new Set(answers.map((a) => nodeOf(a.body)))).toEqual(new Set(['node1']));

    // switched off: down, and the replicas that can go elsewhere do
    expect(await matrixOk(env, ['node', 'stop', 'sim1'])).toMatch(/sim1 is off \(its simulated engine stops answering/);
    expect(await until(nodes, (o) => /sim1 +sim +\S+ +down/.test(o))).toMatch(/sim1 +sim +\S+ +down/);
    expect(
      (
        await until(
          () => running('mixed'),
          (x) => x.length === 4 && x.every((y) => y.node === 'node1'),
          120,
        )
      ).length,
    ).toBe(4);
    // a CA rotation needs every node: refused before anything changes
    const rotate = await matrix(env, ['ca', 'rotate']);
    expect(rotate.stderr).toMatch(/^error\[E_NODE_DOWN\]: node: sim1 does not answer, and every engine must restart with the new certificates/m);
    expect(existsSync(join(env.home, 'pki', 'rotation'))).toBe(false);
    await matrixOk(env, ['node', 'start', 'sim1']);
    expect(await until(nodes, (o) => /sim1 +sim +\S+ +up/.test(o))).toMatch(/sim1 +sim +\S+ +up/);

    await matrixOk(env, ['rm', 'simonly', 'mixed']);
    expect(await matrixOk(env, ['node', 'rm', 'sim1'])).toMatch(/removed the sim machine: sim1's record/);
    expect(existsSync(join(machinesDir, 'sim1.json'))).toBe(false);
    expect(await nodes()).not.toMatch(/^sim1 /m);
  });
});

describe('the local driver', () => {
  it('registers an engine by its unix socket: no TLS, replicas served through the ingress, the docker CLI pointed at the socket', async () => {
    // nothing to move around while node2 comes and goes
    await matrixOk(env, ['rm', 'spread']);
    // an engine of this host reached on its socket: a lab node's dockerd, taken out of the cluster but kept running
    await matrixOk(env, ['node', 'create', '--driver', 'lab', 'node2']);
    await matrixOk(env, ['node', 'rm', '--keep-machine', 'node2']);
    const socket = join(env.home, 'lab', 'node2', 'docker.sock');
    const bad = await matrix(env, ['node', 'create', '--driver', 'local', '--socket', join(env.home, 'no.sock'), 'local1']);
    expect(bad.stderr).toMatch(/^error\[E_MACHINE\]: socket: no Docker engine socket at \S+no\.sock/m);
    const r = await matrixOk(env, ['node', 'create', '--driver', 'local', '--socket', socket, '--address', `${env.subnet}.12`, '--label', 'zone=l', 'local1']);
    expect(r).toMatch(new RegExp(`local1 is a node of the cluster \\(local, engine unix://${socket}\\)`));
    expect(await matrixOk(env, ['nodes'])).toMatch(new RegExp(`local1 +local +unix://${socket} +up `));

    const spec = join(env.home, 'local.yaml');
    writeFileSync(spec, 'apps:\n  onlocal:\n    image: cloud/simplewebapp1\n    replicas: 1\n    port: 8080\n    constraints: [zone==l]\n');
    await matrixOk(env, ['deploy', spec]);
    expect(
      (
        await until(
          () => running('onlocal'),
          (x) => x.length === 1,
        )
      ).map((x) => x.node),
    ).toEqual(['local1']);
    expect(
      (
        await until(
          () => get(env.ingressPort, '/onlocal/'),
          (a) => a.status === 200,
        )
      ).status,
    ).toBe(200);

    const ps = await sh(
      `eval "$(${MATRIX} node env local1)" && printf '%s|%s\\n' "$DOCKER_HOST" "\${DOCKER_TLS_VERIFY-unset}" && docker ps --filter label=matrix.app=onlocal --format '{{.Labels}}'`,
    );
    expect(ps.out).toContain(`unix://${socket}|unset`);
    expect(ps.out).toContain('matrix.node=local1');
    const renew = await matrix(env, ['node', 'regenerate-certs', 'local1']);
    expect(renew.stderr).toMatch(/^error\[E_BAD_REQUEST\]: node: local1 is reached on its unix socket: it has no certificate/m);
    // refused before anything moved: not drained, its replica where it was
    expect(await matrixOk(env, ['node', 'status', 'local1'])).toBe('up\n');
    expect((await running('onlocal')).map((x) => x.node)).toEqual(['local1']);

    await matrixOk(env, ['rm', 'onlocal']);
    const rm = await matrixOk(env, ['node', 'rm', 'local1']);
    expect(rm).toMatch(/removed the local machine: local1's record; Docker on this host runs on as it was/);
    expect(existsSync(join(machinesDir, 'local1.json'))).toBe(false);
    // the lab's registry trust, which the local driver found there, stays
    expect(existsSync(`/etc/docker/certs.d/${env.subnet}.1:5000/ca.crt`)).toBe(true);
  });
});

describe('lab hosts', () => {
  it('`lab host rm` removes a bare machine: its processes, namespace and files', async () => {
    expect(await matrixOk(env, ['lab', 'host', 'rm', 'host2'])).toMatch(/removed host2 \(\d+ processes ended\)/);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(`${env.prefix}host2`);
    expect(existsSync(join(env.home, 'lab', 'host2'))).toBe(false);
    expect(await matrixOk(env, ['lab', 'status'])).not.toMatch(/^host2 /m);
    const again = await matrix(env, ['lab', 'host', 'rm', 'host2']);
    expect(again.stderr).toMatch(/^error\[E_NOT_FOUND\]: node: no lab node or host named host2/m);
  });
});
